import {
  AppendResult,
  BatchHandler,
  checkExpectedRevision,
  EventStore,
  ExpectedRevision,
  NewEvent,
  NO_STREAM_REVISION,
  ReadAllOptions,
  ReadStreamResult,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from '../event-store.port';
import { PollingSubscription } from '../polling-subscription';

/** For unit tests and benchmarks of the layers above the store. Holds everything in arrays. */
export class InMemoryEventStore implements EventStore {
  private readonly all: RecordedEvent[] = [];
  private readonly streams = new Map<string, RecordedEvent[]>();
  private readonly subscriptions = new Set<PollingSubscription>();

  async readStream(stream: string, options: { fromRevision?: bigint; maxCount?: number } = {}): Promise<ReadStreamResult> {
    const events = this.streams.get(stream) ?? [];
    const from = Number(options.fromRevision ?? 0n);
    return {
      revision: events.length === 0 ? NO_STREAM_REVISION : BigInt(events.length - 1),
      events: events.slice(from, options.maxCount === undefined ? undefined : from + options.maxCount).map(clone),
    };
  }

  async appendToStream(stream: string, events: NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    const existing = this.streams.get(stream) ?? [];
    const actual = existing.length === 0 ? NO_STREAM_REVISION : BigInt(existing.length - 1);
    checkExpectedRevision(stream, options.expectedRevision, actual);
    if (events.length === 0) {
      return { nextRevision: actual, position: this.all.length === 0 ? 0n : this.all[this.all.length - 1].position };
    }
    const recorded = events.map((e, i) => ({
      ...clone(e),
      streamId: stream,
      revision: actual + 1n + BigInt(i),
      position: BigInt(this.all.length + 1 + i),
    }));
    this.streams.set(stream, [...existing, ...recorded]);
    this.all.push(...recorded);
    for (const s of this.subscriptions) s.wake();
    const last = recorded[recorded.length - 1];
    return { nextRevision: last.revision, position: last.position, positions: recorded.map((e) => e.position) };
  }

  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    // Positions are 1-based indexes into `all`, so `after` is also the slice start.
    const start = options.after === null ? 0 : Number(options.after);
    return this.all.slice(start, start + options.maxCount).map(clone);
  }

  async headPosition(): Promise<bigint | null> {
    return this.all.length === 0 ? null : BigInt(this.all.length);
  }

  subscribeToAll(options: SubscribeOptions, handler: BatchHandler): Subscription {
    const sub = new PollingSubscription((o) => this.readAll(o), options, handler, 50, (s) => this.subscriptions.delete(s));
    this.subscriptions.add(sub);
    return sub;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
  }
}

// Callers must not be able to mutate stored history through a returned object.
function clone<T>(value: T): T {
  return structuredClone(value);
}
