import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ACCOUNT, Dataset } from './dataset';
import { commandLoad } from './commands.bench';
import { load, LoadPhase, LoadTarget, maxAndHalf, openLoad } from './load';
import { Latency, latencyOf, median } from './measure';
import { formatFrames, ProfileSummary, summarizeProfile } from './profile';
import { RespProxy, serverBackground, startRespProxy } from './resp-proxy';
import { Child, freePort, GatehouseChild, json, profileChild, PROBE_ID, PROBE_ROLE, ROOT_KEY, seedStore, startChild, startGatehouse, storeHead } from './server';

/**
 * Gatehouse over HTTP in a child process, as `npm start` runs it, against a bare Fastify
 * route in another child, driven by the same load generators at the same concurrency:
 * single checks, batches, commands, projection lag, and (with Redis) round trips per check.
 *
 * The maximum rate comes from autocannon (closed loop, 10 connections); "50% of the
 * maximum" from the open-loop generator (children/open-loop.ts: evenly spaced requests),
 * for each server at half its own maximum and for bare Fastify also at Gatehouse's half
 * rate, so that the tail the machine itself allows at that rate stands beside Gatehouse's.
 */

export interface HttpBenchResult {
  dataset: { users: number; roles: number; events: number; seedSeconds: number };
  connections: number;
  startupSeconds: { inProcess: number; redis: number | null };
  fastify: { max: LoadPhase; half: LoadPhase };
  check: { max: LoadPhase; half: LoadPhase };
  /** Bare Fastify, open loop, at the rate of Gatehouse's half-rate phase (same round). */
  fastifyAtCheckHalf: LoadPhase;
  /** Gatehouse check req/s ÷ bare Fastify req/s, same run (target ≥ 0.8). */
  checkVsFastify: number;
  batch: { itemsPerRequest: number; phase: LoadPhase; checksPerSecond: number } | { skipped: string };
  /**
   * AssignRole/UnassignRole from autocannon (one keep-alive connection and one user per
   * worker, as bench/commands.bench.ts measures them): the server's rate, not a fetch()
   * client's, which costs about as much CPU as the server on this machine.
   */
  commands: { generator: 'autocannon'; workers: number; seconds: number; commandsPerSecond: number; ok: number; failed: number; latencyMs: Latency; failures: string[] };
  lag: ProjectionLag;
  redis:
    | {
        /** How long the counted server was warmed (1 s phases) before counting began. */
        countedAfterWarmupSeconds: number;
        /** Redis commands the server sent per HTTP check (authenticated by an API key), counted by a proxy. */
        roundTripsPerCheckWithKey: number;
        /** The same with the platform root key as the caller (no key to look up). */
        roundTripsPerCheckRootCaller: number;
        /** Per POST …/checks request of 100 items. */
        roundTripsPerBatchOf100: number;
        check: LoadPhase;
        lag: ProjectionLag;
      }
    | { skipped: string };
  /** With --profile: one extra load phase per server, profiled (not part of the figures above). */
  profile?: Record<string, ProfileSummary>;
}

export interface ProjectionLag {
  samples: number;
  /** From the write's response to the answer of a check passing its revision (`consistency.atLeast`) that sees it. */
  lagMs: Latency;
  /** The same check without a write before it: the round-trip part of lagMs. */
  checkRoundTripMs: Latency;
  /** The write itself (AssignRole / UnassignRole), one at a time. */
  writeMs: Latency;
  /** Checks that did not see the write they passed (must be 0). */
  stale: number;
}

function checkBodies(d: Dataset, n: number): string[] {
  return d.checks.slice(0, n).map((c) => JSON.stringify({ principal: c.principal, action: c.request.action, resource: c.request.resource }));
}

function target(url: string, path: string, bodies: string[], key: string, pid?: number): LoadTarget {
  return {
    url,
    pid,
    requests: bodies.map((body) => ({ method: 'POST', path, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body })),
  };
}

