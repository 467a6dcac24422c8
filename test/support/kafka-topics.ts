import { Consumer, IHeaders, Kafka, logLevel } from 'kafkajs';

export interface SeenMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string;
  headers: Record<string, string>;
  receivedAt: number;
}

/**
 * Reads topics from the beginning into memory, as an outside consumer of Gatehouse
 * would (its own group), so tests can wait for and inspect what was published.
 */
export class TopicTap {
  readonly messages: SeenMessage[] = [];
  private consumer: Consumer | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly kafka: Kafka) {}

  static client(brokers: string[]): Kafka {
    return new Kafka({ brokers, clientId: 'gatehouse-test-tap', logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
  }

  async start(topics: string[], groupId: string): Promise<void> {
    const consumer = this.kafka.consumer({ groupId, maxWaitTimeInMs: 50, retry: { retries: 50, initialRetryTime: 100, maxRetryTime: 1000 } });
    this.consumer = consumer;
    const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        this.messages.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? '',
          headers: headers(message.headers),
          receivedAt: Date.now(),
        });
        for (const w of [...this.waiters]) w();
      },
    });
    await joined;
  }

  on(topic: string): SeenMessage[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  /** Waits until `predicate` holds for what was received; fails with what was seen. */
  async waitFor(what: string, predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; received ${this.messages.length} messages`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, 100));
        this.waiters.add(done);
      });
    }
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
  }
}

function headers(h: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = first.toString();
  }
  return out;
}
