import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { CommandIntake, KafkaCommandConsumer } from '@gatehouse/messaging';
import { commandTable } from './command-table';
import { GatehouseHost } from './gatehouse-host';
import { KafkaConnection } from './kafka-connection';

/**
 * Runs the commands consumer on instances with the `api` role: every such instance joins
 * the one consumer group, and Kafka splits the partitions between them.
 */
@Injectable()
export class CommandConsumerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('KafkaCommands');
  consumer: KafkaCommandConsumer | null = null;
  intake: CommandIntake | null = null;

  private destroyed = false;

  constructor(
    private readonly host: GatehouseHost,
    private readonly connection: KafkaConnection,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.host.config.roles.api) return;
    const { topics, commandsGroupId } = this.connection.config;
    const authenticator = this.host.authenticator;
    this.intake = new CommandIntake({
      table: commandTable(this.host.commandBus),
      authenticate: (credentials, account) => authenticator.authenticate(`Bearer ${credentials}`, account),
    });
    this.consumer = new KafkaCommandConsumer(
      this.connection.kafka,
      commandsGroupId,
      { commands: topics.commands, results: topics.results, deadLetter: topics.deadLetter },
      this.intake,
      this.logger,
    );
    this.logger.log(`consuming ${topics.commands} as group ${commandsGroupId}; results to ${topics.results}, dead letters to ${topics.deadLetter}`);
    const consumer = this.consumer;
    void this.connection.topicsReady().then(() => {
      if (!this.destroyed) consumer.start();
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.destroyed = true;
    await this.consumer?.stop();
  }
}
