import { Inject, Injectable } from '@nestjs/common';
import { Actor, actorLabel, Clock, DomainError, EVENT_SCHEMA_VERSION, eventHash, GENESIS, IdGenerator } from '@gatehouse/domain';
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

interface Loaded<S> {
  state: S;
  revision: bigint;
  /** Position of the stream's last event (0n for none). */
  lastPosition: bigint;
  /** Hash of the stream's last event: the next one chains to it. */
  lastHash: string;
  /** command id → its events and fingerprint; the newest MAX_REMEMBERED_COMMANDS of the stream. */
  commands: Map<string, { hash?: string; events: RecordedEvent[] }>;
}

const MAX_RETRIES = 5;
const MAX_CACHED_STREAMS = 2000;
const MAX_REMEMBERED_COMMANDS = 10_000;

/**
 * The whole read → fold → decide → append loop (after EventSourcing.NodeJS's
 * commandHandling.ts). Folded states are cached per stream and caught up by reading
 * only newer events; commands on one stream are serialized within this process, and
 * the expected revision settles races with other processes (re-read, re-decide,
 * bounded retries). Idempotency rides on the stream itself: every event records its
 * command id, so a retried command finds its first result while folding.
 */
@Injectable()
export class CommandRunner {
  private readonly cache = new Map<string, Loaded<unknown>>();
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(IDS) private readonly ids: IdGenerator,
  ) {}

  /** The injected clock's time: deciders receive it in their context. */
  now(): Date {
    return this.clock.now();
  }

  /** The current folded state of a stream (read-only use: do not mutate it). */
  async load<S, E>(stream: string, fold: Fold<S, E>): Promise<{ state: S; lastPosition: bigint }> {
    const loaded = await this.withLock(stream, () => this.catchUp(stream, fold));
    return { state: loaded.state, lastPosition: loaded.lastPosition };
  }

  /**
   * Decides without appending, to refuse early a command whose preparation would write
   * elsewhere first (claiming an email's identity). A retried command is let through:
   * `run` will answer it with the first result.
   */
  async dryRun<S, E>(stream: string, fold: Fold<S, E>, request: RequestContext, decide: (state: S) => E[]): Promise<void> {
    await this.withLock(stream, async () => {
      const loaded = await this.catchUp(stream, fold);
      if (!previousResult(loaded, request)) decide(loaded.state);
    });
  }

  async run<S, E extends { type: string; data: unknown }>(options: {
    stream: string;
    fold: Fold<S, E>;
    account: string;
    request: RequestContext;
    decide: (state: S) => E[];
  }): Promise<CommandResult<S>> {
    const { stream, fold, request } = options;
    return this.withLock(stream, async () => {
      for (let attempt = 0; ; attempt++) {
        const loaded = await this.catchUp(stream, fold);
        const previous = previousResult(loaded, request);
        if (previous) return { events: previous, position: previous[previous.length - 1].position, state: loaded.state, replayed: true };
        const decided = options.decide(loaded.state);
        if (decided.length === 0) return { events: [], position: loaded.lastPosition, state: loaded.state, replayed: false };
        const now = this.clock.now().toISOString();
        // Each event chains to the previous one of its stream (tamper evidence, DESIGN §6).
        let prevHash = loaded.lastHash;
        let revision = loaded.revision;
        const newEvents: NewEvent[] = decided.map((e) => {
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
          metadata.hash = eventHash(sha256Hex, { streamId: stream, revision, type: e.type, data: e.data, metadata: { ...metadata } });
          prevHash = metadata.hash;
          return { id: this.ids.uuid(), type: e.type, data: e.data, metadata };
        });
        try {
          await this.store.appendToStream(stream, newEvents, { expectedRevision: loaded.revision });
        } catch (error) {
          if (error instanceof WrongExpectedRevisionError && attempt < MAX_RETRIES) {
            await sleep(Math.random() * 5 * (attempt + 1));
            continue;
          }
          throw translateStoreError(error);
        }
        // Fold our own events in by reading them back: that also learns their positions.
        const after = await this.catchUp(stream, fold);
        const mine = after.commands.get(request.commandId);
        if (!mine) throw new Error(`appended events of command ${request.commandId} not found in ${stream}`);
        return { events: mine.events, position: mine.events[mine.events.length - 1].position, state: after.state, replayed: false };
      }
    });
  }

  private async catchUp<S, E>(stream: string, fold: Fold<S, E>): Promise<Loaded<S>> {
    let loaded = this.cache.get(stream) as Loaded<S> | undefined;
    if (!loaded) {
      loaded = { state: fold.initialState(), revision: NO_STREAM_REVISION, lastPosition: 0n, lastHash: GENESIS, commands: new Map() };
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
      remember(loaded.commands, event);
    }
    // Touch for LRU order.
    this.cache.delete(stream);
    this.cache.set(stream, loaded as Loaded<unknown>);
    if (this.cache.size > MAX_CACHED_STREAMS) this.cache.delete(this.cache.keys().next().value as string);
    return loaded;
  }

  /** Serializes work per stream in this process (the folded state is mutated in place). */
  private async withLock<T>(stream: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(stream) ?? Promise.resolve();
    const current = previous.then(work, work);
    const tail = current.catch(() => undefined);
    this.locks.set(stream, tail);
    try {
      return await current;
    } finally {
      if (this.locks.get(stream) === tail) this.locks.delete(stream);
    }
  }
}

/** The events a command already produced, if it was handled; refuses a reused id with another payload. */
function previousResult(loaded: Loaded<unknown>, request: RequestContext): RecordedEvent[] | undefined {
  const previous = loaded.commands.get(request.commandId);
  if (!previous) return undefined;
  if (previous.hash !== undefined && previous.hash !== request.commandHash) {
    throw new DomainError('IDEMPOTENCY.KEY_REUSED', 'conflict', 'this idempotency key was already used for a different request');
  }
  return previous.events;
}

function remember(commands: Loaded<unknown>['commands'], event: RecordedEvent): void {
  const id = event.metadata.commandId;
  if (!id) return;
  const entry = commands.get(id);
  if (entry) entry.events.push(event);
  else {
    commands.set(id, { hash: event.metadata.commandHash, events: [event] });
    if (commands.size > MAX_REMEMBERED_COMMANDS) commands.delete(commands.keys().next().value as string);
  }
}

function translateStoreError(error: unknown): unknown {
  if (error instanceof WrongExpectedRevisionError) {
    return new DomainError('CONCURRENCY.CONFLICT', 'concurrency', 'too many concurrent changes to the same account: retry');
  }
  if (error instanceof EventStoreUnavailableError) {
    return new DomainError('EVENT_STORE.UNAVAILABLE', 'unavailable', 'the event store is unavailable: retry later');
  }
  return error;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
