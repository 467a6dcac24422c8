import { randomBytes, randomUUID } from 'node:crypto';
import { EventMetadata, EventStore, NewEvent, RecordedEvent, Subscription, WrongExpectedRevisionError } from '../event-store.port';

export interface ContractStore {
  store: EventStore;
  cleanup: () => Promise<void>;
  /**
   * True when the store starts empty and nobody else writes to it (in-memory, a fresh
   * SQLite file). Enables the checks a shared EventStoreDB cannot pass, such as "the
   * head of an empty store is null".
   */
  isolated?: boolean;
}

/**
 * The behaviour every EventStore adapter must show. Each test makes its own store and
 * uses stream names with a random suffix, so the suite also runs against a shared,
 * non-empty EventStoreDB: reads of $all start at the head seen before the test and keep
 * only the test's own streams.
 *
 *   describeEventStoreContract('SqliteEventStore', async () => ({ store, cleanup }));
 */
export function describeEventStoreContract(name: string, make: () => Promise<ContractStore>): void {
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;
    let isolated: boolean;
    let cleanup: (() => Promise<void>) | undefined;
    const openSubscriptions: Subscription[] = [];

    beforeEach(async () => {
      const made = await make();
      store = made.store;
      cleanup = made.cleanup;
      isolated = made.isolated ?? false;
    });

    afterEach(async () => {
      await Promise.all(openSubscriptions.splice(0).map((s) => s.close()));
      await cleanup?.();
      cleanup = undefined;
    });

    function subscribe(...args: Parameters<EventStore['subscribeToAll']>): Subscription {
      const sub = store.subscribeToAll(...args);
      openSubscriptions.push(sub);
      return sub;
    }

    /** Every event of `streams` after `after`, read page by page through readAll. */
    async function readOwn(after: bigint | null, streams: string[], pageSize = 100): Promise<RecordedEvent[]> {
      const own = new Set(streams);
      const out: RecordedEvent[] = [];
      let cursor = after;
      for (;;) {
        const page = await store.readAll({ after: cursor, maxCount: pageSize });
        out.push(...page.filter((e) => own.has(e.streamId)));
        if (page.length < pageSize) return out;
        cursor = page[page.length - 1].position;
      }
    }

    describe('readStream and appendToStream', () => {
      it('readStream with maxCount returns a bounded page and still the stream\'s last revision', async () => {
        const stream = `paged-${Math.random().toString(36).slice(2)}`;
        await store.appendToStream(stream, [0, 1, 2, 3, 4].map((n) => newEvent(`E${n}`)), { expectedRevision: 'no_stream' });
        const page = await store.readStream(stream, { fromRevision: 1n, maxCount: 2 });
        expect(page.revision).toBe(4n);
        expect(page.events.map((e) => e.revision)).toEqual([1n, 2n]);
        expect((await store.readStream(stream, { fromRevision: 4n, maxCount: 10 })).events.map((e) => e.revision)).toEqual([4n]);
        expect((await store.readStream(stream, { maxCount: 0 })).events).toEqual([]);
      });
      it('reads a stream that does not exist as revision -1n with no events', async () => {
        expect(await store.readStream(streamName('missing'))).toEqual({ revision: -1n, events: [] });
        expect(await store.readStream(streamName('missing'), { fromRevision: 3n })).toEqual({ revision: -1n, events: [] });
      });

      it("appends to a new stream with 'no_stream' and reads the events back in order", async () => {
        const stream = streamName('account');
        const events = [newEvent('UserInvited', { n: 0 }), newEvent('RoleAssigned', { n: 1 }), newEvent('RoleAssigned', { n: 2 })];
        const result = await store.appendToStream(stream, events, { expectedRevision: 'no_stream' });
        expect(result.nextRevision).toBe(2n);

        const read = await store.readStream(stream);
        expect(read.revision).toBe(2n);
        expect(read.events.map((e) => [e.streamId, e.revision, e.id, e.type, e.data])).toEqual(
          events.map((e, i) => [stream, BigInt(i), e.id, e.type, e.data]),
        );
        expect(read.events[2].position).toBe(result.position);
        // Adapters that report each event's position must report the ones a read finds.
        if (result.positions) expect(result.positions).toEqual(read.events.map((e) => e.position));
      });

      it('reads payloads (readAllPayloads, where offered) exactly as readAll, without ids and metadata', async () => {
        if (!store.readAllPayloads) return;
        const stream = streamName('payloads');
        await store.appendToStream(stream, [newEvent('A', { n: 1 }), newEvent('B', { n: 2 })], { expectedRevision: 'no_stream' });
        const full = (await store.readAll({ after: null, maxCount: 100_000 })).filter((e) => e.streamId === stream);
        const slim = (await store.readAllPayloads({ after: null, maxCount: 100_000 })).filter((e) => e.streamId === stream);
        expect(slim).toEqual(full.map(({ position, streamId, revision, type, data }) => ({ position, streamId, revision, type, data })));
        const after = full[0].position;
        expect((await store.readAllPayloads({ after, maxCount: 1 }))[0].position).toBe((await store.readAll({ after, maxCount: 1 }))[0].position);
        expect(await store.readAllPayloads({ after: null, maxCount: 0 })).toEqual([]);
      });

      it('appends with the exact expected revision, -1n meaning "no stream"', async () => {
        const stream = streamName('exact');
        expect((await store.appendToStream(stream, [newEvent('A')], { expectedRevision: -1n })).nextRevision).toBe(0n);
        expect((await store.appendToStream(stream, [newEvent('B'), newEvent('C')], { expectedRevision: 0n })).nextRevision).toBe(2n);
        expect((await store.appendToStream(stream, [newEvent('D')], { expectedRevision: 2n })).nextRevision).toBe(3n);
        expect((await store.readStream(stream)).events.map((e) => e.type)).toEqual(['A', 'B', 'C', 'D']);
      });

      it("appends with 'any' whether or not the stream exists", async () => {
        const stream = streamName('any');
        expect((await store.appendToStream(stream, [newEvent('A')], { expectedRevision: 'any' })).nextRevision).toBe(0n);
        expect((await store.appendToStream(stream, [newEvent('B')], { expectedRevision: 'any' })).nextRevision).toBe(1n);
        expect((await store.readStream(stream)).revision).toBe(1n);
      });

      it('refuses a wrong expected revision with WrongExpectedRevisionError and writes nothing', async () => {
        const stream = streamName('conflict');
        const head = await store.appendToStream(stream, [newEvent('A'), newEvent('B')], { expectedRevision: 'no_stream' });

        const stale = store.appendToStream(stream, [newEvent('X')], { expectedRevision: 0n });
        await expect(stale).rejects.toBeInstanceOf(WrongExpectedRevisionError);
        await expect(stale).rejects.toMatchObject({ stream, expected: 0n, actual: 1n, code: 'CONCURRENCY.CONFLICT' });
        await expect(store.appendToStream(stream, [newEvent('X')], { expectedRevision: 'no_stream' })).rejects.toMatchObject({
          expected: 'no_stream',
          actual: 1n,
        });
        await expect(store.appendToStream(stream, [newEvent('X')], { expectedRevision: 5n })).rejects.toBeInstanceOf(WrongExpectedRevisionError);

        const missing = streamName('conflict-missing');
        await expect(store.appendToStream(missing, [newEvent('X')], { expectedRevision: 0n })).rejects.toMatchObject({
          name: 'WrongExpectedRevisionError',
          actual: -1n,
        });

        expect((await store.readStream(stream)).events.map((e) => e.type)).toEqual(['A', 'B']);
        expect(await store.readStream(missing)).toEqual({ revision: -1n, events: [] });
        expect(await readOwn(head.position, [stream, missing])).toEqual([]);
      });

      it('returns the current state for an empty append, still checks the revision, and writes nothing', async () => {
        const stream = streamName('empty-append');
        const first = await store.appendToStream(stream, [newEvent('A')], { expectedRevision: 'no_stream' });
        const empty = await store.appendToStream(stream, [], { expectedRevision: 0n });
        expect(empty.nextRevision).toBe(0n);
        expect(empty.position).toBeGreaterThanOrEqual(first.position);
        await expect(store.appendToStream(stream, [], { expectedRevision: 3n })).rejects.toBeInstanceOf(WrongExpectedRevisionError);

        const missing = streamName('empty-append-missing');
        expect((await store.appendToStream(missing, [], { expectedRevision: 'no_stream' })).nextRevision).toBe(-1n);
        expect(await store.readStream(missing)).toEqual({ revision: -1n, events: [] });
        expect((await store.readStream(stream)).events).toHaveLength(1);
        if (isolated) expect(await store.headPosition()).toBe(first.position);
      });

      it('reads from a revision, reporting the revision of the whole stream', async () => {
        const stream = streamName('from');
        await store.appendToStream(stream, [0, 1, 2, 3, 4].map((n) => newEvent('E', { n })), { expectedRevision: 'no_stream' });

        const tail = await store.readStream(stream, { fromRevision: 2n });
        expect(tail.revision).toBe(4n);
        expect(tail.events.map((e) => [e.revision, e.data])).toEqual([
          [2n, { n: 2 }],
          [3n, { n: 3 }],
          [4n, { n: 4 }],
        ]);
        expect(await store.readStream(stream, { fromRevision: 4n })).toMatchObject({ revision: 4n, events: [{ revision: 4n }] });
        expect(await store.readStream(stream, { fromRevision: 5n })).toEqual({ revision: 4n, events: [] });
        expect((await store.readStream(stream, { fromRevision: 0n })).events).toHaveLength(5);
      });

      it('lets exactly one of several concurrent appends with the same expected revision win', async () => {
        const stream = streamName('race');
        await store.appendToStream(stream, [newEvent('Created')], { expectedRevision: 'no_stream' });

        const contenders = Array.from({ length: 5 }, (_, i) => store.appendToStream(stream, [newEvent('Raced', { i })], { expectedRevision: 0n }));
        const results = await Promise.allSettled(contenders);
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(4);
        for (const r of lost) expect(r.reason).toBeInstanceOf(WrongExpectedRevisionError);

        const read = await store.readStream(stream);
        expect(read.revision).toBe(1n);
        expect(read.events.map((e) => e.type)).toEqual(['Created', 'Raced']);
      });

      it("lets exactly one of several concurrent 'no_stream' appends create the stream", async () => {
        const stream = streamName('race-new');
        const results = await Promise.allSettled(
          Array.from({ length: 4 }, (_, i) => store.appendToStream(stream, [newEvent('Created', { i })], { expectedRevision: 'no_stream' })),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect((await store.readStream(stream)).events).toHaveLength(1);
      });

      it('round-trips data and metadata exactly: nested JSON, unicode, numbers, nulls', async () => {
        const stream = streamName('roundtrip');
        const data = {
          text: 'héllo wörld — 日本語 · עברית · 🧑‍🚀🔑',
          escapes: 'quote " backslash \\ newline \n tab \t nul \u0000 line-sep \u2028',
          numbers: [0, 1, -1, 3.14159, 1e-7, 2 ** 53 - 1, -(2 ** 31)],
          flags: { yes: true, no: false, nothing: null },
          nested: { a: [{ b: [{ c: { d: ['deep', { e: [] }] } }] }], empty: {} },
          emptyString: '',
        };
        const metadata: EventMetadata = {
          ...baseMetadata(),
          actor: 'user:ünïcødé-👤',
          actorKeyId: 'key-1',
          commandHash: 'sha256:abc',
        };
        const event: NewEvent = { id: randomUUID(), type: 'RoundTripped', data, metadata };
        const before = await store.headPosition();
        await store.appendToStream(stream, [event], { expectedRevision: 'no_stream' });
        // Arrays and strings are JSON too.
        await store.appendToStream(stream, [newEvent('ArrayData', [1, 'two', { three: 3 }]), newEvent('StringData', 'just a string')], {
          expectedRevision: 0n,
        });

        const [fromStream, ...rest] = (await store.readStream(stream)).events;
        expect(fromStream).toMatchObject({ id: event.id, type: 'RoundTripped', streamId: stream, revision: 0n });
        expect(fromStream.data).toStrictEqual(data);
        expect(fromStream.metadata).toStrictEqual(metadata);
        expect(rest.map((e) => e.data)).toStrictEqual([[1, 'two', { three: 3 }], 'just a string']);

        const [fromAll] = await readOwn(before, [stream]);
        expect(fromAll).toStrictEqual(fromStream);
      });

      it('does not let callers mutate stored history through inputs or returned objects', async () => {
        const stream = streamName('immutable');
        const event = newEvent('Original', { roles: ['viewer'], nested: { level: 1 } });
        const before = await store.headPosition();
        await store.appendToStream(stream, [event], { expectedRevision: 'no_stream' });

        // Mutate what we passed in...
        (event.data as { roles: string[] }).roles.push('admin');
        event.metadata.actor = 'user:mallory';
        // ...and what we got back.
        const read = await store.readStream(stream);
        const got = read.events[0] as RecordedEvent<string, { roles: string[]; nested: { level: number } }>;
        got.data.roles.push('owner');
        got.data.nested.level = 99;
        got.metadata.account = 'other';
        got.type = 'Forged';
        read.events.push({ ...got, revision: 1n });
        const [fromAll] = (await readOwn(before, [stream])) as typeof read.events;
        (fromAll.data as { roles: string[] }).roles.length = 0;

        const again = await store.readStream(stream);
        expect(again.revision).toBe(0n);
        expect(again.events).toHaveLength(1);
        expect(again.events[0].type).toBe('Original');
        expect(again.events[0].data).toEqual({ roles: ['viewer'], nested: { level: 1 } });
        expect(again.events[0].metadata).toEqual(baseMetadata());
        expect((await readOwn(before, [stream]))[0].data).toEqual({ roles: ['viewer'], nested: { level: 1 } });
      });
    });

    describe('readAll and headPosition', () => {
      it('gives strictly increasing positions in append order, across streams', async () => {
        const a = streamName('pos-a');
        const b = streamName('pos-b');
        const before = await store.headPosition();
        const results = [
          await store.appendToStream(a, [newEvent('A0')], { expectedRevision: 'no_stream' }),
          await store.appendToStream(b, [newEvent('B0'), newEvent('B1')], { expectedRevision: 'no_stream' }),
          await store.appendToStream(a, [newEvent('A1'), newEvent('A2'), newEvent('A3')], { expectedRevision: 0n }),
          await store.appendToStream(b, [newEvent('B2')], { expectedRevision: 1n }),
        ];
        const all = await readOwn(before, [a, b]);
        expect(all.map((e) => e.type)).toEqual(['A0', 'B0', 'B1', 'A1', 'A2', 'A3', 'B2']);
        expectStrictlyIncreasing(all.map((e) => e.position));
        if (before !== null) expect(all[0].position).toBeGreaterThan(before);
        // An append reports the position of its last event.
        expect(results.map((r) => r.position)).toEqual([all[0], all[2], all[5], all[6]].map((e) => e.position));
        // Streams and $all agree on every event.
        const byId = new Map(all.map((e) => [e.id, e]));
        for (const s of [a, b]) for (const e of (await store.readStream(s)).events) expect(e).toStrictEqual(byId.get(e.id));
      });

      it('pages through readAll with an exclusive `after` and at most maxCount events', async () => {
        const stream = streamName('paging');
        const before = await store.headPosition();
        for (let i = 0; i < 7; i++) {
          await store.appendToStream(stream, [newEvent('Paged', { i })], { expectedRevision: i === 0 ? 'no_stream' : BigInt(i - 1) });
        }
        const all = await readOwn(before, [stream]);
        expect(all.map((e) => (e.data as { i: number }).i)).toEqual([0, 1, 2, 3, 4, 5, 6]);

        // `after` is exclusive: starting at an event's position skips that event.
        const afterThird = (await store.readAll({ after: all[2].position, maxCount: 2 })).filter((e) => e.streamId === stream);
        expect(afterThird.map((e) => e.id)).toEqual([all[3].id, all[4].id]);
        expect(await store.readAll({ after: all[2].position, maxCount: 2 })).toHaveLength(2);

        // Pages of 3 cover the events once each, in order.
        const seen: RecordedEvent[] = [];
        let cursor = before;
        for (;;) {
          const page = await store.readAll({ after: cursor, maxCount: 3 });
          expect(page.length).toBeLessThanOrEqual(3);
          if (page.length === 0) break;
          if (cursor !== null) expect(page[0].position).toBeGreaterThan(cursor);
          expectStrictlyIncreasing(page.map((e) => e.position));
          seen.push(...page.filter((e) => e.streamId === stream));
          cursor = page[page.length - 1].position;
        }
        expect(seen.map((e) => e.id)).toEqual(all.map((e) => e.id));

        expect(await store.readAll({ after: all[6].position, maxCount: 10 }).then((p) => p.filter((e) => e.streamId === stream))).toEqual([]);
        if (isolated) {
          expect(await store.readAll({ after: null, maxCount: 100 })).toEqual(all);
          expect(await store.readAll({ after: null, maxCount: 1 })).toEqual([all[0]]);
          expect(await store.readAll({ after: all[6].position, maxCount: 10 })).toEqual([]);
        }
      });

      it('reports the position of the newest event as the head', async () => {
        if (isolated) expect(await store.headPosition()).toBeNull();
        const stream = streamName('head');
        const first = await store.appendToStream(stream, [newEvent('A')], { expectedRevision: 'no_stream' });
        const head1 = await store.headPosition();
        expect(head1).not.toBeNull();
        expect(head1!).toBeGreaterThanOrEqual(first.position);
        const second = await store.appendToStream(stream, [newEvent('B'), newEvent('C')], { expectedRevision: 0n });
        expect(second.position).toBeGreaterThan(first.position);
        expect((await store.headPosition())!).toBeGreaterThanOrEqual(second.position);
        if (isolated) expect(await store.headPosition()).toBe(second.position);
      });
    });

    describe('subscribeToAll', () => {
      it('delivers the events after the checkpoint (exclusive), then live ones, in order and one batch at a time', async () => {
        const a = streamName('sub-a');
        const b = streamName('sub-b');
        await store.appendToStream(a, [newEvent('A0')], { expectedRevision: 'no_stream' });
        const checkpoint = (await store.readStream(a)).events[0].position;
        await store.appendToStream(a, [newEvent('A1'), newEvent('A2')], { expectedRevision: 0n });
        await store.appendToStream(b, [newEvent('B0')], { expectedRevision: 'no_stream' });

        const delivered: RecordedEvent[] = [];
        const batchSizes: number[] = [];
        let inFlight = 0;
        let overlapped = false;
        const sub = subscribe({ after: checkpoint, maxBatch: 2 }, async (batch) => {
          inFlight++;
          if (inFlight > 1) overlapped = true;
          batchSizes.push(batch.length);
          await sleep(5);
          delivered.push(...batch.filter((e) => e.streamId === a || e.streamId === b));
          inFlight--;
        });

        await waitFor(() => delivered.length >= 3, 'existing events');
        await store.appendToStream(b, [newEvent('B1'), newEvent('B2'), newEvent('B3')], { expectedRevision: 0n });
        await store.appendToStream(a, [newEvent('A3')], { expectedRevision: 2n });
        await waitFor(() => delivered.length >= 7, 'live events');
        await sleep(50);

        expect(delivered.map((e) => e.type)).toEqual(['A1', 'A2', 'B0', 'B1', 'B2', 'B3', 'A3']);
        expectStrictlyIncreasing(delivered.map((e) => e.position));
        expect(delivered[0].position).toBeGreaterThan(checkpoint);
        expect(Math.max(...batchSizes)).toBeLessThanOrEqual(2);
        expect(overlapped).toBe(false);
        const fromAll = await readOwn(checkpoint, [a, b]);
        expect(delivered).toStrictEqual(fromAll);

        await sub.close();
        await expect(sub.done).resolves.toBeUndefined();
      });

      it('delivers from the start of the store when the checkpoint is null', async () => {
        if (!isolated) return; // a shared store's full history is not ours to replay
        const stream = streamName('sub-start');
        await store.appendToStream(stream, [newEvent('A'), newEvent('B')], { expectedRevision: 'no_stream' });
        const delivered: RecordedEvent[] = [];
        subscribe({ after: null }, async (batch) => {
          delivered.push(...batch);
        });
        await waitFor(() => delivered.length >= 2, 'events from the start');
        expect(delivered.map((e) => e.type)).toEqual(['A', 'B']);
      });

      it('ends the subscription and rejects `done` when the handler throws', async () => {
        const stream = streamName('sub-fail');
        const before = await store.headPosition();
        let calls = 0;
        const sub = subscribe({ after: before }, async (batch) => {
          if (!batch.some((e) => e.streamId === stream)) return;
          calls++;
          throw new Error('projection exploded');
        });
        await store.appendToStream(stream, [newEvent('Boom')], { expectedRevision: 'no_stream' });
        await expect(sub.done).rejects.toThrow('projection exploded');

        await store.appendToStream(stream, [newEvent('After')], { expectedRevision: 0n });
        await sleep(250);
        expect(calls).toBe(1);
        await sub.close(); // closing an ended subscription is harmless
      });

      it('stops delivering once closed, after the handler in flight has finished', async () => {
        const stream = streamName('sub-close');
        const before = await store.headPosition();
        const delivered: RecordedEvent[] = [];
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let handlerFinished = false;
        const sub = subscribe({ after: before }, async (batch) => {
          const own = batch.filter((e) => e.streamId === stream);
          if (own.length === 0) return;
          delivered.push(...own);
          await gate;
          handlerFinished = true;
        });

        await store.appendToStream(stream, [newEvent('First')], { expectedRevision: 'no_stream' });
        await waitFor(() => delivered.length === 1, 'the first event');
        let closed = false;
        const closing = sub.close().then(() => (closed = true));
        await sleep(50);
        expect(closed).toBe(false); // still waiting for the handler
        release();
        await closing;
        expect(handlerFinished).toBe(true);
        await expect(sub.done).resolves.toBeUndefined();

        await store.appendToStream(stream, [newEvent('Second')], { expectedRevision: 0n });
        await sleep(250);
        expect(delivered.map((e) => e.type)).toEqual(['First']);
      });

      it('stops every subscription when the store closes', async () => {
        const sub = subscribe({ after: await store.headPosition() }, async () => undefined);
        await store.close();
        await expect(sub.done).resolves.toBeUndefined();
      });
    });
  });
}

function streamName(prefix: string): string {
  return `contract_${prefix}-${randomBytes(6).toString('hex')}`;
}

function baseMetadata(): EventMetadata {
  return {
    actor: 'user:u-1',
    account: 'acct-1',
    commandId: 'cmd-1',
    correlationId: 'corr-1',
    causationId: 'cause-1',
    occurredAt: '2025-01-02T03:04:05.678Z',
    schemaVersion: 1,
  };
}

function newEvent(type: string, data: unknown = {}): NewEvent {
  return { id: randomUUID(), type, data, metadata: baseMetadata() };
}

function expectStrictlyIncreasing(values: bigint[]): void {
  for (let i = 1; i < values.length; i++) {
    if (values[i] <= values[i - 1]) throw new Error(`positions not strictly increasing at ${i}: ${values.join(', ')}`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 4000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}
