import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { systemClock } from '@gatehouse/domain';
import { InMemoryEventStore } from '@gatehouse/event-store';
import { RedisPermissionCache } from '@gatehouse/permission-cache';
import { Authenticator, KeyCredential } from '../apps/gatehouse/src/auth/authenticator';
import { KeyLookup } from '../apps/gatehouse/src/auth/key-lookup';
import { KeyUsage } from '../apps/gatehouse/src/auth/key-usage';
import { RootKey } from '../apps/gatehouse/src/auth/root-key';
import { CheckService } from '../apps/gatehouse/src/check/check.service';
import { loadConfig } from '../apps/gatehouse/src/config/config';
import { mintCredential, parseCredential } from '../apps/gatehouse/src/credentials/credentials';
import { ProjectionProgress } from '../apps/gatehouse/src/projector/projection-progress';
import { ACCOUNT, cacheOps, Dataset } from './dataset';
import { benchGrpcRoundTrips, GrpcRedisRoundTrips } from './grpc.bench';
import { Latency, latencyOf } from './measure';

/**
 * Redis figures on a private redis-server: `redis-benchmark` GET (the ceiling of one round
 * trip) beside Gatehouse's own check over RedisPermissionCache (the real CheckService,
 * no HTTP), the round trips it counts (and gRPC's, counted by a proxy: bench/grpc.bench.ts),
 * and what the dataset costs in Redis memory.
 */

