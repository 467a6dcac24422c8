import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventMetadata, NewEvent } from '../event-store.port';
import { SqliteEventStore } from './sqlite-event-store';

/**
 * Opt-in measurements (GATEHOUSE_BENCH=1) against the project's targets: >= 1,000
 * commands/s (read the stream, append with the exact revision) and >= 50,000 events/s
 * read through readAll pages of 1,000.
 *
 *   GATEHOUSE_BENCH=1 npx jest sqlite-event-store.bench --selectProjects int
 */
const enabled = process.env.GATEHOUSE_BENCH === '1';

const COMMANDS = 5_000;
const STREAMS = 500;
const READ_EVENTS = 100_000;
const PAGE = 1_000;

describe('SqliteEventStore throughput (GATEHOUSE_BENCH=1)', () => {
  let dir: string;
  let store: SqliteEventStore;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-sqlite-bench-'));
    store = new SqliteEventStore({ file: join(dir, 'events.db') });
  });

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('handles single-event commands with exact expected revisions at >= 1,000/s', async () => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < COMMANDS; i++) {
      const stream = `account-${i % STREAMS}`;
      const { revision } = await store.readStream(stream);
      await store.appendToStream(stream, [event(i)], { expectedRevision: revision });
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const perSecond = Math.round(COMMANDS / seconds);
    console.info(`SqliteEventStore: ${COMMANDS} commands (readStream + appendToStream) in ${(seconds * 1000).toFixed(0)} ms = ${perSecond} commands/s`);
    expect(perSecond).toBeGreaterThanOrEqual(1_000);
  }, 60_000);

  it(`reads ${READ_EVENTS} events through readAll at >= 50,000 events/s`, async () => {
    // Fill up in multi-event appends; this part is not measured.
    let written = Number((await store.headPosition()) ?? 0n);
    for (let s = 0; written < READ_EVENTS; s++) {
      const batch = Array.from({ length: 50 }, (_, i) => event(written + i));
      await store.appendToStream(`bulk-${s}`, batch, { expectedRevision: 'no_stream' });
      written += batch.length;
    }

    const started = process.hrtime.bigint();
    let read = 0;
    let after: bigint | null = null;
    for (;;) {
      const page = await store.readAll({ after, maxCount: PAGE });
      if (page.length === 0) break;
      read += page.length;
      after = page[page.length - 1].position;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const perSecond = Math.round(read / seconds);
    console.info(`SqliteEventStore: readAll ${read} events in pages of ${PAGE} in ${(seconds * 1000).toFixed(0)} ms = ${perSecond} events/s`);
    expect(read).toBe(written);
    expect(perSecond).toBeGreaterThanOrEqual(50_000);
  }, 120_000);
});

function event(i: number): NewEvent {
  const metadata: EventMetadata = {
    actor: 'user:u-1',
    actorKeyId: 'key-1',
    account: 'acct-1',
    commandId: randomUUID(),
    commandHash: 'sha256:0f343b0931126a20f133d67c2b018a3b',
    correlationId: randomUUID(),
    causationId: randomUUID(),
    occurredAt: new Date(1_700_000_000_000 + i).toISOString(),
    schemaVersion: 1,
  };
  return {
    id: randomUUID(),
    type: 'RoleAssigned',
    data: { accountId: 'acct-1', principal: { type: 'user', id: `u${i % 97}` }, role: 'contributor' },
    metadata,
  };
}
