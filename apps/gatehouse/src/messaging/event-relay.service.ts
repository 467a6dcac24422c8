import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import { EventRelay, FileRelayCheckpointStore, KafkaEventPublisher, RedisRelayCheckpointStore, RelayCheckpointStore } from '@gatehouse/messaging';
import { Config } from '../config/config';
import { GatehouseHost } from './gatehouse-host';
import { KafkaConnection } from './kafka-connection';

/**
 * Runs the Kafka relay on instances with the `projector` role (GATEHOUSE_ROLES): like
 * the projector it is one checkpointed subscription per deployment. The checkpoint goes
 * to Redis when REDIS_URL is set (instances share no disk there), else to a file under
 * GATEHOUSE_DATA_DIR next to the SQLite store.
 */
@Injectable()
export class EventRelayService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('KafkaRelay');
  relay: EventRelay | null = null;
  checkpoints: RelayCheckpointStore | null = null;
  private publisher: KafkaEventPublisher | null = null;

  private destroyed = false;

  constructor(
    private readonly host: GatehouseHost,
    private readonly connection: KafkaConnection,
  ) {}

  onApplicationBootstrap(): void {
    const config = this.host.config;
    if (!config.roles.projector) return;
    const topic = this.connection.config.topics.events;
    this.checkpoints = relayCheckpointStore(config, topic);
    this.publisher = new KafkaEventPublisher(this.connection.kafka, topic);
    this.relay = new EventRelay({
      store: this.host.store,
      publisher: this.publisher,
      checkpoints: this.checkpoints,
      logger: this.logger,
    });
    this.logger.log(`publishing every event to ${topic} (checkpoint: ${this.checkpoints.describe})`);
    const relay = this.relay;
    // Never awaited: a Kafka that is down must not hold up the start of the service.
    void this.connection.topicsReady().then(() => {
      if (!this.destroyed) relay.start();
    });
  }

  // Before the event store closes (InfrastructureLifecycle closes it in onApplicationShutdown).
  async onModuleDestroy(): Promise<void> {
    this.destroyed = true;
    await this.relay?.stop();
    await this.publisher?.close();
    await this.checkpoints?.close();
  }
}

export function relayCheckpointStore(config: Config, topic: string): RelayCheckpointStore {
  if (config.redisUrl) {
    const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3 });
    return new RedisRelayCheckpointStore(redis, RedisRelayCheckpointStore.key(config.redisPrefix, topic), true);
  }
  return FileRelayCheckpointStore.inDirectory(config.dataDir, topic);
}