export interface RedisBenchmarkFigures {
  clients: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface RedisBenchResult {
  redisBenchmarkGet: RedisBenchmarkFigures[] | { skipped: string };
  /** CheckService.check over RedisPermissionCache, one at a time: one script call each. */
  checkSequential: { checks: number; latencyMs: Latency; perSecond: number };
  /** The same with 10 checks in flight. */
  checkConcurrent10: { checks: number; perSecond: number };
  /** RedisPermissionCache.roundTrips ÷ checks (target ≤ 1). */
  roundTripsPerCheck: number;
  /** The same when the caller presents an API key, verified in the same read (target ≤ 1). */
  roundTripsPerCheckWithKeyCaller: number;
  /** Per checkBulk of 100 items by a key caller (target 1: one read for the caller and every subject). */
  roundTripsPerBatchOf100: number;
  /** The same over gRPC: Redis commands per Check and CheckBulk call, counted by a proxy in front of Redis (target ≤ 1 per Check by a key caller). */
  grpc: GrpcRedisRoundTrips | { skipped: string };
  memory: { users: number; roles: number; usedMemoryBytesPerUser: number; principalsHashBytesPerUser: number; rolesBytes: number; loadSeconds: number };
}

function redisBenchmark(url: string, clients: number, requests: number): RedisBenchmarkFigures | null {
  const u = new URL(url);
  const r = spawnSync('redis-benchmark', ['-h', u.hostname, '-p', u.port || '6379', '-t', 'get', '-n', String(requests), '-c', String(clients), '--csv'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error || r.status !== 0) return null;
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  const lines = r.stdout.trim().split('\n');
  const header = lines[0].replace(/"/g, '').split(',');
  const row = lines.find((l) => l.startsWith('"GET'))?.replace(/"/g, '').split(',');
  if (!row) return null;
  const col = (name: string) => Number(row[header.indexOf(name)]);
  return { clients, requests, requestsPerSecond: Math.round(col('rps')), p50Ms: col('p50_latency_ms'), p99Ms: col('p99_latency_ms') };
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

export async function benchRedis(d: Dataset, o: { quick: boolean; redisUrl: string; log: (s: string) => void }): Promise<RedisBenchResult> {
  const q = o.quick;
  const runs = spawnSync('redis-benchmark', ['--version'], { encoding: 'utf8' });
  let redisBenchmarkGet: RedisBenchResult['redisBenchmarkGet'];
  if (runs.error || runs.status !== 0) redisBenchmarkGet = { skipped: 'redis-benchmark is not installed (Debian: redis-tools)' };
  else {
    const figures = [redisBenchmark(o.redisUrl, 1, q ? 20_000 : 100_000), redisBenchmark(o.redisUrl, 10, q ? 50_000 : 300_000)].filter((x): x is RedisBenchmarkFigures => x !== null);
    redisBenchmarkGet = figures.length > 0 ? figures : { skipped: 'redis-benchmark failed' };
  }
  o.log(`  redis-benchmark GET: ${JSON.stringify(redisBenchmarkGet)}`);

  const prefix = `benchredis${Date.now().toString(36)}`;
  const admin = new Redis(o.redisUrl, { maxRetriesPerRequest: 3 });
  const cache = RedisPermissionCache.connect(o.redisUrl, prefix);
  try {
    // Memory: the account and its roles, then the users, each after the other.
    await admin.ping();
    const m0 = await usedMemory(admin);
    const loadStart = process.hrtime.bigint();
    let position = 1n;
    const batches = [...cacheOps(d, 1000)];
    const firstUserBatch = batches.findIndex((b) => b.some((op) => op.op === 'principal.put'));
    for (const [i, ops] of batches.entries()) {
      if (i === firstUserBatch) {
        // Split the batch that holds the last roles and the first users.
        const roles = ops.filter((op) => op.op !== 'principal.put');
        if (roles.length > 0) await cache.apply(position++, roles);
        break;
      }
      await cache.apply(position++, ops);
    }
    const m1 = await usedMemory(admin);
    for (const [i, ops] of batches.entries()) {
      if (i < firstUserBatch) continue;
      const users = i === firstUserBatch ? ops.filter((op) => op.op === 'principal.put') : ops;
      await cache.apply(position++, users);
    }
    const loadSeconds = Number(process.hrtime.bigint() - loadStart) / 1e9;
    const m2 = await usedMemory(admin);
    const hashBytes = Number(await admin.call('MEMORY', 'USAGE', `${prefix}:{${ACCOUNT}}:principals`, 'SAMPLES', '0'));
    const memory = {
      users: d.users.length,
      roles: d.roles.length,
      usedMemoryBytesPerUser: Math.round((m2 - m1) / d.users.length),
      principalsHashBytesPerUser: Math.round(hashBytes / d.users.length),
      rolesBytes: m1 - m0,
      loadSeconds: Number(loadSeconds.toFixed(2)),
    };
    o.log(`  redis memory: ${memory.usedMemoryBytesPerUser} bytes per user (used_memory), ${memory.principalsHashBytesPerUser} (MEMORY USAGE of the principals hash)`);

    // The real check path over Redis: CheckService with no HTTP in front, and a caller whose key it verifies.
    const config = loadConfig({ GATEHOUSE_ROOT_KEY: 'x'.repeat(32) });
    const progress = new ProjectionProgress(cache);
    const keys = new KeyLookup(cache, new InMemoryEventStore(), config, progress);
    const usage = new KeyUsage(cache, systemClock);
    const service = new CheckService(cache, systemClock, config, progress, keys, new Authenticator(RootKey.fromKey(config.rootKey!), keys, usage, systemClock));
    const minted = mintCredential('gh', 'benchcallerkey');
    await cache.apply(position++, [
      { op: 'key.put', account: ACCOUNT, key: { id: minted.id, status: 'active', owner: { type: 'user', id: d.users[0].id }, secretHash: minted.secretHash } },
    ]);
    const caller = parseCredential(minted.token)!;
    const asCaller = { caller: { kind: 'key', keyId: caller.id, secretHash: caller.secretHash } satisfies KeyCredential };
    const input = (i: number) => {
      const c = d.checks[i % d.checks.length];
      return { principal: c.principal, action: c.request.action, resource: c.request.resource };
    };
    for (let i = 0; i < 500; i++) await service.check(ACCOUNT, input(i));
    const n = q ? 3_000 : 20_000;
    const trips0 = cache.roundTrips;
    const samples: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await service.check(ACCOUNT, input(i));
      samples.push(performance.now() - t);
    }
    const seqSeconds = (performance.now() - t0) / 1000;
    const roundTripsPerCheck = (cache.roundTrips - trips0) / n;
    const m = q ? 10_000 : 60_000;
    let next = 0;
    const t1 = performance.now();
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next < m) await service.check(ACCOUNT, input(next++));
      }),
    );
    const concSeconds = (performance.now() - t1) / 1000;
    const perCall = async (calls: number, call: (i: number) => Promise<unknown>) => {
      const before = cache.roundTrips;
      for (let i = 0; i < calls; i++) await call(i);
      return Number(((cache.roundTrips - before) / calls).toFixed(3));
    };
    const roundTripsPerCheckWithKeyCaller = await perCall(q ? 500 : 2_000, (i) => service.check(ACCOUNT, input(i), asCaller));
    const roundTripsPerBatchOf100 = await perCall(q ? 20 : 100, (i) =>
      service.checkBulk(ACCOUNT, Array.from({ length: 100 }, (_, j) => input(i * 100 + j)), undefined, asCaller),
    );
    await cache.clear();
    const grpc: RedisBenchResult['grpc'] = await benchGrpcRoundTrips({ quick: q, redisUrl: o.redisUrl }).catch((e: unknown) => ({
      skipped: `the gRPC round-trip count failed: ${e instanceof Error ? e.message : String(e)}`,
    }));
    const result: RedisBenchResult = {
      redisBenchmarkGet,
      checkSequential: { checks: n, latencyMs: latencyOf(samples), perSecond: Math.round(n / seqSeconds) },
      checkConcurrent10: { checks: m, perSecond: Math.round(m / concSeconds) },
      roundTripsPerCheck: Number(roundTripsPerCheck.toFixed(3)),
      roundTripsPerCheckWithKeyCaller,
      roundTripsPerBatchOf100,
      grpc,
      memory,
    };
    o.log(`  check over Redis: ${result.roundTripsPerCheck} round trips per check (${roundTripsPerCheckWithKeyCaller} with a key caller, ${roundTripsPerBatchOf100} per batch of 100); p50 ${result.checkSequential.latencyMs.p50} ms one at a time, ${result.checkConcurrent10.perSecond}/s with 10 in flight`);
    o.log(`  gRPC over Redis, Redis commands per call (proxy): ${'skipped' in grpc ? grpc.skipped : `Check ${grpc.perCheckWithKey} (key caller), ${grpc.perCheckRootCaller} (root key); CheckBulk of 100 ${grpc.perBulk100WithKey}`}`);
    return result;
  } finally {
    await cache.close();
    admin.disconnect();
  }
}
