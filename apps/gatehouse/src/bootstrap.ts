import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { IdGenerator, systemClock } from '@gatehouse/domain';
import { EventStore, EventStoreDbEventStore, SqliteEventStore } from '@gatehouse/event-store';
import { InProcessPermissionCache, PermissionCache, RedisPermissionCache } from '@gatehouse/permission-cache';
import { AppModule, Infrastructure } from './app.module';
import { RootKey } from './auth/root-key';
import { Config, ConfigError } from './config/config';
import { randomId } from './credentials/credentials';
import { toProblem } from './http/problem.filter';

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

const LEVELS: Record<Config['logLevel'], LogLevel[] | false> = {
  debug: ['debug', 'log', 'warn', 'error', 'fatal'],
  info: ['log', 'warn', 'error', 'fatal'],
  warn: ['warn', 'error', 'fatal'],
  error: ['error', 'fatal'],
  silent: false,
};

export async function createApp(infra: Infrastructure): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: infra.config.bodyLimitBytes, return503OnClosing: true });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.with(infra), adapter, {
    logger: LEVELS[infra.config.logLevel],
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  // Errors raised before Nest routes the request (bad JSON, body too large, wrong media type).
  fastify.setErrorHandler((error, request, reply) => {
    const body = toProblem(error);
    body.instance = request.url.split('?')[0];
    void reply.status(body.status).header('Content-Type', 'application/problem+json').send(body);
  });
  fastify.addHook('onSend', async (_request, reply) => {
    void reply.header('X-Content-Type-Options', 'nosniff');
    void reply.header('Cache-Control', reply.getHeader('Cache-Control') ?? 'no-store');
    void reply.header('Referrer-Policy', 'no-referrer');
  });
  await app.init();
  return app;
}
