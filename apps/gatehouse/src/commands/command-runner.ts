import { Inject, Injectable } from '@nestjs/common';
import { Actor, actorLabel, Clock, DomainError, errors, EVENT_SCHEMA_VERSION, eventHash, GENESIS, IdGenerator, STORE_UNAVAILABLE } from '@gatehouse/domain';
import { sha256Hex } from '../credentials/credentials';
import {
  EventStore,
  EventStoreUnavailableError,
  NewEvent,
  NO_STREAM_REVISION,
  RecordedEvent,
  WrongExpectedRevisionError,
} from '@gatehouse/event-store';
import { CLOCK, EVENT_STORE, IDS } from '../tokens';

/** What a handler supplies about one stream: how to fold it. */
export interface Fold<S, E> {
  initialState: () => S;
  evolve: (state: S, event: E) => S;
}

/** Who asked, and under which ids: the same for every transport. */
export interface RequestContext {
  actor: Actor;
  /** Idempotency: a command id that was already handled returns the first result. */
  commandId: string;
  /** Fingerprint of the request: the same command id with another payload is refused. */
  commandHash: string;
  correlationId: string;
  causationId?: string;
}

export interface CommandResult<S> {
  /** The events this command produced (or, for a replay, produced the first time). */
  events: RecordedEvent[];
  /** Revision token: position of the command's last event, or of the stream's head if it changed nothing. */
  position: bigint;
  state: S;
  replayed: boolean;
}

export interface RunOptions<S, E> {
  stream: string;
  fold: Fold<S, E>;
  account: string;
  request: RequestContext;
  decide: (state: S) => E[];
  /**
   * The entries of the state this command changes and its caller reads back from
   * `result.state` (e.g. `user:<id>`). Commands naming disjoint entries may be decided one
   * after the other and appended in one transaction (group commit); a command without
   * them is always decided and appended alone.
   */
  touches?: readonly string[];
}

interface Loaded<S> {
  state: S;
  revision: bigint;
  /** Position of the stream's last event (0n for none). */
  lastPosition: bigint;
  /** Hash of the stream's last event: the next one chains to it. */
  lastHash: string;
  /** The stream's newest commands, for idempotent retries (see RememberedCommands). */
  commands: RememberedCommands;
}

interface QueuedCommand {
  kind: 'command';
  // The group shares one fold and one state; each command's own types stay with its caller.
  options: RunOptions<unknown, { type: string; data: unknown }>;
  resolve: (result: CommandResult<unknown>) => void;
  reject: (error: unknown) => void;
}

interface QueuedTask {
  kind: 'task';
  work: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Job = QueuedCommand | QueuedTask;

/** What one command of a group came to before the append. */
type Outcome =
  | { kind: 'replay'; events: RecordedEvent[] }
  | { kind: 'refused'; error: unknown }
  /** Changed nothing: answers with the position of the events appended before it (`at` of them), or the head. */
  | { kind: 'noop'; at: number }
  /** Its events are `from`..`to` (exclusive) of the group's append. */
  | { kind: 'events'; from: number; to: number };

const MAX_RETRIES = 5;
const MAX_CACHED_STREAMS = 2000;
const MAX_REMEMBERED_COMMANDS = 10_000;
/**
 * A command usually records one or two events, but a bulk one (an import, a seed) may record
 * thousands: the window is bounded in events too, or one such stream would pin every event
 * it ever recorded in memory (100,000 events of a seeded account held ~120 MB of small
 * objects, which every young-generation GC of the process then pays for).
 */
const MAX_REMEMBERED_EVENTS = 20_000;
/** Commands decided together and appended in one transaction, at most. */
const MAX_GROUP = 64;

/**
 * The whole read → fold → decide → append loop (after EventSourcing.NodeJS's
 * commandHandling.ts), with the store's round trips shared:
 * - Folded states are cached per stream and caught up by reading only newer events
 *   (one cheap read per group when nothing is new). The runner's own events are folded
 *   from what it appended, never read back.
 * - Work on one stream is queued and done in order within this process. Commands that
 *   queued up meanwhile are decided one after the other on the evolving state and
 *   appended in one transaction (group commit), each still answered with its own events
 *   and position, or its own refusal. The expected revision settles races with other
 *   processes (re-read, re-decide, bounded retries).
 * - Idempotency rides on the stream itself: every event records its command id, so a
 *   retried command finds its first result while folding.
 */
@Injectable()
export class CommandRunner {
  private readonly cache = new Map<string, Loaded<unknown>>();
  private readonly queues = new Map<string, Job[]>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(IDS) private readonly ids: IdGenerator,
  ) {}

