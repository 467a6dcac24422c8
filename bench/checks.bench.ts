import { Decision, evaluate } from '@gatehouse/domain';
import { InProcessPermissionCache } from '@gatehouse/permission-cache';
import { ACCOUNT, BenchCheck, cacheOps, Dataset } from './dataset';
import { Latency, latencyOf, median, rate, round, sampleLatency, timerOverheadUs } from './measure';
import { CasbinPeer, CaslPeer } from './peers';

/**
 * The embedded hot path (InProcessPermissionCache.subjectSync + evaluate) against
 * node-casbin and @casl/ability on the same datasets and the same check mix, on one
 * core (this thread). Decisions are compared first: a peer that answered differently
 * would be measured doing something else.
 */

export interface EngineFigures {
  checksPerSecond: number;
  /** Per check, microseconds, each check timed alone (timer cost included, see timerOverheadUs). */
  latencyUs: Latency;
  rounds: number[];
  /** Share of the check mix allowed (Gatehouse; the peers agree, see `agreement`). */
  allowedShare?: number;
}

export interface DatasetFigures {
  users: number;
  roles: number;
  resources: number;
  teams: number;
  grants: number;
  casbinPolicyLines: number;
  casbinGroupingLines: number;
  casbinLoadSeconds: number;
  gatehouseLoadSeconds: number;
  gatehouse: EngineFigures;
  casl: EngineFigures & { abilitiesBuilt: number };
  casbin: EngineFigures;
  agreement: { checked: number; caslMismatches: number; casbinMismatches: number; casbinChecked: number; examples: string[] };
  /**
   * Large only: the same mix restricted to the active users (every 20th), a working set
   * that fits CASL's LRU (and the processor's caches better). Shows how much of large's
   * cost is memory rather than the size of the account.
   */
  activeUsers?: { users: number; gatehouse: number; casl: number };
  /** Gatehouse's deny reasons over the mix, to show what the mix exercises. */
  reasons: Record<string, number>;
}

/**
 * The floor under the large dataset's figure: one dependent read in a map of 1,000 entries
 * (cache-resident, like everything the small dataset touches) and in one of 100,000 (as
 * large as the large dataset's principals), same key shape, random keys, same run. A large
 * check needs several such reads (the principal's entry and view, its roles' plan, the
 * decision), so its time per check cannot come near the small one's on this machine.
 */
export interface MemoryProbe {
  /** Nanoseconds per Map.get plus one field read of the value, random keys. */
  map1kNs: number;
  map100kNs: number;
}

export function memoryProbe(quick: boolean): MemoryProbe {
  const make = (size: number) => {
    const ids = Array.from({ length: size }, (_, i) => `usr_${i.toString(32).padStart(8, 'a')}`);
    const map = new Map(ids.map((id, i) => [id, { id, n: i }]));
    let x = 7;
    const keys = Array.from({ length: 200_000 }, () => ids[(x = (x * 1103515245 + 12345) >>> 0) % size]);
    return (i: number) => map.get(keys[i % keys.length])!.n;
  };
  const small = make(1_000);
  const large = make(100_000);
  const ns = (fn: (i: number) => number) => 1e9 / rate(fn, quick ? 0.1 : 0.3).perSecond;
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < (quick ? 3 : 5); r++) {
    a.push(ns(small));
    b.push(ns(large));
  }
  return { map1kNs: round(median(a), 1), map100kNs: round(median(b), 1) };
}

export interface ChecksBenchResult {
  timerOverheadUs: number;
  memory: MemoryProbe;
  small: DatasetFigures;
  large: DatasetFigures;
  /** Gatehouse time per check on large ÷ on small (target ≤ 1.2). */
  largeOverSmall: number;
  /** Gatehouse checks/s ÷ the peer's, large dataset (targets ≥ 10 and ≥ 3). */
  vsCasbinLarge: number;
  vsCaslLarge: number;
  vsCasbinSmall: number;
  vsCaslSmall: number;
}

interface Engines {
  gatehouse: (c: BenchCheck) => boolean;
  decide: (c: BenchCheck) => Decision;
  casl: CaslPeer;
  casbin: CasbinPeer;
  loadSeconds: number;
}

