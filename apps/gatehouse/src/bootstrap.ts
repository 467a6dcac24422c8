import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { DomainError, IdGenerator, systemClock } from '@gatehouse/domain';
import { EventStore, EventStoreDbEventStore, SqliteEventStore } from '@gatehouse/event-store';
import { InProcessPermissionCache, PermissionCache, RedisPermissionCache } from '@gatehouse/permission-cache';
import { AppModule, Infrastructure } from './app.module';
import { RootKey } from './auth/root-key';
import { Config, ConfigError } from './config/config';
import { randomId } from './credentials/credentials';

export const randomIds: IdGenerator = { next: (prefix) => `${prefix}_${randomId()}`, uuid: () => randomUUID() };

/** Chooses the adapters the configuration asks for: embedded defaults, or EventStoreDB and Redis. */
export async function buildInfrastructure(config: Config): Promise<Infrastructure & { generatedRootKey?: string }> {
  let rootKey: RootKey;
  let generatedRootKey: string | undefined;
  if (config.rootKey) rootKey = RootKey.fromKey(config.rootKey);
  else if (config.eventStoreConnectionString) {
    throw new ConfigError('GATEHOUSE_ROOT_KEY', 'is required when EVENTSTORE_CONNECTION_STRING is set (no generated key outside embedded mode)');
  } else {
    ({ rootKey, generated: generatedRootKey } = RootKey.embedded(config.dataDir));
  }
  const eventStore: EventStore = config.eventStoreConnectionString
    ? new EventStoreDbEventStore({ connectionString: config.eventStoreConnectionString, deadlineMs: config.eventStoreDeadlineMs })
    : new SqliteEventStore({ file: join(config.dataDir, 'events.sqlite') });
  const permissionCache: PermissionCache = config.redisUrl
    ? await RedisPermissionCache.connect(config.redisUrl, config.redisPrefix)
    : new InProcessPermissionCache();
  return { config, eventStore, permissionCache, rootKey, generatedRootKey, clock: systemClock, ids: randomIds };
}

/** Method and path of every route the app serves, for the test that holds OpenAPI to the server. */
export const registeredRoutes = new WeakMap<object, string[]>();

const LEVELS: Record<Config['logLevel'], LogLevel[] | false> = {
  debug: ['debug', 'log', 'warn', 'error', 'fatal'],
  info: ['log', 'warn', 'error', 'fatal'],
  warn: ['warn', 'error', 'fatal'],
  error: ['error', 'fatal'],
  silent: false,
};

/**
 * On every HTTP answer, errors and 404s included (test/e2e/security-headers.e2e.spec.ts).
 * API answers hold permissions and one-time secrets: never cached, never framed, never
 * sniffed into something executable. The HTML explorer at /docs runs scripts (its own
 * and one inline), so its policy forbids framing only.
 *
 * Names are given in lower case, as Fastify stores them (it lower-cases every name it is
 * given): this runs on every response, the check's included.
 */
const API_CSP = "default-src 'none'; frame-ancestors 'none'";
const HTML_CSP = "frame-ancestors 'none'";

function setSecurityHeaders(reply: FastifyReply): void {
  const type = reply.getHeader('content-type');
  const html = typeof type === 'string' && type.startsWith('text/html');
  void reply.header('x-content-type-options', 'nosniff');
  void reply.header('cache-control', reply.getHeader('cache-control') ?? 'no-store');
  void reply.header('referrer-policy', 'no-referrer');
  void reply.header('x-frame-options', 'DENY');
  void reply.header('content-security-policy', html ? HTML_CSP : API_CSP);
  void reply.header('cross-origin-resource-policy', 'same-origin');
  reply.removeHeader('x-powered-by');
  reply.removeHeader('server');
}

export async function createApp(infra: Infrastructure, logger?: LoggerService): Promise<NestFastifyApplication> {
  // No Nest middleware is used (no MiddlewareConsumer, no app.use), so @fastify/middie and
  // its request hook are left out.
  const adapter = new FastifyAdapter({
    bodyLimit: infra.config.bodyLimitBytes,
    routerOptions: { maxParamLength: 512 },
    return503OnClosing: true,
    skipMiddie: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.with(infra), adapter, {
    logger: logger ?? LEVELS[infra.config.logLevel],
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  const routes: string[] = [];
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push(`${method} ${route.url}`);
  });
  registeredRoutes.set(app, routes);
  // A callback hook, not an async one: an async hook costs a promise and a microtask turn on every response.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    setSecurityHeaders(reply);
    done(null, payload);
  });
  await app.init();
  // JSON only: any other media type is a 415, and a JSON syntax error is our own coded
  // error (Nest would turn Fastify's into an anonymous 400).
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: infra.config.bodyLimitBytes }, (_request, text, done) => {
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text as string));
    } catch (error) {
      done(new DomainError('REQUEST.MALFORMED_JSON', 'validation', `the body is not valid JSON: ${(error as Error).message}`), undefined);
    }
  });
  return app;
}