  /** The injected clock's time: deciders receive it in their context. */
  now(): Date {
    return this.clock.now();
  }

  /**
   * The current folded state of a stream (read-only use: do not mutate it). When the store
   * cannot be read, the last state this process folded is answered instead (its position
   * says how recent it is): reads keep working while writes are refused.
   */
  async load<S, E>(stream: string, fold: Fold<S, E>): Promise<{ state: S; lastPosition: bigint }> {
    return this.task(stream, async () => {
      let loaded: Loaded<S>;
      try {
        loaded = await this.catchUp(stream, fold);
      } catch (error) {
        const cached = this.cache.get(stream) as Loaded<S> | undefined;
        if (!cached || !isUnavailable(error)) throw error;
        loaded = cached;
      }
      return { state: loaded.state, lastPosition: loaded.lastPosition };
    });
  }

  /**
   * Decides without appending, to refuse early a command whose preparation would write
   * elsewhere first (claiming an email's identity). A retried command is let through:
   * `run` will answer it with the first result.
   */
  async dryRun<S, E>(stream: string, fold: Fold<S, E>, request: RequestContext, decide: (state: S) => E[]): Promise<void> {
    await this.task(stream, async () => {
      const loaded = await this.catchUp(stream, fold);
      if (!previousResult(loaded, request)) decide(loaded.state);
    });
  }

  run<S, E extends { type: string; data: unknown }>(options: RunOptions<S, E>): Promise<CommandResult<S>> {
    return new Promise<CommandResult<S>>((resolve, reject) => {
      this.enqueue(options.stream, {
        kind: 'command',
        options: options as unknown as QueuedCommand['options'],
        resolve: resolve as QueuedCommand['resolve'],
        reject,
      });
    });
  }