export function gatehouseCache(d: Dataset): { cache: InProcessPermissionCache; seconds: number } {
  const start = process.hrtime.bigint();
  const cache = new InProcessPermissionCache();
  let position = 1n;
  for (const ops of cacheOps(d)) cache.applySync(position++, ops);
  return { cache, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

async function engines(d: Dataset): Promise<Engines> {
  const { cache, seconds } = gatehouseCache(d);
  const now = Date.now();
  const gatehouse = (c: BenchCheck) => evaluate(cache.subjectSync(ACCOUNT, { principal: c.principal }).view, c.request, now).allowed;
  const decide = (c: BenchCheck) => evaluate(cache.subjectSync(ACCOUNT, { principal: c.principal }).view, c.request, now);
  return { gatehouse, decide, casl: new CaslPeer(d), casbin: await CasbinPeer.load(d), loadSeconds: seconds };
}

function agreement(d: Dataset, e: Engines, count: number, casbinSeconds: number): DatasetFigures['agreement'] {
  const examples: string[] = [];
  let caslMismatches = 0;
  let casbinMismatches = 0;
  let casbinChecked = 0;
  const deadline = Date.now() + casbinSeconds * 1000;
  const n = Math.min(count, d.checks.length);
  for (let i = 0; i < n; i++) {
    const c = d.checks[i];
    const g = e.gatehouse(c);
    const casl = e.casl.can(c.user, c.verb, c.request.resource);
    if (casl !== g) {
      caslMismatches++;
      if (examples.length < 5) examples.push(`casl ${casl} vs gatehouse ${g}: ${JSON.stringify({ user: d.users[c.user], ...c.request })}`);
    }
    if (Date.now() < deadline) {
      casbinChecked++;
      const cb = e.casbin.can(c.principal.id, c.verb, c.request.resource);
      if (cb !== g) {
        casbinMismatches++;
        if (examples.length < 5) examples.push(`casbin ${cb} vs gatehouse ${g}: ${JSON.stringify({ user: d.users[c.user], ...c.request })}`);
      }
    }
  }
  return { checked: n, caslMismatches, casbinMismatches, casbinChecked, examples };
}

function figures(fn: (i: number) => boolean, rounds: number, seconds: number, latencySeconds: number, d: Dataset): EngineFigures {
  const checks = d.checks;
  const at = (i: number) => fn(i % checks.length);
  const rates: number[] = [];
  let next = 0;
  for (let r = 0; r < rounds; r++) {
    const x = rate(at, seconds, next);
    rates.push(x.perSecond);
    next = x.next;
  }
  const samples = sampleLatency(at, latencySeconds, 300_000, next);
  return { checksPerSecond: Math.round(median(rates)), latencyUs: latencyOf(samples), rounds: rates.map((x) => Math.round(x)) };
}

export async function benchChecks(
  small: Dataset,
  large: Dataset,
  opts: { quick: boolean; log: (s: string) => void },
): Promise<ChecksBenchResult> {
  const q = opts.quick;
  const timer = timerOverheadUs();
  const e: Record<'small' | 'large', Engines> = { small: await engines(small), large: await engines(large) };
  const ds = { small, large };
  opts.log(`  casbin loaded: small ${e.small.casbin.loadSeconds.toFixed(1)} s, large ${e.large.casbin.loadSeconds.toFixed(1)} s`);

  const agree = {
    small: agreement(small, e.small, q ? 5_000 : 20_000, q ? 1 : 5),
    large: agreement(large, e.large, q ? 5_000 : 20_000, q ? 1.5 : 8),
  };
  for (const k of ['small', 'large'] as const) {
    const a = agree[k];
    opts.log(`  agreement ${k}: ${a.checked} checks, CASL mismatches ${a.caslMismatches}; casbin ${a.casbinChecked} checks, mismatches ${a.casbinMismatches}`);
    for (const x of a.examples) opts.log(`    ${x}`);
  }

  // Gatehouse: small and large interleaved round by round (a noisy neighbour hits both alike).
  const gh = (k: 'small' | 'large') => (i: number) => e[k].gatehouse(ds[k].checks[i]);
  const rounds = q ? 3 : 7;
  const sec = q ? 0.4 : 1.5;
  // Warm both shapes up first: JIT, and one whole pass over the mix, so that every principal's
  // memoized view is built, as in a server that has served these users before (the cache keeps
  // every principal's; CASL's LRU of 10,000 reaches its steady state within its own warm-up).
  for (const k of ['small', 'large'] as const) {
    const fn = gh(k);
    for (let i = 0; i < ds[k].checks.length; i++) fn(i);
  }
  rate((i) => gh('small')(i % small.checks.length), q ? 0.3 : 1);
  rate((i) => gh('large')(i % large.checks.length), q ? 0.3 : 1);
  const ghRates: Record<'small' | 'large', number[]> = { small: [], large: [] };
  const offsets = { small: 0, large: 0 };
  for (let r = 0; r < rounds; r++) {
    for (const k of ['small', 'large'] as const) {
      const fn = gh(k);
      const n = ds[k].checks.length;
      const x = rate((i) => fn(i % n), sec, offsets[k]);
      offsets[k] = x.next;
      ghRates[k].push(x.perSecond);
    }
  }
  const ghFigures = (k: 'small' | 'large'): EngineFigures => {
    const fn = gh(k);
    const f = figures(fn, 0, 0, q ? 0.3 : 1, ds[k]);
    f.allowedShare = round(ds[k].checks.slice(0, 20_000).filter((c) => e[k].gatehouse(c)).length / Math.min(20_000, ds[k].checks.length), 3);
    return { ...f, checksPerSecond: Math.round(median(ghRates[k])), rounds: ghRates[k].map((x) => Math.round(x)) };
  };
  const gatehouse = { small: ghFigures('small'), large: ghFigures('large') };
  opts.log(`  gatehouse: small ${gatehouse.small.checksPerSecond}/s, large ${gatehouse.large.checksPerSecond}/s`);

  const peer = (k: 'small' | 'large') => {
    const d = ds[k];
    const casl = e[k].casl;
    const caslFn = (i: number) => {
      const c = d.checks[i];
      return casl.can(c.user, c.verb, c.request.resource);
    };
    rate((i) => caslFn(i % d.checks.length), q ? 0.2 : 0.5);
    const caslFigures = { ...figures(caslFn, q ? 2 : 5, q ? 0.3 : 1, q ? 0.2 : 1, d), abilitiesBuilt: casl.built };
    const cb = e[k].casbin;
    const cbFn = (i: number) => {
      const c = d.checks[i];
      return cb.can(c.principal.id, c.verb, c.request.resource);
    };
    rate((i) => cbFn(i % d.checks.length), q ? 0.2 : 0.5);
    const casbinFigures = figures(cbFn, q ? 1 : 3, q ? 0.5 : 1.5, q ? 0.4 : 1.5, d);
    opts.log(`  ${k}: casl ${caslFigures.checksPerSecond}/s, casbin ${casbinFigures.checksPerSecond}/s`);
    return { casl: caslFigures, casbin: casbinFigures };
  };
  const peers = { small: peer('small'), large: peer('large') };

  const reasons = (k: 'small' | 'large') => {
    const out: Record<string, number> = {};
    const n = Math.min(ds[k].checks.length, 20_000);
    for (let i = 0; i < n; i++) {
      const r = e[k].decide(ds[k].checks[i]).reason;
      out[r] = (out[r] ?? 0) + 1;
    }
    return out;
  };

  const dataset = (k: 'small' | 'large'): DatasetFigures => ({
    users: ds[k].spec.users,
    roles: ds[k].spec.roles,
    resources: ds[k].spec.resources,
    teams: ds[k].teams.length,
    grants: ds[k].grantCount,
    casbinPolicyLines: e[k].casbin.policyLines,
    casbinGroupingLines: e[k].casbin.groupingLines,
    casbinLoadSeconds: round(e[k].casbin.loadSeconds, 2),
    gatehouseLoadSeconds: round(e[k].loadSeconds, 2),
    gatehouse: gatehouse[k],
    casl: peers[k].casl,
    casbin: peers[k].casbin,
    agreement: agree[k],
    reasons: reasons(k),
  });
  const s = dataset('small');
  const l = dataset('large');
  {
    const hot = large.checks.filter((c) => c.user % 20 === 0);
    const gfn = (i: number) => e.large.gatehouse(hot[i % hot.length]);
    const cfn = (i: number) => {
      const c = hot[i % hot.length];
      return e.large.casl.can(c.user, c.verb, c.request.resource);
    };
    rate(gfn, q ? 0.2 : 1);
    rate(cfn, q ? 0.2 : 1);
    const g = median([0, 1, 2].map(() => rate(gfn, q ? 0.15 : 1).perSecond));
    const c = median([0, 1, 2].map(() => rate(cfn, q ? 0.15 : 1).perSecond));
    l.activeUsers = { users: new Set(hot.map((x) => x.user)).size, gatehouse: Math.round(g), casl: Math.round(c) };
    opts.log(`  large, ${l.activeUsers.users} active users: gatehouse ${l.activeUsers.gatehouse}/s, casl ${l.activeUsers.casl}/s`);
  }
  const memory = memoryProbe(q);
  opts.log(`  one random read in a map of 1,000: ${memory.map1kNs} ns; of 100,000: ${memory.map100kNs} ns`);
  return {
    timerOverheadUs: timer,
    memory,
    small: s,
    large: l,
    largeOverSmall: round(s.gatehouse.checksPerSecond / l.gatehouse.checksPerSecond, 3),
    vsCasbinLarge: round(l.gatehouse.checksPerSecond / l.casbin.checksPerSecond, 1),
    vsCaslLarge: round(l.gatehouse.checksPerSecond / l.casl.checksPerSecond, 2),
    vsCasbinSmall: round(s.gatehouse.checksPerSecond / s.casbin.checksPerSecond, 1),
    vsCaslSmall: round(s.gatehouse.checksPerSecond / s.casl.checksPerSecond, 2),
  };
}
