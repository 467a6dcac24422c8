import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { AccountEvent, EVENT_SCHEMA_VERSION, eventHash, GENESIS } from '@gatehouse/domain';
import { NewEvent, SqliteEventStore } from '@gatehouse/event-store';
import { sha256Hex } from '../apps/gatehouse/src/credentials/credentials';
import { ACCOUNT, accessModel, Dataset } from './dataset';

/**
 * A real Gatehouse in a child process (`node dist/apps/gatehouse/src/main.js`), on a
 * loopback port, over a SQLite file seeded with the benchmark's dataset.
 */

export const ROOT_KEY = 'bench-root-key-0123456789abcdef0123456789abcdef';
/** A member holding `admin`, whose API key authenticates the load (as a calling service would). */
export const CALLER_ID = 'usr_benchcaller';
/** A member the projection-lag probe gives and takes `lag-probe` (which alone grants `probe:read`). */
export const PROBE_ID = 'usr_lagprobe';
export const PROBE_ROLE = 'lag-probe';

/**
 * Writes the dataset as the events Gatehouse would have recorded (chained as the command
 * runner chains them): AccountCreated, TeamCreated, RoleCreated, UserAdded. Seeding by
 * commands would take minutes at 100,000 users; what is measured afterwards is the same.
 * Returns the head position.
 */
export async function seedStore(file: string, d: Dataset): Promise<{ events: number; head: bigint; seconds: number }> {
  const start = Date.now();
  const store = new SqliteEventStore({ file });
  const stream = `account-${ACCOUNT}`;
  let revision = -1n;
  let prevHash = GENESIS;
  let events = 0;
  let head = 0n;
  const append = async (batch: AccountEvent[]) => {
    const commandId = randomUUID();
    const now = new Date().toISOString();
    const before = revision;
    const out: NewEvent[] = batch.map((e) => {
      revision += 1n;
      const metadata: NewEvent['metadata'] = {
        actor: 'root',
        account: ACCOUNT,
        commandId,
        correlationId: commandId,
        causationId: commandId,
        occurredAt: now,
        schemaVersion: EVENT_SCHEMA_VERSION,
        prevHash,
      };
      metadata.hash = eventHash(sha256Hex, { streamId: stream, revision, type: e.type, data: e.data, metadata: { ...metadata } });
      prevHash = metadata.hash;
      return { id: randomUUID(), type: e.type, data: e.data, metadata };
    });
    const result = await store.appendToStream(stream, out, { expectedRevision: before < 0n ? 'no_stream' : before });
    head = result.position;
    events += out.length;
  };
  try {
    let batch: AccountEvent[] = [{ type: 'AccountCreated', data: { accountId: ACCOUNT, model: accessModel({ probe: ['read'] }) } }];
    const flush = async (force = false) => {
      if (batch.length >= 1000 || (force && batch.length > 0)) {
        await append(batch);
        batch = [];
      }
    };
    for (const team of d.teams) {
      batch.push({ type: 'TeamCreated', data: { accountId: ACCOUNT, team } });
      await flush();
    }
    for (const role of d.roles) {
      if (role.name === 'admin') continue; // the custom preset's built-in admin is the same `*` grant
      batch.push({ type: 'RoleCreated', data: { accountId: ACCOUNT, role } });
      await flush();
    }
    batch.push({
      type: 'RoleCreated',
      data: { accountId: ACCOUNT, role: { name: PROBE_ROLE, description: 'projection-lag probe', builtIn: false, grants: [{ permission: 'probe:read', condition: 'any' }], scopes: {} } },
    });
    const user = (userId: string, roles: string[], teams: string[]): AccountEvent => ({
      type: 'UserAdded',
      data: { accountId: ACCOUNT, userId, email: `${userId}@bench.test`, roles, teams, reason: 'seed_admin', generation: 1 },
    });
    batch.push(user(CALLER_ID, ['admin'], []), user(PROBE_ID, [], []));
    for (const u of d.users) {
      batch.push(user(u.id, u.roles, u.teams));
      await flush();
    }
    await flush(true);
  } finally {
    await store.close();
  }
  return { events, head, seconds: (Date.now() - start) / 1000 };
}

/**
 * The store's head position now. A server started after others wrote to the store (the
 * commands and lag phases) is ready only once it has projected up to here; waiting for
 * the seed's head alone would leave the projector catching up during the next phase.
 */
export async function storeHead(file: string): Promise<bigint> {
  const store = new SqliteEventStore({ file });
  try {
    return (await store.headPosition()) ?? 0n;
  } finally {
    await store.close();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

export interface Child {
  url: string;
  pid: number;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Starts `node <script>` with `env`, waits until `ready()` says so (bounded). */
export async function startChild(
  script: string,
  env: Record<string, string>,
  o: { port: number; nodeArgs?: string[]; ready: (url: string) => Promise<boolean>; timeoutMs?: number },
): Promise<Child> {
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), script], {
    env: { ...process.env, ...env, PORT: String(o.port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-8000)));
  child.stderr?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-8000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const url = `http://127.0.0.1:${o.port}`;
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const escalate = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(escalate);
  };
  const deadline = Date.now() + (o.timeoutMs ?? 120_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}:\n${output}`);
    if (await o.ready(url).catch(() => false)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${script} was not ready within ${o.timeoutMs ?? 120_000} ms:\n${output}`);
    }
    await sleep(100);
  }
  return { url, pid: child.pid!, process: child, output: () => output, stop };
}