  private task<T>(stream: string, work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => this.enqueue(stream, { kind: 'task', work, resolve: resolve as (v: unknown) => void, reject }));
  }

  private enqueue(stream: string, job: Job): void {
    const queue = this.queues.get(stream);
    if (queue) {
      queue.push(job);
      return;
    }
    const fresh = [job];
    this.queues.set(stream, fresh);
    // Started after the I/O callbacks of this turn of the event loop, so that the commands
    // of requests that arrived together are decided together.
    setImmediate(() => void this.drain(stream, fresh));
  }

  /** Works through one stream's queue, in order, until it stays empty. */
  private async drain(stream: string, queue: Job[]): Promise<void> {
    while (queue.length > 0) {
      const head = queue[0];
      if (head.kind === 'task') {
        queue.shift();
        try {
          head.resolve(await head.work());
        } catch (error) {
          head.reject(error);
        }
      } else {
        const group = takeGroup(queue);
        // runGroup answers every command; should it fail itself, none may wait forever (a second answer is ignored).
        await this.runGroup(stream, group).catch((error: unknown) => {
          this.cache.delete(stream);
          for (const c of group) c.reject(error);
        });
      }
      // The folded state is mutated in place: let every caller answered so far read it
      // (they do so in microtasks) before the next job changes it.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.queues.delete(stream);
  }

  private async runGroup(stream: string, group: QueuedCommand[]): Promise<void> {
    const fold = group[0].options.fold;
    for (let attempt = 0; ; attempt++) {
      let loaded: Loaded<unknown>;
      try {
        loaded = await this.catchUp(stream, fold);
      } catch (error) {
        for (const c of group) c.reject(error);
        return;
      }
      const outcomes: Outcome[] = [];
      const appended: NewEvent[] = [];
      /** Events decided and not yet folded: the fold runs ahead of the store only while a later command needs it. */
      let unfolded: { type: string; data: unknown }[] = [];
      let foldedAhead = false;
      const now = this.clock.now().toISOString();
      let prevHash = loaded.lastHash;
      let revision = loaded.revision;
      for (const { options } of group) {
        try {
          const previous = previousResult(loaded, options.request);
          if (previous) {
            outcomes.push({ kind: 'replay', events: [...previous] });
            continue;
          }
          if (unfolded.length > 0) {
            for (const e of unfolded) loaded.state = fold.evolve(loaded.state, e);
            unfolded = [];
            foldedAhead = true;
          }
          const decided = options.decide(loaded.state);
          if (decided.length === 0) {
            outcomes.push({ kind: 'noop', at: appended.length });
            continue;
          }
          const from = appended.length;
          for (const e of decided) {
            const request = options.request;
            const metadata: NewEvent['metadata'] = {
              actor: actorLabel(request.actor),
              ...(request.actor.kind === 'principal' && request.actor.keyId ? { actorKeyId: request.actor.keyId } : {}),
              account: options.account,
              commandId: request.commandId,
              commandHash: request.commandHash,
              correlationId: request.correlationId,
              causationId: request.causationId ?? request.commandId,
              occurredAt: now,
              schemaVersion: EVENT_SCHEMA_VERSION,
              prevHash,
            };
            revision += 1n;
            // Each event chains to the previous one of its stream (tamper evidence, DESIGN §6).
            metadata.hash = eventHash(sha256Hex, { streamId: stream, revision, type: e.type, data: e.data, metadata: { ...metadata } });
            prevHash = metadata.hash;
            appended.push({ id: this.ids.uuid(), type: e.type, data: e.data, metadata });
          }
          outcomes.push({ kind: 'events', from, to: appended.length });
          unfolded = decided;
        } catch (error) {
          outcomes.push({ kind: 'refused', error });
        }
      }
      if (appended.length === 0) {
        settle(group, outcomes, loaded, []);
        return;
      }
      let positions: bigint[];
      try {
        const result = await this.store.appendToStream(stream, appended, { expectedRevision: loaded.revision });
        positions = result.positions ?? (await this.positionsOf(stream, loaded.revision, appended, result.position));
      } catch (error) {
        // The cached state holds events that were never stored: fold it again from the store.
        if (foldedAhead) this.cache.delete(stream);
        if (error instanceof WrongExpectedRevisionError && attempt < MAX_RETRIES) {
          await sleep(Math.random() * 5 * (attempt + 1));
          continue;
        }
        const translated = translateStoreError(error);
        for (const c of group) c.reject(translated);
        return;
      }
      for (const e of unfolded) loaded.state = fold.evolve(loaded.state, e);
      const recorded = appended.map((e, i): RecordedEvent => ({ ...e, streamId: stream, revision: loaded.revision + 1n + BigInt(i), position: positions[i] }));
      const headBefore = loaded.lastPosition;
      for (const e of recorded) loaded.commands.add(e);
      const last = recorded[recorded.length - 1];
      loaded.revision = last.revision;
      loaded.lastPosition = last.position;
      loaded.lastHash = last.metadata.hash ?? GENESIS;
      settle(group, outcomes, loaded, recorded, headBefore);
      return;
    }
  }

  /** For stores that do not report each appended event's position: read them back, by event id. */
  private async positionsOf(stream: string, before: bigint, appended: NewEvent[], lastPosition: bigint): Promise<bigint[]> {
    if (appended.length === 1) return [lastPosition];
    const read = await this.store.readStream(stream, { fromRevision: before + 1n, maxCount: appended.length });
    const byId = new Map(read.events.map((e) => [e.id, e.position]));
    return appended.map((e) => byId.get(e.id) ?? lastPosition);
  }

  private async catchUp<S, E>(stream: string, fold: Fold<S, E>): Promise<Loaded<S>> {
    let loaded = this.cache.get(stream) as Loaded<S> | undefined;
    if (!loaded) {
      loaded = { state: fold.initialState(), revision: NO_STREAM_REVISION, lastPosition: 0n, lastHash: GENESIS, commands: new RememberedCommands() };
    }
    let result;
    try {
      result = await this.store.readStream(stream, { fromRevision: loaded.revision + 1n });
    } catch (error) {
      throw translateStoreError(error);
    }
    for (const event of result.events) {
      loaded.state = fold.evolve(loaded.state, { type: event.type, data: event.data } as E);
      loaded.revision = event.revision;
      loaded.lastPosition = event.position;
      loaded.lastHash = event.metadata.hash ?? GENESIS;
      loaded.commands.add(event);
    }
    // Touch for LRU order.
    this.cache.delete(stream);
    this.cache.set(stream, loaded as Loaded<unknown>);
    if (this.cache.size > MAX_CACHED_STREAMS) this.cache.delete(this.cache.keys().next().value as string);
    return loaded;
  }
}

