import { Admin, Kafka, KafkaConfig as KafkaJsConfig, logLevel, Producer, SASLOptions } from 'kafkajs';
import { errorText, MessagingLogger } from '../relay/event-relay';

/** How to reach the brokers: everything kafkajs needs, nothing Gatehouse-specific. */
export interface KafkaConnectionOptions {
  brokers: string[];
  clientId: string;
  ssl: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  /** Per request; a down broker fails fast instead of hanging the relay (default 10 s). */
  requestTimeoutMs?: number;
  connectionTimeoutMs?: number;
}

/** kafkajs' own log lines go out at debug level: our services log what an operator needs, once. */
export function createKafka(options: KafkaConnectionOptions, logger: MessagingLogger & { debug?(message: string): void }): Kafka {
  const config: KafkaJsConfig = {
    clientId: options.clientId,
    brokers: options.brokers,
    ssl: options.ssl,
    ...(options.sasl ? { sasl: options.sasl as SASLOptions } : {}),
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    // Connection-level retries stay short: the relay and the consumer retry with their own backoff.
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2000 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      const message = entry.log.message;
      // Documented trade-off (see KafkaEventPublisher): bounded retries, our own loop above them.
      if (message.startsWith('Limiting retries for the idempotent producer')) return;
      logger.debug?.(`kafkajs ${entry.namespace}: ${message}${entry.log.error ? ` (${String(entry.log.error)})` : ''}`);
    },
  };
  return new Kafka(config);
}

export interface TopicSpec {
  topic: string;
  /** Omitted: the broker's `num.partitions`. */
  numPartitions?: number;
}

/**
 * Broker answers that mean "you may not create this topic here" (topics managed
 * elsewhere, ACLs, policies): retrying cannot help, so the caller goes on and producing
 * to a missing topic fails loudly later. Every other failure is transient.
 */
const REFUSALS = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'POLICY_VIOLATION',
  'INVALID_REPLICATION_FACTOR',
  'INVALID_PARTITIONS',
  'INVALID_CONFIG',
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_REPLICA_ASSIGNMENT',
]);

/** The broker's error types in a kafkajs error, including those inside an aggregate. */
function errorTypes(error: unknown): string[] {
  const e = error as { type?: unknown; errors?: unknown };
  const own = typeof e?.type === 'string' ? [e.type] : [];
  const inner = Array.isArray(e?.errors) ? e.errors.flatMap(errorTypes) : [];
  return [...own, ...inner];
}

export function isTopicCreationRefusal(error: unknown): boolean {
  const types = errorTypes(error);
  return types.length > 0 && types.every((t) => REFUSALS.has(t) || t === 'TOPIC_ALREADY_EXISTS');
}

/**
 * Creates the topics that do not exist yet (kafkajs must not subscribe to a topic that
 * is missing). Where topics are managed elsewhere and the client may not create them,
 * the refusal is logged and the caller goes on: producing to a missing topic fails
 * loudly later. Any other failure is thrown, for the caller to retry: a broker that is
 * still electing its controller, a request timeout, or new topics that its metadata does
 * not show yet (kafkajs waits out LEADER_NOT_AVAILABLE but gives up on
 * UNKNOWN_TOPIC_OR_PARTITION, which a KRaft broker answers for a moment after creating).
 */
export async function ensureTopics(admin: Admin, topics: TopicSpec[], logger: MessagingLogger): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return;
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => ({ topic: t.topic, ...(t.numPartitions ? { numPartitions: t.numPartitions } : {}) })),
    });
    logger.log(`kafka: created topics ${missing.map((t) => t.topic).join(', ')}`);
  } catch (error) {
    // Another instance may have created them in the meantime.
    const after = new Set(await admin.listTopics());
    const still = missing.filter((t) => !after.has(t.topic));
    if (still.length === 0) return;
    const names = still.map((t) => t.topic).join(', ');
    if (!isTopicCreationRefusal(error)) throw new Error(`could not create topics ${names} yet: ${errorText(error)}`);
    logger.warn(`kafka: may not create topics ${names} (${errorText(error)}); producing to them will fail until they exist`);
  }
}

/**
 * An idempotent producer (acks=all) that is created on first use and thrown away after
 * a failure, so a broker that went away and came back gets a fresh connection and a
 * fresh producer id. Within one send, kafkajs retries with the same producer id and
 * sequence numbers, so the broker drops duplicates of those retries; a send that failed
 * as a whole and is repeated by our caller may duplicate (at least once, by design).
 */
export class ResettingProducer {
  private producer: Promise<Producer> | null = null;

  constructor(private readonly kafka: Kafka) {}

  async use<T>(work: (producer: Producer) => Promise<T>): Promise<T> {
    if (!this.producer) {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
      });
      this.producer = producer.connect().then(() => producer);
      this.producer.catch(() => undefined);
    }
    const current = this.producer;
    try {
      return await work(await current);
    } catch (error) {
      if (this.producer === current) this.producer = null;
      void current.then((p) => p.disconnect()).catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    const current = this.producer;
    this.producer = null;
    await current?.then((p) => p.disconnect()).catch(() => undefined);
  }
}
