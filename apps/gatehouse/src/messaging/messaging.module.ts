import { DynamicModule, Module } from '@nestjs/common';
import { CommandConsumerService } from './command-consumer.service';
import { EventRelayService } from './event-relay.service';
import { GatehouseHost } from './gatehouse-host';
import { KAFKA_CONFIG, KafkaConnection } from './kafka-connection';
import { KafkaConfig } from './kafka.config';
import { MessagingMetrics } from './messaging-metrics';

/**
 * Kafka in and out (DESIGN §5). `forRoot(loadKafkaConfig(env))`: with null (KAFKA_BROKERS
 * unset) nothing runs and MessagingMetrics reports Kafka as off. Global, so /metrics and
 * /readyz in AppModule can inject MessagingMetrics either way.
 */
@Module({})
export class MessagingModule {
  static forRoot(config: KafkaConfig | null): DynamicModule {
    if (!config) {
      return { module: MessagingModule, global: true, providers: [MessagingMetrics], exports: [MessagingMetrics] };
    }
    return {
      module: MessagingModule,
      global: true,
      providers: [{ provide: KAFKA_CONFIG, useValue: config }, GatehouseHost, KafkaConnection, EventRelayService, CommandConsumerService, MessagingMetrics],
      exports: [MessagingMetrics, EventRelayService, CommandConsumerService],
    };
  }
}