async function projectionLag(url: string, key: string, samples: number): Promise<ProjectionLag> {
  const lag: number[] = [];
  const rtt: number[] = [];
  const write: number[] = [];
  let stale = 0;
  const check = (atLeast?: string) =>
    json(`${url}/v1/accounts/${ACCOUNT}/check`, 'POST', { principal: { type: 'user', id: PROBE_ID }, action: 'probe:read', ...(atLeast ? { consistency: { atLeast } } : {}) }, key);
  // Start without the role, whatever an earlier run left.
  await json(`${url}/v1/accounts/${ACCOUNT}/users/${PROBE_ID}/roles/${PROBE_ROLE}`, 'DELETE', undefined, ROOT_KEY);
  for (let i = 0; i < samples; i++) {
    const assign = i % 2 === 0;
    const t0 = performance.now();
    const w = assign
      ? await json(`${url}/v1/accounts/${ACCOUNT}/users/${PROBE_ID}/roles`, 'POST', { role: PROBE_ROLE }, ROOT_KEY)
      : await json(`${url}/v1/accounts/${ACCOUNT}/users/${PROBE_ID}/roles/${PROBE_ROLE}`, 'DELETE', undefined, ROOT_KEY);
    const t1 = performance.now();
    if (w.status >= 300) throw new Error(`lag probe write: ${w.status} ${JSON.stringify(w.body)}`);
    const c = await check(String(w.body.revision));
    const t2 = performance.now();
    if (c.status !== 200 || c.body.allowed !== assign) stale++;
    write.push(t1 - t0);
    lag.push(t2 - t1);
    const t3 = performance.now();
    await check();
    rtt.push(performance.now() - t3);
  }
  return { samples, lagMs: latencyOf(lag), checkRoundTripMs: latencyOf(rtt), writeMs: latencyOf(write), stale };
}

/** AssignRole / UnassignRole pairs from autocannon, `workers` connections (one user each), on the dataset's account. */
async function commands(url: string, d: Dataset, workers: number, seconds: number, pid?: number): Promise<HttpBenchResult['commands']> {
  // One warm-up command folds the account (every event since creation) into the command runner's cache.
  await json(`${url}/v1/accounts/${ACCOUNT}/users/${d.users[0].id}/roles/${PROBE_ROLE}`, 'DELETE');
  const phase = await commandLoad(url, d, workers, seconds, pid);
  return {
    generator: 'autocannon',
    workers,
    seconds: phase.seconds,
    commandsPerSecond: phase.requestsPerSecond,
    ok: phase.ok,
    failed: phase.non2xx + phase.errors,
    latencyMs: phase.latencyMs,
    failures: phase.non2xx + phase.errors > 0 ? [`${phase.non2xx} non-2xx, ${phase.errors} errors or timeouts`] : [],
  };
}

/** 1 s load phases until two in a row reach `rate` req/s, or `maxSeconds` pass; returns the seconds spent. */
async function warmUp(t: LoadTarget, connections: number, rate: number, maxSeconds: number): Promise<number> {
  const start = performance.now();
  let fast = 0;
  while (fast < 2 && performance.now() - start < maxSeconds * 1000) {
    const p = await load(t, { connections, seconds: 1 });
    fast = p.requestsPerSecond >= rate ? fast + 1 : 0;
  }
  return Number(((performance.now() - start) / 1000).toFixed(1));
}

/** Redis commands the server sent per HTTP check, counted by a proxy between them (see resp-proxy.ts). */
async function countRoundTrips(proxy: RespProxy, t: LoadTarget, seconds: number): Promise<{ perCheck: number; commands: number; phase: LoadPhase }> {
  const aside = () => [...proxy.background.values()].reduce((sum, x) => sum + x, 0);
  // Whatever an earlier phase left in flight reaches Redis first, outside this count.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const before = proxy.counter.count - aside();
  const phase = await load(t, { connections: 10, seconds });
  // The requests still in flight when the phase ended were sent, and reach Redis, but
  // were never answered to the generator: let them finish, and divide by what was sent.
  await new Promise((resolve) => setTimeout(resolve, 300));
  // The server's own periodic commands (serverBackground) are left out: they are not the checks'.
  const commands = proxy.counter.count - aside() - before;
  return { perCheck: Number((commands / Math.max(1, phase.sent ?? phase.ok + phase.non2xx)).toFixed(3)), commands, phase };
}