/**
 * The next commands of a queue that can share one append: at most MAX_GROUP, one fold,
 * disjoint entries, distinct command ids (a retry of a command in the group waits for the
 * group, then finds its result). A command that names no entries goes alone.
 */
function takeGroup(queue: Job[]): QueuedCommand[] {
  const group: QueuedCommand[] = [];
  const entries = new Set<string>();
  const ids = new Set<string>();
  while (queue.length > 0 && group.length < MAX_GROUP) {
    const next = queue[0];
    if (next.kind !== 'command') break;
    const { touches, request, fold } = next.options;
    if (group.length > 0) {
      if (!touches || fold !== group[0].options.fold || ids.has(request.commandId) || touches.some((t) => entries.has(t))) break;
    }
    group.push(queue.shift() as QueuedCommand);
    if (!touches) break;
    for (const t of touches) entries.add(t);
    ids.add(request.commandId);
  }
  return group;
}

/** Answers each command of a group from its outcome, once its events (if any) are stored. */
function settle(group: QueuedCommand[], outcomes: Outcome[], loaded: Loaded<unknown>, recorded: RecordedEvent[], headBefore = loaded.lastPosition): void {
  group.forEach((c, i) => {
    const outcome = outcomes[i];
    switch (outcome.kind) {
      case 'replay':
        return c.resolve({ events: outcome.events, position: outcome.events[outcome.events.length - 1].position, state: loaded.state, replayed: true });
      case 'refused':
        return c.reject(outcome.error);
      case 'noop':
        return c.resolve({ events: [], position: outcome.at > 0 ? recorded[outcome.at - 1].position : headBefore, state: loaded.state, replayed: false });
      case 'events': {
        const events = recorded.slice(outcome.from, outcome.to);
        return c.resolve({ events, position: events[events.length - 1].position, state: loaded.state, replayed: false });
      }
      default: {
        const never: never = outcome;
        throw new Error(`unknown outcome ${JSON.stringify(never)}`);
      }
    }
  });
}

/** The events a command already produced, if it was handled; refuses a reused id with another payload. */
function previousResult(loaded: Loaded<unknown>, request: RequestContext): readonly RecordedEvent[] | undefined {
  const previous = loaded.commands.get(request.commandId);
  if (!previous) return undefined;
  if (previous.hash !== undefined && previous.hash !== request.commandHash) {
    throw new DomainError('IDEMPOTENCY.KEY_REUSED', 'conflict', 'this idempotency key was already used for a different request');
  }
  return previous.events;
}

/**
 * Command id → its events and fingerprint, for the newest commands of a stream: at most
 * MAX_REMEMBERED_COMMANDS commands and MAX_REMEMBERED_EVENTS events (the newest command is
 * kept whatever its size). A retry older than the window is decided again.
 */
export class RememberedCommands {
  private readonly byId = new Map<string, { hash?: string; events: RecordedEvent[] }>();
  private events = 0;

  constructor(
    private readonly maxCommands = MAX_REMEMBERED_COMMANDS,
    private readonly maxEvents = MAX_REMEMBERED_EVENTS,
  ) {}

  get(commandId: string): { hash?: string; events: readonly RecordedEvent[] } | undefined {
    return this.byId.get(commandId);
  }

  /** How many commands and events are remembered (for tests). */
  get size(): { commands: number; events: number } {
    return { commands: this.byId.size, events: this.events };
  }

  add(event: RecordedEvent): void {
    const id = event.metadata.commandId;
    if (!id) return;
    const entry = this.byId.get(id);
    if (entry) entry.events.push(event);
    else this.byId.set(id, { hash: event.metadata.commandHash, events: [event] });
    this.events++;
    while (this.byId.size > this.maxCommands || (this.events > this.maxEvents && this.byId.size > 1)) {
      const [oldest, { events }] = this.byId.entries().next().value as [string, { events: RecordedEvent[] }];
      this.byId.delete(oldest);
      this.events -= events.length;
    }
  }
}

const isUnavailable = (error: unknown) => error instanceof DomainError && error.code === STORE_UNAVAILABLE;

function translateStoreError(error: unknown): unknown {
  if (error instanceof WrongExpectedRevisionError) {
    return new DomainError('CONCURRENCY.CONFLICT', 'concurrency', 'too many concurrent changes to the same account: retry');
  }
  if (error instanceof EventStoreUnavailableError) return errors.storeUnavailable();
  return error;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
