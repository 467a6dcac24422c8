import { compileRole, systemClock } from '@gatehouse/domain';
import { CacheOp, InProcessPermissionCache, PermissionCache, RedisPermissionCache } from '@gatehouse/permission-cache';
import { Config } from '../apps/gatehouse/src/config/config';
import { LookupService } from '../apps/gatehouse/src/lookup/lookup.service';
import { ProjectionProgress } from '../apps/gatehouse/src/projector/projection-progress';
import { latencyOf, Latency } from './measure';

/**
 * LookupResources (issue 5): the first page of 100 with 100,000 registered resources,
 * against the same with 1,000, for four kinds of principal: an `any` grant (the page is
 * the first 100 ids), an `own` grant (1% of resources are theirs), a `team` grant over 3
 * teams (merged sorted sets), and an `any` grant narrowed by an access scope that 1 in
 * 10 resources pass (the sparse case: the page examines ~1,000 candidates).
 */

export interface LookupFigures {
  cache: 'in-process' | 'redis';
  resources: number;
  kinds: Record<string, Latency & { items: number }>;
}

export interface LookupBenchResult {
  runs: LookupFigures[];
  /** p99 of the worst kind at 100,000 ÷ the same at 1,000, per cache. */
  scaling: Record<string, number>;
  worstP99Ms: number;
}

const ACCOUNT = 'lookup-bench';
const KINDS = ['any', 'own', 'team', 'scoped'] as const;

async function load(cache: PermissionCache, total: number): Promise<void> {
  let position = 0n;
  const role = (name: string, grants: { permission: string; condition: 'any' | 'own' | 'team' }[], scopes = {}) =>
    ({ op: 'role.put', account: ACCOUNT, role: compileRole({ name, grants, scopes }) }) as CacheOp;
  const principal = (id: string, roles: string[], teams: string[] = []) =>
    ({ op: 'principal.put', account: ACCOUNT, principal: { type: 'user', id, status: 'active', roles, teams } }) as CacheOp;
  await cache.apply(++position, [
    { op: 'account.put', account: ACCOUNT, record: { status: 'active', scopeDimensions: { env: ['model'] } } },
    role('reader', [{ permission: 'model:read', condition: 'any' }]),
    role('owner', [{ permission: 'model:update', condition: 'own' }]),
    role('teamer', [{ permission: 'model:update', condition: 'team' }]),
    role('prod-reader', [{ permission: 'model:read', condition: 'any' }], { env: ['prod'] }),
    principal('u-any', ['reader']),
    principal('u-own', ['owner']),
    principal('u-team', ['teamer'], ['t1', 't2', 't3']),
    principal('u-scoped', ['prod-reader']),
  ]);
  const BATCH = 2000;
  for (let start = 0; start < total; start += BATCH) {
    const ops: CacheOp[] = [];
    for (let i = start; i < Math.min(total, start + BATCH); i++) {
      // Spread the own and team resources across the id space, so a first page is not just the first ids.
      const owner = i % 100 === 37 ? 'u-own' : `u-${i % 997}`;
      ops.push({
        op: 'resource.put',
        account: ACCOUNT,
        resource: { type: 'model', id: `m-${String((i * 7919) % total).padStart(7, '0')}`, owner, team: `t${i % 50}`, tags: { env: [i % 10 === 3 ? 'prod' : 'dev'] } },
      });
    }
    await cache.apply(++position, ops);
  }
}

async function measure(cache: PermissionCache, kind: 'in-process' | 'redis', total: number, samples: number): Promise<LookupFigures> {
  await load(cache, total);
  const config = { consistencyTimeoutMs: 1000 } as Config;
  const service = new LookupService(cache, systemClock, config, new ProjectionProgress(cache));
  const kinds: LookupFigures['kinds'] = {};
  for (const k of KINDS) {
    const input = { principal: { type: 'user' as const, id: `u-${k}` }, action: k === 'any' || k === 'scoped' ? 'model:read' : 'model:update', limit: 100 };
    let items = 0;
    for (let i = 0; i < Math.min(50, samples); i++) items = (await service.lookupResources(ACCOUNT, input)).resources.length; // warm-up
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t0 = process.hrtime.bigint();
      await service.lookupResources(ACCOUNT, input);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    kinds[k] = { ...latencyOf(times), items };
  }
  return { cache: kind, resources: total, kinds };
}

export async function benchLookup(options: { quick: boolean; redisUrl?: string; log?: (line: string) => void }): Promise<LookupBenchResult> {
  const samples = options.quick ? 200 : 1000;
  const runs: LookupFigures[] = [];
  const makers: [LookupFigures['cache'], () => PermissionCache][] = [['in-process', () => new InProcessPermissionCache()]];
  if (options.redisUrl) makers.push(['redis', () => RedisPermissionCache.connect(options.redisUrl!, `bench-lookup-${process.pid}-${Date.now()}`)]);
  for (const [kind, make] of makers) {
    for (const total of [1_000, 100_000]) {
      const cache = make();
      try {
        const figures = await measure(cache, kind, total, samples);
        options.log?.(`lookup ${kind} ${total}: ${KINDS.map((k) => `${k} p50 ${figures.kinds[k].p50} p99 ${figures.kinds[k].p99} ms (${figures.kinds[k].items})`).join(', ')}`);
        runs.push(figures);
      } finally {
        await cache.clear();
        await cache.close();
      }
    }
  }
  const worst = (r: LookupFigures) => Math.max(...KINDS.map((k) => r.kinds[k].p99));
  const scaling: Record<string, number> = {};
  for (const [kind] of makers) {
    const small = runs.find((r) => r.cache === kind && r.resources === 1_000)!;
    const large = runs.find((r) => r.cache === kind && r.resources === 100_000)!;
    scaling[kind] = Number((worst(large) / worst(small)).toFixed(2));
  }
  return { runs, scaling, worstP99Ms: Math.max(...runs.filter((r) => r.resources === 100_000).map(worst)) };
}

// `node dist/bench/lookup.bench.js [--quick]` runs this bench alone (a private redis-server when REDIS_URL is unset).
if (require.main === module) {
  void (async () => {
    const { startRedisServer } = await import('../test/support/redis-server');
    // No redis-server here: the in-process rows only.
    const redis = process.env.REDIS_URL ? { url: process.env.REDIS_URL, stop: async () => undefined } : await startRedisServer();
    try {
      const result = await benchLookup({ quick: process.argv.includes('--quick'), redisUrl: redis?.url, log: console.log });
      // --json: the whole result on the last line (bench/run.ts runs this file as a child).
      console.log(JSON.stringify(process.argv.includes('--json') ? result : { scaling: result.scaling, worstP99Ms: result.worstP99Ms }));
    } finally {
      await redis?.stop();
    }
  })();
}
