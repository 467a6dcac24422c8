import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { EventStore } from '@gatehouse/event-store';
import { canonicalJson } from '@gatehouse/domain';
import { projectEvent, RedisPermissionCache } from '@gatehouse/permission-cache';

/**
 * What the Redis cache holds under a prefix, as one string (and its SHA-256): every key,
 * sorted, with its value: hashes field by field, JSON values with their keys sorted (the
 * apply script re-encodes records in Lua's table order, which says nothing about their
 * content). Last-used times of keys are left out: they are not built from events.
 */
export async function dumpCache(redis: Redis, prefix: string): Promise<string> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const value = (raw: string) => {
    try {
      return canonicalJson(JSON.parse(raw));
    } catch {
      return raw;
    }
  };
  const lines: string[] = [];
  for (const key of keys.filter((k) => !k.endsWith(':keyuse')).sort()) {
    const name = key.slice(prefix.length);
    const type = await redis.type(key);
    if (type === 'string') lines.push(`${name} = ${value((await redis.get(key))!)}`);
    else if (type === 'hash') {
      const all = await redis.hgetall(key);
      for (const field of Object.keys(all).sort()) lines.push(`${name} [${field}] = ${value(all[field])}`);
    } else if (type === 'set') lines.push(`${name} = {${(await redis.smembers(key)).sort().join(',')}}`);
    else if (type === 'zset') lines.push(`${name} = ${(await redis.zrange(key, 0, -1, 'WITHSCORES')).join(',')}`);
    else if (type === 'list') lines.push(`${name} = [${(await redis.lrange(key, 0, -1)).join(',')}]`);
    else lines.push(`${name} : ${type}`);
  }
  return lines.join('\n');
}

export const checksum = (dump: string) => createHash('sha256').update(dump).digest('hex');

/**
 * The cache a fresh rebuild must equal, built the plainest way under its own prefix:
 * pages of the store applied in order, every operation as projected, nothing coalesced.
 */
export async function referenceCache(store: EventStore, url: string, prefix: string): Promise<void> {
  const cache = RedisPermissionCache.connect(url, prefix);
  try {
    await cache.clear();
    let after: bigint | null = null;
    for (;;) {
      const page = await store.readAll({ after, maxCount: 1000 });
      if (page.length === 0) break;
      await cache.apply(page[page.length - 1].position, page.flatMap(projectEvent));
      after = page[page.length - 1].position;
    }
  } finally {
    await cache.close();
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function redisServerInstalled(): boolean {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return !probe.error && probe.status === 0;
}

/**
 * A redis-server of one test file's own, which it may flush, kill and start again on the
 * same port (empty: no persistence). Never REDIS_URL: these suites destroy data.
 */
export class PrivateRedis {
  private child: ChildProcess | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'gatehouse-private-redis-'));
  constructor(readonly port: number) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir], { stdio: 'ignore' });
    this.child = child;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      const up = await probe.connect().then(
        () => probe.ping().then(() => true),
        () => false,
      );
      probe.disconnect();
      if (up) return;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`redis-server did not start on port ${this.port}`);
      await sleep(50);
    }
  }
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
