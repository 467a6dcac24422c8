import { ConfigError } from '../config/config';
import { loadKafkaConfig } from './kafka.config';

describe('loadKafkaConfig', () => {
  it('is off (null) without KAFKA_BROKERS', () => {
    expect(loadKafkaConfig({})).toBeNull();
    expect(loadKafkaConfig({ KAFKA_BROKERS: '  ' })).toBeNull();
  });

  it('has the documented defaults', () => {
    expect(loadKafkaConfig({ KAFKA_BROKERS: '127.0.0.1:9092, kafka-2.internal:9093' })).toEqual({
      brokers: ['127.0.0.1:9092', 'kafka-2.internal:9093'],
      clientId: 'gatehouse',
      ssl: false,
      topics: { events: 'gatehouse.events', commands: 'gatehouse.commands', results: 'gatehouse.command-results', deadLetter: 'gatehouse.commands.dlq' },
      commandsGroupId: 'gatehouse-commands',
    });
  });

  it('reads topics, client id, TLS and SASL', () => {
    const c = loadKafkaConfig({
      KAFKA_BROKERS: 'b:9094',
      KAFKA_CLIENT_ID: 'gh-eu',
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'gatehouse',
      KAFKA_SASL_PASSWORD: 'pw',
      GATEHOUSE_EVENTS_TOPIC: 'iam.events',
      GATEHOUSE_COMMANDS_TOPIC: 'iam.commands',
      GATEHOUSE_COMMAND_RESULTS_TOPIC: 'iam.results',
      GATEHOUSE_COMMANDS_DLQ_TOPIC: 'iam.dlq',
      KAFKA_COMMANDS_GROUP_ID: 'iam',
    })!;
    expect(c).toMatchObject({
      clientId: 'gh-eu',
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'gatehouse', password: 'pw' },
      topics: { events: 'iam.events', commands: 'iam.commands', results: 'iam.results', deadLetter: 'iam.dlq' },
      commandsGroupId: 'iam',
    });
  });

  it.each([
    [{ KAFKA_BROKERS: 'localhost' }, 'KAFKA_BROKERS'],
    [{ KAFKA_BROKERS: 'h:99999' }, 'KAFKA_BROKERS'],
    [{ KAFKA_BROKERS: 'h:1,' }, 'KAFKA_BROKERS'],
    [{ KAFKA_BROKERS: 'h:1', KAFKA_CLIENT_ID: 'a b' }, 'KAFKA_CLIENT_ID'],
    [{ KAFKA_BROKERS: 'h:1', GATEHOUSE_EVENTS_TOPIC: 'bad/topic' }, 'GATEHOUSE_EVENTS_TOPIC'],
    [{ KAFKA_BROKERS: 'h:1', GATEHOUSE_COMMANDS_TOPIC: 'gatehouse.events' }, 'GATEHOUSE_COMMANDS_TOPIC'],
    [{ KAFKA_BROKERS: 'h:1', KAFKA_SSL: 'yes' }, 'KAFKA_SSL'],
    [{ KAFKA_BROKERS: 'h:1', KAFKA_SASL_MECHANISM: 'gssapi' }, 'KAFKA_SASL_MECHANISM'],
    [{ KAFKA_BROKERS: 'h:1', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: 'x' }, 'KAFKA_SASL_USERNAME'],
    [{ KAFKA_BROKERS: 'h:1', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'x' }, 'KAFKA_SASL_PASSWORD'],
    [{ KAFKA_BROKERS: 'h:1', KAFKA_SASL_USERNAME: 'x' }, 'KAFKA_SASL_MECHANISM'],
    [{ KAFKA_SASL_MECHANISM: 'plain' }, 'KAFKA_SASL_MECHANISM'],
  ])('refuses %j naming %s', (env, variable) => {
    try {
      loadKafkaConfig(env);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variable).toBe(variable);
    }
  });
});
