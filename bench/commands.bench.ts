import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccountEvent, presetModel } from '@gatehouse/domain';
import { NewEvent, SqliteEventStore } from '@gatehouse/event-store';
import { PermissionCache, projectEvent, RedisPermissionCache } from '@gatehouse/permission-cache';
import type { Config } from '../apps/gatehouse/src/config/config';
import { ProjectionProgress } from '../apps/gatehouse/src/projector/projection-progress';
import { ProjectorService } from '../apps/gatehouse/src/projector/projector.service';
import { ACCOUNT, Dataset } from './dataset';
import { cpuSeconds, load, LoadPhase, LoadTarget } from './load';
import { Latency, latencyOf, median } from './measure';
import { formatFrames, ProfileSummary, summarizeProfile } from './profile';
import { json, PROBE_ROLE, profileChild, ROOT_KEY, seedStore, startGatehouse } from './server';

/**
 * Issue 8's write-side targets, measured where they are decided:
 * - commands/s: AssignRole/UnassignRole over HTTP against `npm start` on SQLite, by
 *   `workers` concurrent clients, each owning one user of the one benchmark account (so
 *   every command lands on the same stream: the worst case for the per-stream lock);
 * - projection rebuild into Redis, through the projector's own rebuild (what
 *   `gatehouse projection rebuild` runs), next to the plain loop the audit benchmark
 *   times (read 1,000, project, apply), on the same store and the same Redis.
 */
export interface CommandsPhase {
  workers: number;
  seconds: number;
  commandsPerSecond: number;
  ok: number;
  failed: number;
  latencyMs: Latency;
  failures: string[];
  /** CPU the server spent per command (ms), and of this process (the load generator), in cores over the phase. */
  serverCpuMsPerCommand: number | null;
  loadgenCpu: number;
}

export interface RebuildFigures {
  events: number;
  /** The audit benchmark's loop: pages of 1,000, every op sent. */
  plainLoopEventsPerSecond: number;
  /** ProjectorService.rebuild(), until the checkpoint reaches the head. */
  projectorEventsPerSecond: number;
  /** The two, alternated round by round; medians. */
  rounds: number;
}

export interface CommandsBenchResult {
  /** Clients on fetch(), as bench/http.bench.ts drives them: the client costs about as much CPU as the server. */
  commands: CommandsPhase[];
  /** The same commands from autocannon (one keep-alive connection per worker, one user each): the server's own rate. */
  autocannon: (LoadPhase & { workers: number; serverCpuMsPerCommand: number | null })[];
  rebuild: RebuildFigures | { skipped: string };
  profile?: ProfileSummary;
}

