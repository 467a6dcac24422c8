import { Kafka } from 'kafkajs';
import { EventMessage } from '../event-message';
import { EventPublisher } from '../relay/event-relay';
import { ResettingProducer } from './kafka-client';

/** The relay's way out: one produce call per batch, resolved once every partition leader acknowledged (acks=all). */
export class KafkaEventPublisher implements EventPublisher {
  private readonly producer: ResettingProducer;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
    private readonly timeoutMs = 10_000,
  ) {
    this.producer = new ResettingProducer(kafka);
  }

  async publish(messages: EventMessage[]): Promise<void> {
    await this.producer.use((p) =>
      p.send({
        topic: this.topic,
        acks: -1,
        timeout: this.timeoutMs,
        messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
      }),
    );
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}