export async function json(url: string, method: string, body?: unknown, key = ROOT_KEY): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* keep the text */
  }
  return { status: res.status, body: parsed };
}

/**
 * Profiles `work` inside a child started with a profile directory (see
 * children/profiler-hook.ts): SIGUSR2 before and after, then waits for the profile file
 * (`.heapprofile` when the child samples allocation, BENCH_PROFILE_KIND=heap).
 */
export async function profileChild<T>(child: Child, dir: string, work: () => Promise<T>, extension = '.cpuprofile'): Promise<{ result: T; file: string | null }> {
  const before = new Set(readdirSync(dir));
  child.process.kill('SIGUSR2');
  await sleep(100);
  const result = await work();
  child.process.kill('SIGUSR2');
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const fresh = readdirSync(dir).find((f) => f.endsWith(extension) && !before.has(f));
    if (fresh) return { result, file: join(dir, fresh) };
    await sleep(100);
  }
  return { result, file: null };
}

/**
 * The node flags `npm start` runs Gatehouse with (package.json's start script), so that the
 * benchmarked server is the one users run, tuning included.
 */
export function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const m = /\bnode((?: --\S+)*) dist\/apps\/gatehouse\/src\/main\.js/.exec(pkg.scripts.start);
  if (!m) throw new Error(`package.json's start script does not run dist/apps/gatehouse/src/main.js: ${pkg.scripts.start}`);
  return m[1].split(' ').filter(Boolean);
}

export interface GatehouseChild extends Child {
  /** An API key of CALLER_ID (admin). */
  callerKey: string;
  startupSeconds: number;
}

/**
 * Starts Gatehouse over `dataDir` (already seeded) and waits until its cache has
 * projected everything up to `head`, then mints the caller's key.
 */
export async function startGatehouse(
  dataDir: string,
  head: bigint,
  o: { redisUrl?: string; redisPrefix?: string; profileDir?: string; nodeArgs?: string[] } = {},
): Promise<GatehouseChild> {
  const started = Date.now();
  mkdirSync(dataDir, { recursive: true });
  if (o.profileDir) mkdirSync(o.profileDir, { recursive: true });
  const child = await startChild(
    join(process.cwd(), 'dist/apps/gatehouse/src/main.js'),
    {
      HOST: '127.0.0.1',
      GRPC_PORT: '0',
      GRPC_HOST: '127.0.0.1',
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_ROOT_KEY: ROOT_KEY,
      LOG_LEVEL: 'warn',
      // The load comes from one address with good keys; the failed-auth limiter never trips, but say so.
      GATEHOUSE_AUTH_FAILURES_PER_MINUTE: '1000000',
      ...(o.redisUrl ? { REDIS_URL: o.redisUrl, REDIS_PREFIX: o.redisPrefix ?? 'bench' } : {}),
      ...(o.profileDir ? { BENCH_PROFILE_DIR: o.profileDir } : {}),
    },
    {
      port: await freePort(),
      nodeArgs: [...startFlags(), ...(o.nodeArgs ?? []), ...(o.profileDir ? ['-r', join(process.cwd(), 'dist/bench/children/profiler-hook.js')] : [])],
      timeoutMs: 300_000,
      ready: async (url) => {
        // Ready when a check that needs the whole seed answers (the projector reached the head)
        // and the audit's snapshot follower has caught up too: it works between requests, and
        // its catch-up over a 100,000-user account would fall into the first measurement.
        const r = await json(`${url}/v1/accounts/${ACCOUNT}/check`, 'POST', {
          principal: { type: 'user', id: PROBE_ID },
          action: 'dataset:read',
          consistency: { atLeast: head.toString() },
        });
        if (r.status !== 200) return false;
        const ready = await json(`${url}/readyz`, 'GET');
        const follower = ready.body?.auditSnapshots as { follower: string; position?: string } | undefined;
        return follower?.follower !== 'running' || BigInt(follower.position ?? '0') >= head;
      },
    },
  );
  try {
    const key = await json(`${child.url}/v1/accounts/${ACCOUNT}/users/${CALLER_ID}/api-keys`, 'POST', { name: 'bench caller' });
    if (key.status !== 201 && key.status !== 200) throw new Error(`minting the caller's key: ${key.status} ${JSON.stringify(key.body)}`);
    return { ...child, callerKey: key.body.key as string, startupSeconds: (Date.now() - started) / 1000 };
  } catch (error) {
    await child.stop();
    throw error;
  }
}
