import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventMetadata, NewEvent, RecordedEvent } from '../event-store.port';
import { describeEventStoreContract } from '../testing/event-store.contract';
import { SqliteEventStore } from './sqlite-event-store';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'gatehouse-sqlite-es-'));
}

describeEventStoreContract('SqliteEventStore', async () => {
  const dir = tempDir();
  const store = new SqliteEventStore({ file: join(dir, 'events.db'), pollIntervalMs: 20 });
  return {
    store,
    isolated: true,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteEventStore on disk', () => {
  let dir: string;
  const open: SqliteEventStore[] = [];

  beforeEach(() => {
    dir = tempDir();
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  function openStore(file = join(dir, 'events.db'), pollIntervalMs = 20): SqliteEventStore {
    const store = new SqliteEventStore({ file, pollIntervalMs });
    open.push(store);
    return store;
  }

  it('creates missing parent directories', async () => {
    const store = openStore(join(dir, 'nested', 'deeper', 'events.db'));
    await store.appendToStream('s', [newEvent('A')], { expectedRevision: 'no_stream' });
    expect((await store.readStream('s')).revision).toBe(0n);
  });

  it('keeps every event across close and reopen, and continues positions after them', async () => {
    const first = openStore();
    const appended = await first.appendToStream('account-1', [newEvent('A', { n: 1 }), newEvent('B', { n: 2 })], { expectedRevision: 'no_stream' });
    await first.close();

    const second = openStore();
    const read = await second.readStream('account-1');
    expect(read.revision).toBe(1n);
    expect(read.events.map((e) => [e.type, e.data, e.position])).toEqual([
      ['A', { n: 1 }, appended.position - 1n],
      ['B', { n: 2 }, appended.position],
    ]);
    expect(await second.headPosition()).toBe(appended.position);
    const next = await second.appendToStream('account-1', [newEvent('C')], { expectedRevision: 1n });
    expect(next).toEqual({ nextRevision: 2n, position: appended.position + 1n, positions: [appended.position + 1n] });
  });

  it('shares one file between two stores: appends, conflicts and polling subscriptions', async () => {
    const a = openStore();
    const b = openStore();
    await a.appendToStream('shared', [newEvent('FromA')], { expectedRevision: 'no_stream' });
    expect((await b.readStream('shared')).events.map((e) => e.type)).toEqual(['FromA']);

    // b's view of the revision is checked under the write lock, not from a cache.
    await expect(b.appendToStream('shared', [newEvent('Stale')], { expectedRevision: 'no_stream' })).rejects.toMatchObject({ actual: 0n });

    const delivered: RecordedEvent[] = [];
    const sub = a.subscribeToAll({ after: await a.headPosition() }, async (batch) => {
      delivered.push(...batch);
    });
    // Only the poll interval can tell `a` about appends made through `b`.
    await b.appendToStream('shared', [newEvent('FromB1'), newEvent('FromB2')], { expectedRevision: 0n });
    await waitFor(() => delivered.length >= 2);
    expect(delivered.map((e) => e.type)).toEqual(['FromB1', 'FromB2']);
    expect((await a.readAll({ after: null, maxCount: 10 })).map((e) => e.type)).toEqual(['FromA', 'FromB1', 'FromB2']);
    await sub.close();
  });

  it('refuses a file written by a newer schema', async () => {
    const file = join(dir, 'events.db');
    await openStore(file).close();
    const Database = (await import('better-sqlite3')).default;
    const raw = new Database(file);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => new SqliteEventStore({ file })).toThrow(/schema version 99/);
  });

  it('rejects calls after close with EventStoreUnavailableError', async () => {
    const store = openStore();
    await store.close();
    await expect(store.ping()).rejects.toMatchObject({ code: 'EVENT_STORE.UNAVAILABLE' });
    await expect(store.readStream('x')).rejects.toMatchObject({ code: 'EVENT_STORE.UNAVAILABLE' });
  });
});

function newEvent(type: string, data: unknown = {}): NewEvent {
  const metadata: EventMetadata = {
    actor: 'system',
    account: 'acct-1',
    commandId: randomUUID(),
    correlationId: 'c',
    causationId: 'c',
    occurredAt: '2025-01-01T00:00:00.000Z',
    schemaVersion: 1,
  };
  return { id: randomUUID(), type, data, metadata };
}

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