export async function benchHttp(
  d: Dataset,
  o: { quick: boolean; redisUrl?: string; profileDir?: string; log: (s: string) => void },
): Promise<HttpBenchResult> {
  const q = o.quick;
  const connections = 10;
  const warmupSeconds = q ? 0.5 : 3;
  const seconds = q ? 1.5 : 8;
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-http-'));
  const children: Child[] = [];
  try {
    const seed = await seedStore(join(dir, 'events.sqlite'), d);
    o.log(`  seeded ${seed.events} events in ${seed.seconds.toFixed(1)} s`);
    const bodies = checkBodies(d, 1000);

    // The ceiling: bare Fastify, same bodies, same load generator.
    const fastifyChild = await startChild(join(process.cwd(), 'dist/bench/children/fastify-hello.js'), {}, {
      port: await freePort(),
      ready: async (url) => (await fetch(`${url}/hello`)).ok,
    });
    children.push(fastifyChild);
    const fastifyTarget = target(fastifyChild.url, '/hello', bodies, 'none', fastifyChild.pid);

    const gh: GatehouseChild = await startGatehouse(dir, seed.head, { profileDir: o.profileDir ? join(o.profileDir, 'in-process') : undefined });
    children.push(gh);
    o.log(`  gatehouse (in-process cache) ready in ${gh.startupSeconds.toFixed(1)} s`);
    const checkTarget = target(gh.url, `/v1/accounts/${ACCOUNT}/check`, bodies, gh.callerKey, gh.pid);
    const probe = await json(`${gh.url}/v1/accounts/${ACCOUNT}/check`, 'POST', JSON.parse(bodies[0]), gh.callerKey);
    if (probe.status !== 200) throw new Error(`a benchmark check was refused: ${probe.status} ${JSON.stringify(probe.body)}`);

    // Alternate the two servers round by round (a noisy neighbour then hits both alike); medians.
    const rounds = q ? 1 : 3;
    type Round = { max: LoadPhase; half: LoadPhase; fastifyAtCheckHalf?: LoadPhase };
    const f: Round[] = [];
    const c: Round[] = [];
    for (let r = 0; r < rounds; r++) {
      const round: Round = await maxAndHalf(checkTarget, { connections, warmupSeconds, seconds });
      f.push(await maxAndHalf(fastifyTarget, { connections, warmupSeconds, seconds }));
      round.fastifyAtCheckHalf = await openLoad(fastifyTarget, { connections, seconds, rate: round.half.targetRate! });
      c.push(round);
      o.log(
        `  round ${r + 1}: check ${round.max.requestsPerSecond}/s, bare Fastify ${f[r].max.requestsPerSecond}/s (${((100 * round.max.requestsPerSecond) / f[r].max.requestsPerSecond).toFixed(1)}%); ` +
          `p99 at ${round.half.targetRate}/s: check ${round.half.latencyMs.p99} ms, bare Fastify ${round.fastifyAtCheckHalf.latencyMs.p99} ms`,
      );
    }
    // The round whose ratio is the median (each ratio is of two servers measured back to back).
    const ratios = c.map((x, i) => x.max.requestsPerSecond / f[i].max.requestsPerSecond);
    const mid = ratios.indexOf(median(ratios));
    const fastify = f[mid];
    const check = c[mid];
    const fastifyAtCheckHalf = check.fastifyAtCheckHalf!;
    o.log(
      `  check ${check.max.requestsPerSecond}/s (p99 ${check.max.latencyMs.p99} ms; at half rate p99 ${check.half.latencyMs.p99} ms, bare Fastify at that rate ${fastifyAtCheckHalf.latencyMs.p99} ms); bare Fastify ${fastify.max.requestsPerSecond}/s`,
    );
    await fastifyChild.stop();

    // Batches of 100 checks (POST …/checks).
    let batch: HttpBenchResult['batch'];
    const items = 100;
    const batchBodies = Array.from({ length: 20 }, (_, b) =>
      JSON.stringify({ checks: d.checks.slice(b * items, (b + 1) * items).map((x) => ({ principal: x.principal, action: x.request.action, resource: x.request.resource })) }),
    );
    const batchProbe = await json(`${gh.url}/v1/accounts/${ACCOUNT}/checks`, 'POST', JSON.parse(batchBodies[0]), gh.callerKey);
    if (batchProbe.status === 404) batch = { skipped: 'POST /v1/accounts/{a}/checks is not served by this build' };
    else if (batchProbe.status !== 200) throw new Error(`a benchmark batch was refused: ${batchProbe.status} ${JSON.stringify(batchProbe.body).slice(0, 300)}`);
    else {
      const t = target(gh.url, `/v1/accounts/${ACCOUNT}/checks`, batchBodies, gh.callerKey, gh.pid);
      await load(t, { connections, seconds: warmupSeconds });
      const phase = await load(t, { connections, seconds });
      batch = { itemsPerRequest: items, phase, checksPerSecond: phase.requestsPerSecond * items };
      o.log(`  batch: ${batch.checksPerSecond} checks/s in ${phase.requestsPerSecond} requests/s`);
    }

    const lag = await projectionLag(gh.url, gh.callerKey, q ? 30 : 200);
    o.log(`  projection lag p50 ${lag.lagMs.p50} ms, p99 ${lag.lagMs.p99} ms (check round trip p50 ${lag.checkRoundTripMs.p50} ms)`);
    const cmds = await commands(gh.url, d, 8, q ? 2 : 8, gh.pid);
    o.log(`  commands (autocannon, 8 connections): ${cmds.commandsPerSecond}/s (${cmds.failed} failed)`);
    const profile: Record<string, ProfileSummary> = {};
    const profiled = async (name: string, child: Child, dir: string, work: () => Promise<unknown>) => {
      const { file } = await profileChild(child, dir, work);
      if (!file) return o.log(`  profile ${name}: no profile written`);
      profile[name] = summarizeProfile(file);
      o.log(`  profile of ${name} (self time):\n${formatFrames(profile[name].frames).map((l) => `    ${l}`).join('\n')}`);
      o.log(`    by area: ${profile[name].areas.map((a) => `${a.area} ${a.selfPercent}%`).join(', ')}`);
    };
    if (o.profileDir) {
      const pdir = join(o.profileDir, 'in-process');
      await profiled('HTTP check, in-process cache', gh, pdir, () => load(checkTarget, { connections, seconds }));
      await profiled('commands (AssignRole/UnassignRole)', gh, pdir, () => commands(gh.url, d, 8, seconds, gh.pid));
    }
    await gh.stop();

    // Redis: the same server and data with REDIS_URL; the Redis server counts what it is sent.
    let redis: HttpBenchResult['redis'] = { skipped: 'no redis-server (install redis-server, or set REDIS_URL)' };
    let redisStartup: number | null = null;
    if (o.redisUrl) {
      const prefix = `benchhttp${Date.now().toString(36)}`;
      // Throughput and lag with Gatehouse connected straight to Redis.
      // Ready once everything written so far (seed, commands, lag probes) is projected, so
      // that no projection traffic falls into the phases below, the counted one above all.
      const head = await storeHead(join(dir, 'events.sqlite'));
      const rgh = await startGatehouse(dir, head, { redisUrl: o.redisUrl, redisPrefix: prefix, profileDir: o.profileDir ? join(o.profileDir, 'redis') : undefined });
      children.push(rgh);
      redisStartup = rgh.startupSeconds;
      o.log(`  gatehouse (Redis cache) ready in ${rgh.startupSeconds.toFixed(1)} s`);
      const client = new Redis(o.redisUrl, { maxRetriesPerRequest: 3 });
      let proxy: RespProxy | null = null;
      try {
        const t = target(rgh.url, `/v1/accounts/${ACCOUNT}/check`, bodies, rgh.callerKey, rgh.pid);
        await load(t, { connections, seconds: warmupSeconds });
        const phase = await load(t, { connections, seconds });
        const rlag = await projectionLag(rgh.url, rgh.callerKey, q ? 30 : 200);
        if (o.profileDir) await profiled('HTTP check, Redis cache', rgh, join(o.profileDir, 'redis'), () => load(t, { connections, seconds }));
        await rgh.stop();
        // Round trips: the same server again (it resumes from the checkpoint in Redis), through a counting proxy.
        proxy = await startRespProxy(o.redisUrl, { background: serverBackground });
        const counted = await startGatehouse(dir, await storeHead(join(dir, 'events.sqlite')), { redisUrl: proxy.url, redisPrefix: prefix });
        children.push(counted);
        const tk = target(counted.url, `/v1/accounts/${ACCOUNT}/check`, bodies, counted.callerKey, counted.pid);
        // Counted in steady state: a server resuming from a populated Redis is slow for its
        // first seconds (on the large dataset it answered nothing for ~6 s after it was
        // ready), and those few cold checks would weigh in the count. Warm until it serves
        // at least half the rate measured above, twice in a row (bounded).
        const warmedSeconds = await warmUp(tk, connections, phase.requestsPerSecond / 2, q ? 10 : 30);
        const withKey = await countRoundTrips(proxy, tk, q ? 0.5 : 3);
        const root = await countRoundTrips(proxy, target(counted.url, `/v1/accounts/${ACCOUNT}/check`, bodies, ROOT_KEY, counted.pid), q ? 0.5 : 3);
        const batchCount = await countRoundTrips(proxy, target(counted.url, `/v1/accounts/${ACCOUNT}/checks`, batchBodies, counted.callerKey, counted.pid), q ? 0.5 : 2);
        await counted.stop();
        redis = {
          countedAfterWarmupSeconds: warmedSeconds,
          roundTripsPerCheckWithKey: withKey.perCheck,
          roundTripsPerCheckRootCaller: root.perCheck,
          roundTripsPerBatchOf100: batchCount.perCheck,
          check: phase,
          lag: rlag,
        };
        o.log(
          `  redis: ${phase.requestsPerSecond} checks/s, lag p99 ${rlag.lagMs.p99} ms; Redis commands per HTTP check ${withKey.perCheck} (key caller), ${root.perCheck} (root key), per batch of 100 ${batchCount.perCheck} (counted after ${warmedSeconds} s of warm-up)`,
        );
        // Leave the private prefix empty.
        let cursor = '0';
        do {
          const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length) await client.unlink(...keys);
        } while (cursor !== '0');
      } finally {
        client.disconnect();
        await proxy?.close();
      }
    }

    return {
      dataset: { users: d.spec.users, roles: d.spec.roles, events: seed.events, seedSeconds: Number(seed.seconds.toFixed(1)) },
      connections,
      startupSeconds: { inProcess: Number(gh.startupSeconds.toFixed(1)), redis: redisStartup === null ? null : Number(redisStartup.toFixed(1)) },
      fastify: { max: fastify.max, half: fastify.half },
      check: { max: check.max, half: check.half },
      fastifyAtCheckHalf,
      checkVsFastify: Number((check.max.requestsPerSecond / fastify.max.requestsPerSecond).toFixed(3)),
      batch,
      commands: cmds,
      lag,
      redis,
      ...(o.profileDir ? { profile } : {}),
    };
  } finally {
    for (const child of children) await child.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
