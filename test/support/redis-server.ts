import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private, throwaway redis-server for integration tests: its own port, its own temp
 * directory, no persistence. Tests never touch a developer's or CI's shared Redis
 * unless REDIS_URL names one on purpose.
 */
export interface RedisServerHandle {
  url: string;
  port: number;
  /** Kills the private server and waits for it to exit; a no-op for an external REDIS_URL. */
  stop(): Promise<void>;
}

/** Where the global teardown finds what the global setup started (both run in jest's parent process). */
export const REDIS_HANDLE = Symbol.for('gatehouse.test.redis');
export type GlobalWithRedis = typeof globalThis & { [REDIS_HANDLE]?: RedisServerHandle };

const STARTUP_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * REDIS_URL wins when set. Otherwise starts `redis-server`; when that is not installed,
 * throws under CI (a suite that silently skips is a suite that silently rots) and
 * returns null elsewhere, leaving the caller to warn.
 */
export async function startRedisServer(): Promise<RedisServerHandle | null> {
  const external = process.env.REDIS_URL;
  if (external) {
    return { url: external, port: Number(new URL(external).port || 6379), stop: async () => undefined };
  }
  if (!redisServerInstalled()) {
    if (process.env.CI === 'true') {
      throw new Error('redis-server is not installed and REDIS_URL is unset: the Redis integration suites cannot run in CI');
    }
    return null;
  }
  // The free port can be taken between probing and binding: try a few times.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await launch(await freePort());
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

function redisServerInstalled(): boolean {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return !probe.error && probe.status === 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not find a free port'))));
    });
  });
}

async function launch(port: number): Promise<RedisServerHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-redis-'));
  const args = ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1', '--daemonize', 'no', '--dir', dir];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A crashed or killed test runner must not leave the server behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await terminate(child, exited);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitForPong(port, child);
  } catch (err) {
    await stop();
    throw new Error(`redis-server on port ${port} did not start: ${(err as Error).message}\n${output}`);
  }
  return { url: `redis://127.0.0.1:${port}`, port, stop };
}

async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  // The escalation timer is cleared once the server exits, so it cannot hold jest open.
  const escalate = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(escalate);
}

async function waitForPong(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited early (code ${child.exitCode}, signal ${child.signalCode})`);
    }
    if (await pingOnce(port)) return;
    await sleep(50);
  }
  throw new Error(`no PONG within ${STARTUP_TIMEOUT_MS} ms`);
}

/** A raw inline PING, so the probe needs no client library and does not retry on its own. */
function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
