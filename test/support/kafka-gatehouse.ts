import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { systemClock } from '@gatehouse/domain';
import { SqliteEventStore } from '@gatehouse/event-store';
import { InProcessPermissionCache } from '@gatehouse/permission-cache';
import { AppModule } from '../../apps/gatehouse/src/app.module';
import { RootKey } from '../../apps/gatehouse/src/auth/root-key';
import { randomIds } from '../../apps/gatehouse/src/bootstrap';
import { loadConfig } from '../../apps/gatehouse/src/config/config';
import { CommandConsumerService } from '../../apps/gatehouse/src/messaging/command-consumer.service';
import { EventRelayService } from '../../apps/gatehouse/src/messaging/event-relay.service';
import { KafkaConfig, loadKafkaConfig } from '../../apps/gatehouse/src/messaging/kafka.config';
import { MessagingModule } from '../../apps/gatehouse/src/messaging/messaging.module';
import { HttpResult, ROOT_KEY } from './gatehouse';

export interface KafkaTestGatehouse {
  app: NestFastifyApplication;
  store: SqliteEventStore;
  kafka: KafkaConfig;
  dataDir: string;
  relay: EventRelayService;
  commands: CommandConsumerService;
  http(method: string, url: string, options?: { key?: string; body?: unknown; headers?: Record<string, string> }): Promise<HttpResult>;
  stop(): Promise<void>;
}

@Module({})
class KafkaTestRoot {}

/**
 * A real Gatehouse in this process with the MessagingModule wired in next to AppModule
 * (as main.ts will): SQLite store, in-process cache, real Nest + Fastify, real Kafka.
 * Topic names get a per-run suffix so reruns against one KAFKA_BROKERS never mix.
 */
export async function startKafkaGatehouse(options: {
  brokers: string[];
  suffix: string;
  dataDir?: string;
  /** null: MessagingModule.forRoot(null), Kafka off. */
  kafkaOff?: boolean;
}): Promise<KafkaTestGatehouse> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'gatehouse-kafka-e2e-'));
  const config = loadConfig({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_ROOT_KEY: ROOT_KEY, LOG_LEVEL: 'error', PORT: '0' });
  const kafka = loadKafkaConfig({
    KAFKA_BROKERS: options.brokers.join(','),
    KAFKA_CLIENT_ID: `gatehouse-test-${options.suffix}`,
    GATEHOUSE_EVENTS_TOPIC: `gatehouse.events.${options.suffix}`,
    GATEHOUSE_COMMANDS_TOPIC: `gatehouse.commands.${options.suffix}`,
    GATEHOUSE_COMMAND_RESULTS_TOPIC: `gatehouse.command-results.${options.suffix}`,
    GATEHOUSE_COMMANDS_DLQ_TOPIC: `gatehouse.commands.dlq.${options.suffix}`,
    KAFKA_COMMANDS_GROUP_ID: `gatehouse-commands-${options.suffix}`,
  })!;
  const store = new SqliteEventStore({ file: join(dataDir, 'events.sqlite') });
  const messaging = options.kafkaOff ? null : kafka;
  // `kafka` is how AppModule takes the messaging config once MessagingModule is wired into
  // it; until then this root module imports MessagingModule next to AppModule itself.
  const infra = { config, eventStore: store, permissionCache: new InProcessPermissionCache(), rootKey: RootKey.fromKey(ROOT_KEY), clock: systemClock, ids: randomIds, kafka: messaging };
  const appModule = AppModule.with(infra);
  const wired = (appModule.imports ?? []).some((m) => (m as { module?: unknown }).module === MessagingModule);
  const app = await NestFactory.create<NestFastifyApplication>(
    { module: KafkaTestRoot, imports: wired ? [appModule] : [appModule, MessagingModule.forRoot(messaging)] },
    new FastifyAdapter(),
    { logger: ['error'], abortOnError: false },
  );
  await app.init();
  return {
    app,
    store,
    kafka,
    dataDir,
    relay: options.kafkaOff ? (null as never) : app.get(EventRelayService),
    commands: options.kafkaOff ? (null as never) : app.get(CommandConsumerService),
    async http(method, url, o = {}) {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      if (o.key) headers.authorization = `Bearer ${o.key}`;
      let payload: string | undefined;
      if (o.body !== undefined) {
        payload = JSON.stringify(o.body);
        headers['content-type'] = 'application/json';
      }
      const res = await app.getHttpAdapter().getInstance().inject({ method: method as 'GET', url, headers, payload });
      let body: unknown = res.body;
      try {
        body = res.body ? JSON.parse(res.body) : undefined;
      } catch {
        /* not JSON */
      }
      return { status: res.statusCode, body, headers: res.headers };
    },
    async stop() {
      await app.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
