import { Admin, Consumer, EachMessagePayload, IHeaders, Kafka, TopicMessages } from 'kafkajs';
import { ResettingProducer } from '../kafka/kafka-client';
import { errorText, MessagingLogger } from '../relay/event-relay';
import { CommandIntake, IncomingMessage, IntakeDecision } from './command-intake';

export interface CommandConsumerTopics {
  commands: string;
  results: string;
  deadLetter: string;
}

export type ConsumerStatus = 'stopped' | 'starting' | 'running' | 'retrying';

/**
 * The consumer group on `gatehouse.commands`. Per message: decide (CommandIntake never
 * throws for a bad message), send the result and/or dead letter (acks=all), then commit
 * that message's offset. A broker failure while answering throws out of eachMessage on
 * purpose: the message is not committed and comes again, and the command's id makes the
 * second execution a replay of the first.
 */
export class KafkaCommandConsumer {
  status: ConsumerStatus = 'stopped';
  lastError: string | null = null;
  readonly counters = { ok: 0, rejected: 0, invalid: 0 };

  private consumer: Consumer | null = null;
  private readonly producer: ResettingProducer;
  private stopped = true;
  private restartTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private resolveJoined!: () => void;
  private readonly joined = new Promise<void>((resolve) => (this.resolveJoined = resolve));

  constructor(
    private readonly kafka: Kafka,
    private readonly groupId: string,
    private readonly topics: CommandConsumerTopics,
    private readonly intake: CommandIntake,
    private readonly logger: MessagingLogger,
  ) {
    this.producer = new ResettingProducer(kafka);
  }

  /** Starts in the background; a broker that is down is retried with backoff. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.run();
  }

  /** Resolves once the consumer has first joined its group (tests wait for it before producing). */
  whenJoined(): Promise<void> {
    return this.joined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const consumer = this.consumer;
    this.consumer = null;
    await consumer?.disconnect().catch(() => undefined);
    await this.producer.close();
    this.status = 'stopped';
  }

  /** Messages on the commands topic not yet committed by this group, summed over partitions. */
  async lag(admin: Admin): Promise<number> {
    const [ends, committed] = await Promise.all([
      admin.fetchTopicOffsets(this.topics.commands),
      admin.fetchOffsets({ groupId: this.groupId, topics: [this.topics.commands] }),
    ]);
    const done = new Map<number, bigint>();
    for (const t of committed) for (const p of t.partitions) done.set(p.partition, BigInt(p.offset));
    let lag = 0n;
    for (const p of ends) {
      const end = BigInt(p.high);
      const start = BigInt(p.low);
      const at = done.get(p.partition) ?? -1n;
      const from = at < start ? start : at;
      if (end > from) lag += end - from;
    }
    return Number(lag);
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    this.status = this.failures === 0 ? 'starting' : 'retrying';
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 500,
      // A member lost in a broker outage blocks the group's next rebalance until its
      // session expires: keep that short (kafkajs' default is 30 s).
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      // kafkajs never restarts a crashed consumer by itself here: a disconnect during its
      // own restart is not honoured (tulios/kafkajs#1147), which would leave a second
      // consumer in the group after stop(). We restart with a fresh consumer instead.
      retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5000, restartOnFailure: async () => false },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.status = 'running';
      this.lastError = null;
      this.failures = 0;
      this.resolveJoined();
    });
    consumer.on(consumer.events.CRASH, (event) => void this.restart(consumer, event.payload.error));
    const current = () => !this.stopped && this.consumer === consumer;
    try {
      await consumer.connect();
      if (!current()) return void (await consumer.disconnect().catch(() => undefined));
      await consumer.subscribe({ topic: this.topics.commands, fromBeginning: true });
      if (!current()) return void (await consumer.disconnect().catch(() => undefined));
      await consumer.run({ autoCommit: false, eachMessage: (payload) => this.eachMessage(consumer, payload) });
    } catch (error) {
      await this.restart(consumer, error);
    }
  }

  private async restart(consumer: Consumer, error: unknown): Promise<void> {
    if (this.consumer !== consumer) return;
    this.consumer = null;
    await consumer.disconnect().catch(() => undefined);
    if (this.stopped) return;
    this.failures++;
    this.status = 'retrying';
    this.lastError = errorText(error);
    const delay = Math.min(30_000, 200 * 2 ** Math.min(this.failures, 8));
    if (this.failures === 1 || this.failures % 10 === 0) {
      this.logger.warn(`commands consumer: ${this.lastError}; restarting in ${delay} ms`);
    }
    this.restartTimer = setTimeout(() => void this.run(), delay);
  }

  private async eachMessage(consumer: Consumer, { topic, partition, message }: EachMessagePayload): Promise<void> {
    const incoming: IncomingMessage = {
      topic,
      partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
      headers: stringHeaders(message.headers),
    };
    const decision = await this.intake.handle(incoming);
    await this.answer(decision);
    // One commit per message: a message is never processed again once answered, and a
    // crash before this line only repeats it (which the command id makes harmless).
    await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
    this.counters[decision.status]++;
    if (decision.status !== 'ok') {
      const reason = decision.deadLetter?.value.reason;
      this.logger.warn(`commands consumer: ${topic}[${partition}]@${message.offset} dead-lettered: ${reason?.code} ${reason?.message}`);
    }
  }

  private async answer(decision: IntakeDecision): Promise<void> {
    const topicMessages: TopicMessages[] = [];
    if (decision.result) {
      topicMessages.push({ topic: this.topics.results, messages: [{ key: decision.result.key, value: JSON.stringify(decision.result.value) }] });
    }
    if (decision.deadLetter) {
      const { key, value } = decision.deadLetter;
      topicMessages.push({
        topic: this.topics.deadLetter,
        messages: [{ key, value: JSON.stringify(value), headers: { reason: value.reason.code } }],
      });
    }
    if (topicMessages.length > 0) await this.producer.use((p) => p.sendBatch({ topicMessages, acks: -1 }));
  }
}

function stringHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}
