import { KafkaConnectionOptions } from '@gatehouse/messaging';
import { ConfigError } from '../config/config';

/** Kafka settings (README: Configuration). Kafka is off when KAFKA_BROKERS is unset. */
export interface KafkaConfig extends KafkaConnectionOptions {
  topics: {
    /** Every event, key = account. */
    events: string;
    /** Provisioning commands in. */
    commands: string;
    /** One answer per command, key = account. */
    results: string;
    /** Invalid, refused or unknown commands, with the reason. */
    deadLetter: string;
  };
  /** Consumer group of the commands consumer: instances sharing it split the partitions. */
  commandsGroupId: string;
}

type Env = Record<string, string | undefined>;

const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
const CLIENT_ID = /^[A-Za-z0-9._-]{1,255}$/;
const MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

/** Validates the Kafka variables; null when KAFKA_BROKERS is unset (Kafka off, the embedded default). */
export function loadKafkaConfig(env: Env = process.env): KafkaConfig | null {
  const raw = env.KAFKA_BROKERS?.trim();
  if (!raw) {
    for (const name of ['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD']) {
      if (env[name]) throw new ConfigError(name, 'is set but KAFKA_BROKERS is not (set KAFKA_BROKERS to turn Kafka on)');
    }
    return null;
  }
  const brokers = raw.split(',').map((b) => b.trim());
  for (const b of brokers) {
    const m = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/.exec(b);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
      throw new ConfigError('KAFKA_BROKERS', `must be a comma-separated list of host:port, got "${b}"`);
    }
  }

  const clientId = env.KAFKA_CLIENT_ID || 'gatehouse';
  if (!CLIENT_ID.test(clientId)) throw new ConfigError('KAFKA_CLIENT_ID', `must be 1-255 of A-Z a-z 0-9 . _ -, got "${clientId}"`);
  const commandsGroupId = env.KAFKA_COMMANDS_GROUP_ID || 'gatehouse-commands';
  if (!CLIENT_ID.test(commandsGroupId)) {
    throw new ConfigError('KAFKA_COMMANDS_GROUP_ID', `must be 1-255 of A-Z a-z 0-9 . _ -, got "${commandsGroupId}"`);
  }

  const topics = {
    events: topic(env, 'GATEHOUSE_EVENTS_TOPIC', 'gatehouse.events'),
    commands: topic(env, 'GATEHOUSE_COMMANDS_TOPIC', 'gatehouse.commands'),
    results: topic(env, 'GATEHOUSE_COMMAND_RESULTS_TOPIC', 'gatehouse.command-results'),
    deadLetter: topic(env, 'GATEHOUSE_COMMANDS_DLQ_TOPIC', 'gatehouse.commands.dlq'),
  };
  const names = Object.entries(topics);
  for (const [i, [name, value]] of names.entries()) {
    const clash = names.slice(0, i).find(([, other]) => other === value);
    if (clash) throw new ConfigError(variableOf(name), `must differ from the ${clash[0]} topic (both are "${value}")`);
  }

  const sslRaw = (env.KAFKA_SSL ?? '').toLowerCase();
  if (!['', 'true', 'false', '1', '0'].includes(sslRaw)) throw new ConfigError('KAFKA_SSL', `must be true or false, got "${env.KAFKA_SSL}"`);
  const ssl = sslRaw === 'true' || sslRaw === '1';

  let sasl: KafkaConfig['sasl'];
  const mechanism = env.KAFKA_SASL_MECHANISM?.toLowerCase();
  if (mechanism) {
    if (!(MECHANISMS as readonly string[]).includes(mechanism)) {
      throw new ConfigError('KAFKA_SASL_MECHANISM', `must be one of ${MECHANISMS.join(', ')}, got "${env.KAFKA_SASL_MECHANISM}"`);
    }
    if (!env.KAFKA_SASL_USERNAME) throw new ConfigError('KAFKA_SASL_USERNAME', `is required with KAFKA_SASL_MECHANISM=${mechanism}`);
    if (!env.KAFKA_SASL_PASSWORD) throw new ConfigError('KAFKA_SASL_PASSWORD', `is required with KAFKA_SASL_MECHANISM=${mechanism}`);
    sasl = { mechanism: mechanism as (typeof MECHANISMS)[number], username: env.KAFKA_SASL_USERNAME, password: env.KAFKA_SASL_PASSWORD };
  } else if (env.KAFKA_SASL_USERNAME || env.KAFKA_SASL_PASSWORD) {
    throw new ConfigError('KAFKA_SASL_MECHANISM', 'is required when KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set (plain, scram-sha-256 or scram-sha-512)');
  }

  return { brokers, clientId, ssl, ...(sasl ? { sasl } : {}), topics, commandsGroupId };
}

function topic(env: Env, name: string, fallback: string): string {
  const value = env[name] || fallback;
  if (!TOPIC.test(value) || value === '.' || value === '..') {
    throw new ConfigError(name, `must be a Kafka topic name (1-249 of A-Z a-z 0-9 . _ -), got "${value}"`);
  }
  return value;
}

function variableOf(topicKey: string): string {
  return {
    events: 'GATEHOUSE_EVENTS_TOPIC',
    commands: 'GATEHOUSE_COMMANDS_TOPIC',
    results: 'GATEHOUSE_COMMAND_RESULTS_TOPIC',
    deadLetter: 'GATEHOUSE_COMMANDS_DLQ_TOPIC',
  }[topicKey]!;
}