/** AssignRole / UnassignRole pairs by `workers` concurrent clients, one user each. */
export async function commandBurst(url: string, d: Dataset, workers: number, seconds: number, pid?: number): Promise<CommandsPhase> {
  const latencies: number[] = [];
  const failures: string[] = [];
  let ok = 0;
  let failed = 0;
  const role = PROBE_ROLE;
  await json(`${url}/v1/accounts/${ACCOUNT}/users/${d.users[0].id}/roles/${role}`, 'DELETE');
  const serverCpu0 = pid ? cpuSeconds(pid) : null;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const user = d.users[w % d.users.length].id;
      for (let i = 0; performance.now() < end; i++) {
        const t = performance.now();
        const r =
          i % 2 === 0
            ? await json(`${url}/v1/accounts/${ACCOUNT}/users/${user}/roles`, 'POST', { role })
            : await json(`${url}/v1/accounts/${ACCOUNT}/users/${user}/roles/${role}`, 'DELETE');
        latencies.push(performance.now() - t);
        if (r.status < 300) ok++;
        else {
          failed++;
          if (failures.length < 5) failures.push(`${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
        }
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const serverCpu1 = pid ? cpuSeconds(pid) : null;
  const cpu = process.cpuUsage(cpu0);
  await Promise.all(Array.from({ length: workers }, (_, w) => json(`${url}/v1/accounts/${ACCOUNT}/users/${d.users[w % d.users.length].id}/roles/${role}`, 'DELETE')));
  return { workers, seconds: Number(elapsed.toFixed(2)), commandsPerSecond: Math.round(ok / elapsed), ok, failed, latencyMs: latencyOf(latencies),
    failures,
    serverCpuMsPerCommand: serverCpu0 !== null && serverCpu1 !== null && ok > 0 ? Number(((1000 * (serverCpu1 - serverCpu0)) / ok).toFixed(3)) : null,
    loadgenCpu: Number(((cpu.user + cpu.system) / 1e6 / elapsed).toFixed(2)),
  };
}

/** The same pairs from autocannon: each connection takes the next user on its first request and keeps it. */
export async function commandLoad(url: string, d: Dataset, workers: number, seconds: number, pid?: number): Promise<LoadPhase & { workers: number; serverCpuMsPerCommand: number | null }> {
  let next = 0;
  const headers = { authorization: `Bearer ${ROOT_KEY}`, 'content-type': 'application/json' };
  type Context = { user?: string };
  const userOf = (context: Context) => (context.user ??= d.users[next++ % d.users.length].id);
  const body = JSON.stringify({ role: PROBE_ROLE });
  const requests = [
    { method: 'POST', setupRequest: (req: object, context: Context) => ({ ...req, method: 'POST', path: `/v1/accounts/${ACCOUNT}/users/${userOf(context)}/roles`, headers, body }) },
    { method: 'DELETE', setupRequest: (req: object, context: Context) => ({ ...req, method: 'DELETE', path: `/v1/accounts/${ACCOUNT}/users/${userOf(context)}/roles/${PROBE_ROLE}`, headers: { authorization: headers.authorization } }) },
  ] as unknown as LoadTarget['requests'];
  const cpu0 = pid ? cpuSeconds(pid) : null;
  const phase = await load({ url, requests, pid }, { connections: workers, seconds });
  const cpu1 = pid ? cpuSeconds(pid) : null;
  await Promise.all(d.users.slice(0, workers).map((u) => json(`${url}/v1/accounts/${ACCOUNT}/users/${u.id}/roles/${PROBE_ROLE}`, 'DELETE')));
  const serverCpuMsPerCommand = cpu0 !== null && cpu1 !== null && phase.ok > 0 ? Number(((1000 * (cpu1 - cpu0)) / phase.ok).toFixed(3)) : null;
  return { ...phase, workers, serverCpuMsPerCommand };
}

/** One big account: 1,000 users, then RoleAssigned/RoleUnassigned pairs up to `total` events (the rebuild and audit benchmarks' store). */
export async function seedRebuildStore(store: SqliteEventStore, total: number): Promise<void> {
  const metadata = (): NewEvent['metadata'] => ({
    actor: 'root',
    account: 'big',
    commandId: randomUUID(),
    correlationId: 'bench',
    causationId: 'bench',
    occurredAt: new Date().toISOString(),
    schemaVersion: 1,
  });
  const batch = (events: AccountEvent[]) => events.map((e): NewEvent => ({ id: randomUUID(), type: e.type, data: e.data, metadata: metadata() }));
  const head: AccountEvent[] = [
    { type: 'AccountCreated', data: { accountId: 'big', model: presetModel('fireworks') } },
    ...Array.from({ length: 1000 }, (_, i): AccountEvent => ({
      type: 'UserAdded',
      data: { accountId: 'big', userId: `u${i}`, email: `u${i}@big.test`, roles: ['user'], reason: 'seed_admin', generation: 1 },
    })),
  ];
  await store.appendToStream('account-big', batch(head), { expectedRevision: 'no_stream' });
  let written = head.length;
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
}

/** Events/s of a plain read-project-apply loop over the whole store, pages of 1,000 (a reference beside the projector's rebuild). */
export async function plainLoop(store: SqliteEventStore, cache: PermissionCache): Promise<number> {
  await cache.clear();
  const start = performance.now();
  let after: bigint | null = null;
  let n = 0;
  for (;;) {
    const page = await store.readAll({ after, maxCount: 1000 });
    if (page.length === 0) break;
    await cache.apply(page[page.length - 1].position, page.flatMap(projectEvent));
    n += page.length;
    after = page[page.length - 1].position;
  }
  return n / ((performance.now() - start) / 1000);
}

async function projectorRebuild(store: SqliteEventStore, cache: PermissionCache): Promise<number> {
  const progress = new ProjectionProgress(cache);
  const projector = new ProjectorService(store, cache, {} as Config, progress);
  const head = (await store.headPosition()) ?? 0n;
  const start = performance.now();
  try {
    await projector.rebuild();
    if (!(await progress.waitFor(head, 600_000))) throw new Error('the projector did not reach the head');
    const seconds = (performance.now() - start) / 1000;
    return Number(head) / seconds;
  } finally {
    await projector.onModuleDestroy();
  }
}

export async function benchRebuild(o: { quick: boolean; redisUrl: string; log: (s: string) => void }): Promise<RebuildFigures> {
  const total = o.quick ? 100_000 : 1_000_000;
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-rebuild-'));
  const store = new SqliteEventStore({ file: join(dir, 'events.sqlite') });
  const cache = RedisPermissionCache.connect(o.redisUrl, `benchrebuild${Date.now().toString(36)}`);
  try {
    await seedRebuildStore(store, total);
    const rounds = o.quick ? 1 : 2;
    const plain: number[] = [];
    const projector: number[] = [];
    for (let r = 0; r < rounds; r++) {
      plain.push(await plainLoop(store, cache));
      projector.push(await projectorRebuild(store, cache));
      o.log(`  rebuild round ${r + 1}: plain loop ${Math.round(plain[r])}/s, projector ${Math.round(projector[r])}/s`);
    }
    return { events: total, plainLoopEventsPerSecond: Math.round(median(plain)), projectorEventsPerSecond: Math.round(median(projector)), rounds };
  } finally {
    await cache.clear().catch(() => undefined);
    await cache.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchCommands(
  d: Dataset,
  o: { quick: boolean; redisUrl?: string; profileDir?: string; log: (s: string) => void; workers?: number[] },
): Promise<CommandsBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-commands-'));
  try {
    const seed = await seedStore(join(dir, 'events.sqlite'), d);
    const profileDir = o.profileDir ? join(o.profileDir, 'commands') : undefined;
    const gh = await startGatehouse(dir, seed.head, { profileDir });
    const commands: CommandsPhase[] = [];
    const autocannon: CommandsBenchResult['autocannon'] = [];
    let profile: ProfileSummary | undefined;
    try {
      const seconds = o.quick ? 2 : 6;
      await commandBurst(gh.url, d, 8, o.quick ? 0.5 : 1, gh.pid); // warm-up: folds the account, JITs the path
      for (const workers of o.workers ?? [8, 32]) {
        const phase = await commandBurst(gh.url, d, workers, seconds, gh.pid);
        commands.push(phase);
        o.log(`  commands (fetch), ${workers} workers: ${phase.commandsPerSecond}/s, p50 ${phase.latencyMs.p50} ms, p99 ${phase.latencyMs.p99} ms, server ${phase.serverCpuMsPerCommand} ms CPU per command, load generator ${phase.loadgenCpu} cores (${phase.failed} failed)`);
        const lean = await commandLoad(gh.url, d, workers, seconds, gh.pid);
        autocannon.push(lean);
        o.log(`  commands (autocannon), ${workers} workers: ${lean.requestsPerSecond}/s, p50 ${lean.latencyMs.p50} ms, p99 ${lean.latencyMs.p99} ms, server ${lean.serverCpuMsPerCommand} ms CPU per command, load generator ${lean.loadgenCpu} cores (${lean.non2xx} non-2xx, ${lean.errors} errors)`);
      }
      if (profileDir) {
        const { file } = await profileChild(gh, profileDir, () => commandLoad(gh.url, d, 32, seconds));
        if (file) {
          profile = summarizeProfile(file);
          o.log(`  profile of commands (self time):\n${formatFrames(profile.frames).map((l) => `    ${l}`).join('\n')}`);
          o.log(`    by area: ${profile.areas.map((a) => `${a.area} ${a.selfPercent}%`).join(', ')}`);
        }
      }
    } finally {
      await gh.stop();
    }
    const rebuild: CommandsBenchResult['rebuild'] = o.redisUrl
      ? await benchRebuild({ quick: o.quick, redisUrl: o.redisUrl, log: o.log })
      : { skipped: 'no redis-server (install redis-server, or set REDIS_URL)' };
    return { commands, autocannon, rebuild, ...(profile ? { profile } : {}) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `node dist/bench/commands.bench.js [--quick] [--profile] [--no-rebuild]`: this part of the benchmark alone. */
if (require.main === module) {
  void (async () => {
    const { generateDataset, SMALL } = await import('./dataset');
    const { startRedisServer } = await import('../test/support/redis-server');
    const quick = process.argv.includes('--quick');
    const log = (s: string) => process.stderr.write(`${s}\n`);
    const redis = process.argv.includes('--no-rebuild') ? null : process.env.REDIS_URL ? { url: process.env.REDIS_URL, stop: async () => undefined } : await startRedisServer();
    try {
      const profileDir = process.argv.includes('--profile') ? mkdtempSync(join(tmpdir(), 'gatehouse-commands-profile-')) : undefined;
      const result = await benchCommands(generateDataset(SMALL), { quick, redisUrl: redis?.url, profileDir, log });
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } finally {
      await redis?.stop();
    }
  })().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
