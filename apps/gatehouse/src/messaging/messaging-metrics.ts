import { Injectable, Optional } from '@nestjs/common';
import { errorText } from '@gatehouse/messaging';
import { CommandConsumerService } from './command-consumer.service';
import { EventRelayService } from './event-relay.service';
import { KafkaConnection } from './kafka-connection';

export interface RelayReadiness {
  status: string;
  /** Last store position Kafka acknowledged. */
  checkpoint: string;
  head: string;
  /** Store positions not yet in Kafka (= events, with the SQLite store). */
  lag: number;
  published: number;
  lastError?: string;
}

export interface ConsumerReadiness {
  status: string;
  /** Messages on the commands topic not yet handled by the group; null when Kafka did not answer. */
  lag: number | null;
  handled: { ok: number; rejected: number; invalid: number };
  lastError?: string;
}

/** For /readyz `details.kafka`. Kafka being down does not make Gatehouse unready: it keeps serving and catches up. */
export type KafkaReadiness =
  | { enabled: false }
  | {
      enabled: true;
      brokers: string[];
      /** `ok` once the brokers answered (topics checked or created); else why not yet. */
      connection: string;
      relay: RelayReadiness | 'not run here';
      commands: ConsumerReadiness | 'not run here';
    };

const LAG_TIMEOUT_MS = 2000;

/**
 * Relay lag (store positions behind the head) and consumer lag (messages behind the
 * commands topic's end), as Prometheus text lines for /metrics and as an object for /readyz.
 */
@Injectable()
export class MessagingMetrics {
  constructor(
    @Optional() private readonly relayService?: EventRelayService,
    @Optional() private readonly consumerService?: CommandConsumerService,
    @Optional() private readonly connection?: KafkaConnection,
  ) {}

  async readiness(): Promise<KafkaReadiness> {
    if (!this.connection) return { enabled: false };
    const [relay, commands] = await Promise.all([this.relayReadiness(), this.consumerReadiness()]);
    const c = this.connection;
    const connection = c.status === 'ready' ? 'ok' : `connecting${c.lastError ? `: ${c.lastError}` : ''}`;
    return { enabled: true, brokers: c.config.brokers, connection, relay, commands };
  }

  /** Prometheus text exposition lines (HELP, TYPE, samples), newline-terminated; empty when Kafka is off. */
  async prometheus(): Promise<string> {
    const r = await this.readiness();
    if (!r.enabled) return '';
    const lines: string[] = [];
    const metric = (name: string, type: 'gauge' | 'counter', help: string, samples: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
    };
    metric('gatehouse_kafka_connected', 'gauge', '1 once the brokers answered the topic set-up.', [['', r.connection === 'ok' ? 1 : 0]]);
    if (r.relay !== 'not run here') {
      const relay = this.relayService!.relay!;
      metric('gatehouse_kafka_relay_lag', 'gauge', 'Event store positions not yet acknowledged by Kafka (events, with the SQLite store).', [['', r.relay.lag]]);
      metric('gatehouse_kafka_relay_checkpoint', 'gauge', 'Last event store position acknowledged by Kafka.', [['', Number(r.relay.checkpoint)]]);
      metric('gatehouse_kafka_relay_up', 'gauge', '1 while the relay publishes without errors.', [['', r.relay.status === 'running' ? 1 : 0]]);
      metric('gatehouse_kafka_relay_published_events_total', 'counter', 'Events published to Kafka by this process.', [['', relay.counters.published]]);
      metric('gatehouse_kafka_relay_skipped_events_total', 'counter', 'Events not published, by reason.', [
        ['{reason="identity_stream"}', relay.counters.skipped.identity_stream],
        ['{reason="unknown_type"}', relay.counters.skipped.unknown_type],
      ]);
      metric('gatehouse_kafka_relay_failures_total', 'counter', 'Failed attempts to publish or checkpoint (each is retried).', [['', relay.counters.failures]]);
    }
    if (r.commands !== 'not run here') {
      const topic = this.connection!.config.topics.commands;
      if (r.commands.lag !== null) {
        metric('gatehouse_kafka_consumer_lag', 'gauge', 'Messages on the commands topic not yet handled by the consumer group.', [[`{topic="${topic}"}`, r.commands.lag]]);
      }
      metric('gatehouse_kafka_consumer_up', 'gauge', '1 while the commands consumer is in its group.', [['', r.commands.status === 'running' ? 1 : 0]]);
      metric('gatehouse_kafka_commands_total', 'counter', 'Commands consumed by this process, by outcome.', [
        ['{outcome="ok"}', r.commands.handled.ok],
        ['{outcome="rejected"}', r.commands.handled.rejected],
        ['{outcome="invalid"}', r.commands.handled.invalid],
      ]);
    }
    return lines.length ? `${lines.join('\n')}\n` : '';
  }

  private async relayReadiness(): Promise<RelayReadiness | 'not run here'> {
    const relay = this.relayService?.relay;
    if (!relay) return 'not run here';
    const { head, checkpoint, lag } = await relay.lag().catch(() => ({ head: 0n, checkpoint: relay.checkpoint ?? 0n, lag: 0n }));
    return {
      status: relay.status,
      checkpoint: checkpoint.toString(),
      head: head.toString(),
      lag: Number(lag),
      published: relay.counters.published,
      ...(relay.lastError ? { lastError: relay.lastError } : {}),
    };
  }

  private async consumerReadiness(): Promise<ConsumerReadiness | 'not run here'> {
    const consumer = this.consumerService?.consumer;
    if (!consumer) return 'not run here';
    let lag: number | null = null;
    let lagError: string | undefined;
    try {
      lag = await withTimeout(
        this.connection!.withAdmin((admin) => consumer.lag(admin)),
        LAG_TIMEOUT_MS,
      );
    } catch (error) {
      lagError = `lag unknown: ${errorText(error)}`;
    }
    const lastError = consumer.lastError ?? lagError;
    return { status: consumer.status, lag, handled: { ...consumer.counters }, ...(lastError ? { lastError } : {}) };
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    work.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))),
  ]);
}
