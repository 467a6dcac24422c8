import {
  AllStreamResolvedEvent,
  AllStreamSubscription,
  ANY,
  AppendExpectedRevision,
  BACKWARDS,
  END,
  ErrorType,
  EventData,
  EventStoreDBClient,
  excludeSystemEvents,
  FORWARDS,
  isCommandError,
  NO_STREAM,
  ReadPosition,
  ResolvedEvent,
  START,
  StreamingRead,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import {
  AppendResult,
  BatchHandler,
  checkExpectedRevision,
  EventMetadata,
  EventStore,
  EventStoreUnavailableError,
  ExpectedRevision,
  NewEvent,
  NO_STREAM_REVISION,
  ReadAllOptions,
  ReadStreamResult,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
  WrongExpectedRevisionError,
} from '../event-store.port';

export interface EventStoreDbEventStoreOptions {
  /** e.g. `esdb://localhost:2113?tls=false` */
  connectionString: string;
  /**
   * Upper bound, in ms, on every round trip to the server (and on a subscription's
   * confirmation). The client alone waits forever on a server that accepts
   * connections but never answers. Default 5000.
   */
  deadlineMs?: number;
}

/** Errors of the client that mean "the server is not there right now". */
const UNAVAILABLE_TYPES = new Set<string>([
  ErrorType.UNAVAILABLE,
  ErrorType.DEADLINE_EXCEEDED,
  ErrorType.TIMEOUT,
  ErrorType.CANCELLED,
  ErrorType.NOT_LEADER,
]);

/** Pages read while skipping system events in $all. */
const SCAN_PAGE = 100;

/** Older servers report this commit position on stream reads instead of the real one. */
const UNKNOWN_POSITION = 2n ** 64n - 1n;

type AnyRecorded = NonNullable<ResolvedEvent['event']>;

/**
 * The clustered production store. Positions are $all commit positions: every event
 * written in an implicit transaction (all appends through gRPC) has its own, and they
 * grow in commit order. System events ($-prefixed types or streams) are invisible.
 *
 * Needs EventStoreDB 22.6 or newer, the first to return positions on stream reads.
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private readonly deadlineMs: number;
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private closed = false;

  constructor(options: EventStoreDbEventStoreOptions) {
    this.client = EventStoreDBClient.connectionString(options.connectionString);
    this.deadlineMs = options.deadlineMs ?? 5000;
  }

  async readStream(stream: string, options: { fromRevision?: bigint; maxCount?: number } = {}): Promise<ReadStreamResult> {
    try {
      if (options.maxCount !== undefined && options.maxCount <= 0) return { revision: await this.streamRevision(stream), events: [] };
      const resolved = await this.collect(`readStream ${stream}`, () =>
        this.client.readStream(stream, {
          fromRevision: options.fromRevision ?? START,
          direction: FORWARDS,
          ...(options.maxCount !== undefined ? { maxCount: options.maxCount } : {}),
        }),
      );
      const events = resolved.flatMap((r) => (r.event ? [toRecorded(r.event)] : []));
      // A bounded read may stop short of the end: ask for the stream's last revision then.
      if (events.length > 0 && options.maxCount !== undefined) return { revision: await this.streamRevision(stream), events };
      if (events.length > 0) return { revision: events[events.length - 1].revision, events };
      // Read past the end of an existing stream: the port still wants its revision.
      return { revision: await this.streamRevision(stream), events: [] };
    } catch (error) {
      if (error instanceof StreamNotFoundError) return { revision: NO_STREAM_REVISION, events: [] };
      throw error;
    }
  }

  async appendToStream(stream: string, events: NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    const expected = options.expectedRevision;
    if (events.length === 0) {
      // The server has no "check without writing"; read the revision and check it here.
      const actual = await this.streamRevision(stream);
      checkExpectedRevision(stream, expected, actual);
      return { nextRevision: actual, position: (await this.headPosition()) ?? 0n };
    }
    const proposed = events.map(
      (e) =>
        ({
          id: e.id,
          contentType: 'application/json',
          type: e.type,
          data: e.data ?? null,
          metadata: e.metadata,
        }) as unknown as EventData,
    );
    try {
      const result = await this.withDeadline(`appendToStream ${stream}`, () =>
        this.client.appendToStream(stream, proposed, { expectedRevision: toEsdbExpected(expected), deadline: this.deadlineMs }),
      );
      if (!result.success) throw new WrongExpectedRevisionError(stream, expected, result.nextExpectedRevision);
      // The reply carries the commit position of the last event written.
      const position = result.position?.commit ?? (await this.lastPositionOf(stream));
      return { nextRevision: result.nextExpectedRevision, position };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        const actual = error.actualVersion === NO_STREAM ? NO_STREAM_REVISION : error.actualVersion;
        throw new WrongExpectedRevisionError(stream, expected, actual);
      }
      throw error;
    }
  }

  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    if (options.maxCount <= 0) return [];
    const out: RecordedEvent[] = [];
    // The client's fromPosition is inclusive and cannot filter reads: skip the event at
    // `after` and system events here, reading on until maxCount events are kept.
    let floor = options.after;
    let from: ReadPosition = floor === null ? START : { commit: floor, prepare: floor };
    while (out.length < options.maxCount) {
      const want = out.length === 0 ? options.maxCount + 1 : Math.max(options.maxCount - out.length + 1, SCAN_PAGE);
      const page = await this.collect('readAll', () => this.client.readAll({ fromPosition: from, maxCount: want, direction: FORWARDS }));
      for (const { event } of page) {
        if (!event || (floor !== null && event.position.commit <= floor) || isSystem(event)) continue;
        out.push(toRecorded(event));
        if (out.length === options.maxCount) break;
      }
      const last = page[page.length - 1]?.event;
      if (page.length < want || !last) break;
      from = last.position;
      floor = last.position.commit;
    }
    return out;
  }

  async headPosition(): Promise<bigint | null> {
    let from: ReadPosition = END;
    for (;;) {
      const page = await this.collect('headPosition', () => this.client.readAll({ fromPosition: from, maxCount: SCAN_PAGE, direction: BACKWARDS }));
      const newest = page.find((r) => r.event && !isSystem(r.event))?.event;
      if (newest) return newest.position.commit;
      const last = page[page.length - 1]?.event;
      if (page.length < SCAN_PAGE || !last) return null;
      from = last.position;
    }
  }

  subscribeToAll(options: SubscribeOptions, handler: BatchHandler): Subscription {
    if (this.closed) throw new EventStoreUnavailableError('the EventStoreDB event store is closed');
    const sub = new CatchUpSubscription(this.client, options, handler, this.deadlineMs, (s) => this.subscriptions.delete(s));
    this.subscriptions.add(sub);
    return sub;
  }

  async ping(): Promise<void> {
    await this.collect('ping', () => this.client.readAll({ fromPosition: END, maxCount: 1, direction: BACKWARDS }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    // dispose() waits for open calls to finish, which on a dead server is never.
    await this.withDeadline('close', () => this.client.dispose()).catch(() => undefined);
  }

  /** Revision of the last event of `stream`, or -1n. */
  private async streamRevision(stream: string): Promise<bigint> {
    const last = await this.lastEventOf(stream);
    return last?.revision ?? NO_STREAM_REVISION;
  }

  private async lastPositionOf(stream: string): Promise<bigint> {
    const last = await this.lastEventOf(stream);
    if (!last) throw new Error(`stream ${stream} is empty right after an append`);
    return toRecorded(last).position;
  }

  private async lastEventOf(stream: string): Promise<AnyRecorded | undefined> {
    try {
      const [last] = await this.collect(`readStream ${stream}`, () => this.client.readStream(stream, { fromRevision: END, direction: BACKWARDS, maxCount: 1 }));
      return last?.event;
    } catch (error) {
      if (error instanceof StreamNotFoundError) return undefined;
      throw error;
    }
  }

  /** Reads a whole (bounded) server stream, cancelling it if the deadline passes first. */
  private collect<E>(what: string, open: () => StreamingRead<E>): Promise<E[]> {
    let read: StreamingRead<E> | undefined;
    return this.withDeadline(
      what,
      async () => {
        read = open();
        const out: E[] = [];
        for await (const item of read) out.push(item);
        return out;
      },
      () => {
        read?.destroy();
        read?.cancel().catch(() => undefined);
      },
    );
  }

  private withDeadline<T>(what: string, work: () => Promise<T>, onTimeout?: () => void): Promise<T> {
    return withDeadline(what, this.deadlineMs, work, onTimeout);
  }
}

