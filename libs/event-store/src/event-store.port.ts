/**
 * The event store port: the only source of truth in Gatehouse.
 *
 * Positions are global and strictly increasing in commit order (SQLite's rowid,
 * EventStoreDB's commit position). A position is what a client receives as its
 * revision token, so every adapter must guarantee that an event appended later has
 * a greater position than every event already visible to `readAll`.
 */

/** Stream revision of the last event in a stream, or -1n when the stream does not exist. */
export type StreamRevision = bigint;
export const NO_STREAM_REVISION = -1n;

export type ExpectedRevision =
  | bigint // the stream's last revision must be exactly this (-1n: the stream must not exist)
  | 'no_stream'
  | 'any';

export interface EventMetadata {
  /** Who acted: `root`, `user:<id>`, `service_account:<id>`, `system`. */
  actor: string;
  /** The API key id the actor used, when it used one. Never the secret. */
  actorKeyId?: string;
  account: string;
  commandId: string;
  /** Fingerprint of the command payload: the same command id with another payload is refused. */
  commandHash?: string;
  correlationId: string;
  causationId: string;
  /** ISO-8601 time from the injected clock. */
  occurredAt: string;
  schemaVersion: number;
  /** Hash of the previous event of the same stream (64 zeros for the first): the tamper-evident chain. */
  prevHash?: string;
  /** SHA-256 over this event's stream, revision, type, data and metadata (see libs/domain audit/hash-chain). */
  hash?: string;
}

export interface NewEvent<Type extends string = string, Data = unknown> {
  id: string; // uuid
  type: Type;
  data: Data;
  metadata: EventMetadata;
}

export interface RecordedEvent<Type extends string = string, Data = unknown> extends NewEvent<Type, Data> {
  streamId: string;
  /** 0-based index of the event in its stream. */
  revision: bigint;
  /** Global position in the store: the revision token clients see. */
  position: bigint;
}

/** An event as a projection reads it: where it stands and what it says, without its id and metadata. */
export type EventPayload = Pick<RecordedEvent, 'position' | 'streamId' | 'revision' | 'type' | 'data'>;

export interface ReadStreamResult {
  /** Revision of the last event in the stream (not just of those returned); -1n if no stream. */
  revision: StreamRevision;
  events: RecordedEvent[];
}

export interface AppendResult {
  /** Revision of the last appended event. */
  nextRevision: bigint;
  /** Global position of the last appended event. */
  position: bigint;
  /**
   * Global position of each appended event, in order, when the adapter knows them without
   * another read (SQLite, in-memory): the command runner folds its own events without re-reading them.
   */
  positions?: bigint[];
}

export interface ReadAllOptions {
  /** Exclusive: events with a position strictly greater are returned. null = from the start. */
  after: bigint | null;
  maxCount: number;
}

export type BatchHandler = (events: RecordedEvent[]) => Promise<void>;

export interface Subscription {
  /** Stops delivering; resolves once the handler in flight (if any) has finished. */
  close(): Promise<void>;
  /** Resolves or rejects when the subscription ends for good (closed or failed). */
  readonly done: Promise<void>;
}

export interface SubscribeOptions {
  /** Exclusive checkpoint: delivery starts after this position. null = from the start. */
  after: bigint | null;
  /** Upper bound on the size of one delivered batch. */
  maxBatch?: number;
}

export interface EventStore {
  /** `maxCount` bounds the events returned; `revision` is still the stream's last revision. */
  readStream(stream: string, options?: { fromRevision?: bigint; maxCount?: number }): Promise<ReadStreamResult>;
  appendToStream(stream: string, events: NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult>;
  readAll(options: ReadAllOptions): Promise<RecordedEvent[]>;
  /**
   * `readAll` without ids and metadata, for replays: a rebuild reads millions of events
   * and projects only their type and data. Optional; callers fall back to `readAll`.
   */
  readAllPayloads?(options: ReadAllOptions): Promise<EventPayload[]>;
  /** Position of the newest event, or null for an empty store. */
  headPosition(): Promise<bigint | null>;
  /**
   * Delivers every event after the checkpoint, in position order, in batches; then
   * keeps delivering new ones. The handler is never called concurrently with itself.
   * If the handler throws, the subscription ends and `done` rejects with that error.
   */
  subscribeToAll(options: SubscribeOptions, handler: BatchHandler): Subscription;
  /** Cheap liveness probe used by /readyz. Rejects when the store cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The expected revision did not match: someone else appended first. */
export class WrongExpectedRevisionError extends Error {
  readonly code = 'CONCURRENCY.CONFLICT';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: StreamRevision,
  ) {
    super(`stream ${stream}: expected revision ${String(expected)}, actual ${String(actual)}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

/** The store did not answer in time, or is down: callers should retry later. */
export class EventStoreUnavailableError extends Error {
  readonly code = 'EVENT_STORE.UNAVAILABLE';
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'EventStoreUnavailableError';
  }
}

export function checkExpectedRevision(stream: string, expected: ExpectedRevision, actual: StreamRevision): void {
  if (expected === 'any') return;
  const want = expected === 'no_stream' ? NO_STREAM_REVISION : expected;
  if (want !== actual) throw new WrongExpectedRevisionError(stream, expected, actual);
}
