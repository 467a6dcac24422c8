import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccountEvent, presetModel, systemClock } from '@gatehouse/domain';
import { NewEvent, SqliteEventStore } from '@gatehouse/event-store';
import { InProcessPermissionCache, PermissionCache, projectEvent, RedisPermissionCache } from '@gatehouse/permission-cache';
import { AuditService } from '../apps/gatehouse/src/audit/audit.service';
import { CommandRunner } from '../apps/gatehouse/src/commands/command-runner';

/**
 * Issue 7's targets on a real SQLite file: audit export ≥ 50,000 events/s; an as-of
 * check on an account with 1,000,000 events < 50 ms; projection rebuild ≥ 50,000
 * events/s into Redis (and into the in-process cache, for comparison).
 */
export interface AuditBenchResult {
  events: number;
  seedSeconds: number;
  exportEventsPerSecond: number;
  asOfColdMs: number;
  asOfWarmP50Ms: number;
  asOfWarmP99Ms: number;
  rebuildInProcessEventsPerSecond: number;
  rebuildRedisEventsPerSecond: number | null;
  targets: { export: boolean; asOf: boolean; rebuildRedis: boolean | null };
}

function metadata(): NewEvent['metadata'] {
  return { actor: 'root', account: 'big', commandId: randomUUID(), correlationId: 'bench', causationId: 'bench', occurredAt: new Date().toISOString(), schemaVersion: 1 };
}

async function rebuild(store: SqliteEventStore, cache: PermissionCache): Promise<number> {
  await cache.clear();
  const start = process.hrtime.bigint();
  let after: bigint | null = null;
  let n = 0;
  for (;;) {
    const page = await store.readAll({ after, maxCount: 1000 });
    if (page.length === 0) break;
    const ops = page.flatMap(projectEvent);
    await cache.apply(page[page.length - 1].position, ops);
    n += page.length;
    after = page[page.length - 1].position;
  }
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

export async function benchAudit(quick: boolean, redisUrl?: string): Promise<AuditBenchResult> {
  const total = quick ? 50_000 : 1_000_000;
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-audit-'));
  const store = new SqliteEventStore({ file: join(dir, 'events.sqlite') });
  try {
    const seedStart = Date.now();
    const head: AccountEvent[] = [
      { type: 'AccountCreated', data: { accountId: 'big', model: presetModel('fireworks') } },
      ...Array.from({ length: 1000 }, (_, i): AccountEvent => ({
        type: 'UserAdded',
        data: { accountId: 'big', userId: `u${i}`, email: `u${i}@big.test`, roles: ['user'], reason: 'seed_admin', generation: 1 },
      })),
    ];
    let written = 0;
    const batch = (events: AccountEvent[]) => events.map((e): NewEvent => ({ id: randomUUID(), type: e.type, data: e.data, metadata: metadata() }));
    await store.appendToStream('account-big', batch(head), { expectedRevision: 'no_stream' });
    written += head.length;
    for (let i = 0; written < total; i++) {
      const events: AccountEvent[] = [];
      for (let j = 0; j < 1000 && written + events.length < total; j++) {
        const k = i * 1000 + j;
        events.push({
          type: k % 2 === 0 ? 'RoleAssigned' : 'RoleUnassigned',
          data: { accountId: 'big', principal: { type: 'user', id: `u${(k >> 1) % 1000}` }, role: 'contributor' },
        });
      }
      await store.appendToStream('account-big', batch(events), { expectedRevision: 'any' });
      written += events.length;
    }
    const seedSeconds = (Date.now() - seedStart) / 1000;

    const audit = new AuditService(store, systemClock, new CommandRunner(store, systemClock, { next: (p) => `${p}_b`, uuid: randomUUID }));
    // Export: every event of the account, through the same generator the HTTP export streams.
    let exported = 0;
    const exportStart = process.hrtime.bigint();
    for await (const e of audit.events('big')) if (e) exported++;
    const exportEventsPerSecond = exported / (Number(process.hrtime.bigint() - exportStart) / 1e9);

    // As-of: the first answer builds snapshots on the way; later ones start from the nearest.
    const check = (position: bigint) =>
      audit.checkAsOf('big', { type: 'user', id: 'u7' }, { action: 'dataset:delete', resource: { owner: 'x' } }, { position });
    let t = process.hrtime.bigint();
    await check(BigInt(total));
    const asOfColdMs = Number(process.hrtime.bigint() - t) / 1e6;
    const warm: number[] = [];
    for (let i = 0; i < 50; i++) {
      const position = BigInt(1 + Math.floor(((i * 7919) % 1000) / 1000 * total));
      t = process.hrtime.bigint();
      await check(position);
      warm.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    warm.sort((a, b) => a - b);

    const rebuildInProcessEventsPerSecond = await rebuild(store, new InProcessPermissionCache());
    let rebuildRedisEventsPerSecond: number | null = null;
    if (redisUrl) {
      const cache = await RedisPermissionCache.connect(redisUrl, `bench${Date.now()}`);
      rebuildRedisEventsPerSecond = await rebuild(store, cache);
      await cache.clear();
      await cache.close();
    }
    const asOfWarmP99Ms = warm[Math.min(warm.length - 1, Math.floor(warm.length * 0.99))];
    return {
      events: exported,
      seedSeconds: Number(seedSeconds.toFixed(1)),
      exportEventsPerSecond: Math.round(exportEventsPerSecond),
      asOfColdMs: Number(asOfColdMs.toFixed(1)),
      asOfWarmP50Ms: Number(warm[Math.floor(warm.length / 2)].toFixed(2)),
      asOfWarmP99Ms: Number(asOfWarmP99Ms.toFixed(2)),
      rebuildInProcessEventsPerSecond: Math.round(rebuildInProcessEventsPerSecond),
      rebuildRedisEventsPerSecond: rebuildRedisEventsPerSecond === null ? null : Math.round(rebuildRedisEventsPerSecond),
      targets: {
        export: exportEventsPerSecond >= 50_000,
        asOf: asOfWarmP99Ms < 50,
        rebuildRedis: rebuildRedisEventsPerSecond === null ? null : rebuildRedisEventsPerSecond >= 50_000,
      },
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