/**
 * Runs `work` under our own deadline, rejecting with EventStoreUnavailableError when it
 * passes or when the client reports the server unreachable.
 */
function withDeadline<T>(what: string, deadlineMs: number, work: () => Promise<T>, onTimeout?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout?.();
      reject(new EventStoreUnavailableError(`EventStoreDB did not answer ${what} within ${deadlineMs} ms`));
    }, deadlineMs);
    work().then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(toUnavailable(what, error));
      },
    );
  });
}

function toUnavailable(what: string, error: unknown): unknown {
  if (error instanceof Error && isCommandError(error) && UNAVAILABLE_TYPES.has(error.type)) {
    return new EventStoreUnavailableError(`EventStoreDB unavailable during ${what}: ${error.message}`, error);
  }
  return error;
}

/**
 * Catch-up subscription to $all without system events. Events are pulled from the
 * client's stream and handed over in batches of what is already buffered, so a slow
 * handler applies backpressure instead of piling up calls.
 */
class CatchUpSubscription implements Subscription {
  readonly done: Promise<void>;
  private closed = false;
  private readonly stream: AllStreamSubscription;
  private poke: () => void = () => undefined;

  constructor(
    client: EventStoreDBClient,
    options: SubscribeOptions,
    private readonly handler: BatchHandler,
    private readonly deadlineMs: number,
    private readonly onEnd: (s: CatchUpSubscription) => void,
  ) {
    const maxBatch = options.maxBatch ?? 500;
    const after = options.after;
    this.stream = client.subscribeToAll(
      { fromPosition: after === null ? START : { commit: after, prepare: after }, filter: excludeSystemEvents(), resolveLinkTos: false },
      { highWaterMark: maxBatch },
    );
    this.done = this.run(after, maxBatch);
    // A rejection nobody awaits must not crash the process; owners observe `done`.
    this.done.catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.poke();
    await this.done.catch(() => undefined);
  }

