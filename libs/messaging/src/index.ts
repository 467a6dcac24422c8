// Kafka in and out (DESIGN §5): the relay publishing every event, the intake of
// provisioning commands, and the relay's checkpoint port with its adapters.
export * from './event-message';
export * from './checkpoint/relay-checkpoint.port';
export * from './checkpoint/file-relay-checkpoint-store';
export * from './checkpoint/redis-relay-checkpoint-store';
export * from './relay/event-relay';
export * from './kafka/kafka-client';
export * from './kafka/kafka-event-publisher';
export * from './commands/command-message';
export * from './commands/command-intake';
export * from './commands/kafka-command-consumer';
export * from './commands/command-schemas';
