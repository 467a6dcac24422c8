import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LoggerService } from '@nestjs/common';
import { Clock, systemClock } from '@gatehouse/domain';
import { EventStore, SqliteEventStore } from '@gatehouse/event-store';
import { InProcessPermissionCache, PermissionCache, RedisPermissionCache } from '@gatehouse/permission-cache';
import { RootKey } from '../../apps/gatehouse/src/auth/root-key';
import { buildInfrastructure, createApp, randomIds } from '../../apps/gatehouse/src/bootstrap';
import { loadConfig } from '../../apps/gatehouse/src/config/config';
import { GrpcServer } from '../../apps/gatehouse/src/grpc/grpc-server';

export const ROOT_KEY = 'test-root-key-0123456789abcdef0123456789';

export interface TestGatehouse {
  app: NestFastifyApplication;
  store: EventStore;
  cache: PermissionCache;
  dataDir: string;
  /** Set when the cache is Redis: every key this instance wrote starts with it. */
  redisPrefix?: string;
  /** Set with `grpc: true`: where the gRPC server listens (`127.0.0.1:<free port>`). */
  grpcAddress?: string;
  /** Sends a request through the whole HTTP stack (Fastify inject, no socket). */
  http(method: string, url: string, options?: { key?: string; body?: unknown; headers?: Record<string, string>; raw?: string }): Promise<HttpResult>;
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export interface HttpResult {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test responses are asserted field by field
  headers: Record<string, unknown>;
}

/**
 * A real Gatehouse in this process: real SQLite file, the in-process cache or a
 * real Redis (a private prefix on the test redis-server), real Nest + Fastify.
 */
export async function startGatehouse(
  options: {
    cache?: 'in-process' | 'redis';
    dataDir?: string;
    redisPrefix?: string;
    /** Extra environment for loadConfig (e.g. GATEHOUSE_SEED_ADMINS). */
    env?: Record<string, string>;
    clock?: Clock;
    /** Every line the app logs, at debug level, is pushed here. */
    logs?: string[];
    /** Also serve gRPC, on a free loopback port (GRPC_PORT=0). */
    grpc?: boolean;
  } = {},
): Promise<TestGatehouse> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'gatehouse-e2e-'));
  const config = loadConfig({
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_ROOT_KEY: ROOT_KEY,
    LOG_LEVEL: options.logs ? 'debug' : 'error',
    PORT: '0',
    // Generous on shared, loaded CI machines: only tests that expect the timeout wait this long.
    GATEHOUSE_CONSISTENCY_TIMEOUT_MS: '8000',
    GRPC_PORT: '0',
    GRPC_HOST: '127.0.0.1',
    ...(options.env ?? {}),
  });
  let cache: PermissionCache;
  const redisPrefix = options.redisPrefix ?? `e2e${Math.random().toString(36).slice(2, 10)}`;
  if (options.cache === 'redis') {
    const url = process.env.GATEHOUSE_TEST_REDIS_URL;
    if (!url) throw new Error('GATEHOUSE_TEST_REDIS_URL is not set: the test redis-server did not start');
    cache = await RedisPermissionCache.connect(url, redisPrefix);
  } else {
    cache = new InProcessPermissionCache();
  }
  const store = new SqliteEventStore({ file: join(dataDir, 'events.sqlite') });
  const logs = options.logs;
  const logger: LoggerService | undefined = logs
    ? {
        log: (m: unknown, ...rest: unknown[]) => void logs.push(['log', m, ...rest].map(String).join(' ')),
        error: (m: unknown, ...rest: unknown[]) => void logs.push(['error', m, ...rest].map(String).join(' ')),
        warn: (m: unknown, ...rest: unknown[]) => void logs.push(['warn', m, ...rest].map(String).join(' ')),
        debug: (m: unknown, ...rest: unknown[]) => void logs.push(['debug', m, ...rest].map(String).join(' ')),
        verbose: (m: unknown, ...rest: unknown[]) => void logs.push(['verbose', m, ...rest].map(String).join(' ')),
      }
    : undefined;
  const app = await createApp(
    { config, eventStore: store, permissionCache: cache, rootKey: RootKey.fromKey(ROOT_KEY), clock: options.clock ?? systemClock, ids: randomIds },
    logger,
  );
  void buildInfrastructure; // main.ts wiring is exercised by the start-up test
  const grpcPort = options.grpc ? await app.get(GrpcServer).listen(config.grpcHost, config.grpcPort) : null;
  return {
    app,
    store,
    cache,
    dataDir,
    ...(options.cache === 'redis' ? { redisPrefix } : {}),
    ...(grpcPort !== null ? { grpcAddress: `${config.grpcHost}:${grpcPort}` } : {}),
    async http(method, url, o = {}) {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      if (o.key) headers.authorization = `Bearer ${o.key}`;
      let payload: string | undefined = o.raw;
      if (o.body !== undefined) {
        payload = JSON.stringify(o.body);
        headers['content-type'] ??= 'application/json';
      } else if (o.raw !== undefined) headers['content-type'] ??= 'application/json';
      const res = await app.getHttpAdapter().getInstance().inject({ method: method as 'GET', url, headers, payload });
      let body: unknown = res.body;
      try {
        body = res.body ? JSON.parse(res.body) : undefined;
      } catch {
        /* not JSON: keep the text */
      }
      return { status: res.statusCode, body, headers: res.headers };
    },
    async stop(o = {}) {
      await app.close(); // closes the store and the cache too
      if (!o.keepData && !options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Counts events in the store: refused requests must append nothing. */
export async function eventCount(store: EventStore): Promise<bigint> {
  return (await store.headPosition()) ?? 0n;
}

/** A clock the test moves by hand: expiry is tested without waiting. */
export class TestClock implements Clock {
  constructor(private ms = Date.now()) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A root-key request that must succeed (set-up steps): its body, or an error naming the call. */
export async function asRoot(gh: TestGatehouse, method: string, url: string, body?: unknown): Promise<HttpResult['body']> {
  const res = await gh.http(method, url, { key: ROOT_KEY, ...(body !== undefined ? { body } : {}) });
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * An active member with an API key of its own: invited with `roles`, invitation accepted,
 * key minted. `revision` is the key's: a check asking for it sees the member and the key.
 */
export async function memberWithKey(gh: TestGatehouse, account: string, email: string, roles: string[]): Promise<{ id: string; key: string; keyId: string; revision: string }> {
  const invited = await asRoot(gh, 'POST', `/v1/accounts/${account}/users`, { email, roles });
  await asRoot(gh, 'POST', `/v1/accounts/${account}/invitations/accept`, { token: invited.invitation.token });
  const key = await asRoot(gh, 'POST', `/v1/accounts/${account}/users/${invited.id}/api-keys`, {});
  return { id: invited.id as string, key: key.key as string, keyId: key.id as string, revision: key.revision as string };
}