  private async run(after: bigint | null, maxBatch: number): Promise<void> {
    let checkpoint = after;
    let alive = false;
    let ended = false;
    let failure: unknown;
    let signalled = false;
    let wake: (() => void) | null = null;
    this.poke = () => {
      signalled = true;
      const w = wake;
      wake = null;
      w?.();
    };
    const onError = (error: Error) => {
      failure ??= toUnavailable('subscribeToAll', error);
      this.poke();
    };
    const onEnd = () => {
      ended = true;
      this.poke();
    };
    this.stream.on('readable', this.poke).on('error', onError).on('end', onEnd).on('close', onEnd);
    this.stream.once('confirmation', () => (alive = true));
    const confirmTimer = setTimeout(() => {
      if (alive) return;
      failure ??= new EventStoreUnavailableError(`EventStoreDB did not confirm subscribeToAll within ${this.deadlineMs} ms`);
      this.poke();
    }, this.deadlineMs);

    try {
      while (!this.closed) {
        signalled = false;
        const batch: RecordedEvent[] = [];
        let resolved: AllStreamResolvedEvent | null;
        while (batch.length < maxBatch && (resolved = this.stream.read() as AllStreamResolvedEvent | null) !== null) {
          alive = true;
          const event = resolved.event;
          // fromPosition is inclusive: the event at the checkpoint was already handled.
          if (!event || isSystem(event) || (checkpoint !== null && event.position.commit <= checkpoint)) continue;
          batch.push(toRecorded(event));
        }
        if (batch.length > 0) {
          await this.handler(batch);
          checkpoint = batch[batch.length - 1].position;
          continue;
        }
        if (failure !== undefined) throw failure;
        if (ended) throw new EventStoreUnavailableError('EventStoreDB ended the subscription to $all');
        if (!signalled) await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      clearTimeout(confirmTimer);
      this.stream.off('readable', this.poke).off('end', onEnd).off('close', onEnd);
      // Keep an error listener: a late stream error must not become an uncaught exception.
      this.stream.on('error', () => undefined).off('error', onError);
      // unsubscribe() waits for the connection, which a dead server never completes.
      await withDeadline('unsubscribe', this.deadlineMs, () => this.stream.unsubscribe()).catch(() => undefined);
      this.stream.destroy();
      this.onEnd(this);
    }
  }
}

function toEsdbExpected(expected: ExpectedRevision): AppendExpectedRevision {
  if (expected === 'any') return ANY;
  if (expected === 'no_stream' || expected === NO_STREAM_REVISION) return NO_STREAM;
  return expected;
}

function isSystem(event: AnyRecorded): boolean {
  return event.type.startsWith('$') || event.streamId.startsWith('$');
}

/** Gatehouse writes JSON data and a JSON metadata object; anything else is not ours. */
function toRecorded(event: AnyRecorded): RecordedEvent {
  const commit = event.position?.commit;
  if (commit === undefined || commit === UNKNOWN_POSITION) {
    throw new Error('EventStoreDB returned no commit position for an event: Gatehouse needs EventStoreDB 22.6 or newer');
  }
  if (!event.isJson) throw new Error(`event ${event.id} in ${event.streamId} is not JSON`);
  const metadata = event.metadata;
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata) || metadata instanceof Uint8Array) {
    throw new Error(`event ${event.id} in ${event.streamId} has no JSON metadata object`);
  }
  return {
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: metadata as unknown as EventMetadata,
    streamId: event.streamId,
    revision: event.revision,
    position: commit,
  };
}
