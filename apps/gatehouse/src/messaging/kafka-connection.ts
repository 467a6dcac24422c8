import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Admin, Kafka } from 'kafkajs';
import { createKafka, ensureTopics, errorText } from '@gatehouse/messaging';
import { KafkaConfig } from './kafka.config';

export const KAFKA_CONFIG = Symbol('KafkaConfig');

/**
 * The Kafka client of this process, and the topics: created (when missing) in the
 * background, retried with backoff while the brokers are unreachable, so a Gatehouse
 * started before its Kafka still serves HTTP and catches up later.
 */
@Injectable()
export class KafkaConnection implements OnModuleDestroy {
  readonly kafka: Kafka;
  readonly logger = new Logger('Kafka');
  private admin: Promise<Admin> | null = null;
  private topicsReadyPromise: Promise<void> | null = null;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  /** Whether the brokers answered the topic set-up yet, and why not (for /readyz). */
  status: 'connecting' | 'ready' = 'connecting';
  lastError: string | null = null;

  constructor(@Inject(KAFKA_CONFIG) readonly config: KafkaConfig) {
    this.kafka = createKafka(config, {
      log: (m) => this.logger.log(m),
      warn: (m) => this.logger.warn(m),
      error: (m) => this.logger.error(m),
      debug: (m) => this.logger.debug(m),
    });
  }

  /** Resolves once the topics exist (or creating them was refused); retries while the brokers are down. */
  topicsReady(): Promise<void> {
    this.topicsReadyPromise ??= new Promise<void>((resolve) => {
      const attempt = async (failures: number): Promise<void> => {
        if (this.stopped) return resolve();
        try {
          const { events, commands, results, deadLetter } = this.config.topics;
          await this.withAdmin((admin) =>
            ensureTopics(admin, [{ topic: events }, { topic: commands }, { topic: results }, { topic: deadLetter }], this.logger),
          );
          this.status = 'ready';
          this.lastError = null;
          resolve();
        } catch (error) {
          this.lastError = errorText(error);
          const delay = Math.min(10_000, 250 * 2 ** Math.min(failures, 6));
          if (failures === 0 || failures % 10 === 0) {
            this.logger.warn(`brokers ${this.config.brokers.join(',')} unreachable (${errorText(error)}); retrying in ${delay} ms`);
          }
          this.timer = setTimeout(() => void attempt(failures + 1), delay);
        }
      };
      void attempt(0);
    });
    return this.topicsReadyPromise;
  }

  /** Runs `work` with a connected admin client; a failure drops the client so the next call reconnects. */
  async withAdmin<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      this.admin = admin.connect().then(() => admin);
      this.admin.catch(() => undefined);
    }
    const current = this.admin;
    try {
      return await work(await current);
    } catch (error) {
      if (this.admin === current) this.admin = null;
      void current.then((a) => a.disconnect()).catch(() => undefined);
      throw error;
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const admin = this.admin;
    this.admin = null;
    await admin?.then((a) => a.disconnect()).catch(() => undefined);
  }
}
