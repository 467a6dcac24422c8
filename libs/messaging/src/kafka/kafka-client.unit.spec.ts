import * as kafkajs from 'kafkajs';
import { Admin, KafkaJSAggregateError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { ensureTopics, isTopicCreationRefusal } from './kafka-client';

// Exported by kafkajs (it wraps each topic's error in one) but missing from its typings.
const { KafkaJSCreateTopicError } = kafkajs as unknown as { KafkaJSCreateTopicError: new (error: Error, topic: string) => Error };

/** kafkajs' own error objects, built as the client builds them from a broker's error code. */
const protocol = (type: string, code: number) => new KafkaJSProtocolError({ message: type, type, code } as never);
const perTopic = (type: string, code: number, topic: string) => new KafkaJSCreateTopicError(protocol(type, code), topic);

/**
 * An admin whose createTopics fails with `error`; `createdAnyway` says whether the
 * topics exist afterwards (a broker that timed out but created them, or another instance).
 */
function fakeAdmin(existing: string[], error: Error | null, createdAnyway = false) {
  const topics = new Set(existing);
  const calls = { create: 0 };
  const admin = {
    listTopics: async () => [...topics],
    createTopics: async ({ topics: wanted }: { topics: { topic: string }[] }) => {
      calls.create++;
      if (error && createdAnyway) for (const t of wanted) topics.add(t.topic);
      if (error) throw error;
      for (const t of wanted) topics.add(t.topic);
      return true;
    },
  } as unknown as Admin;
  return { admin, topics, calls };
}

function recordingLogger() {
  const lines: string[] = [];
  return { lines, logger: { log: (m: string) => lines.push(`log ${m}`), warn: (m: string) => lines.push(`warn ${m}`), error: (m: string) => lines.push(`error ${m}`) } };
}

describe('ensureTopics', () => {
  it('creates only the missing topics', async () => {
    const { admin, topics, calls } = fakeAdmin(['a'], null);
    const { lines, logger } = recordingLogger();
    await ensureTopics(admin, [{ topic: 'a' }, { topic: 'b' }], logger);
    expect([...topics].sort()).toEqual(['a', 'b']);
    expect(calls.create).toBe(1);
    expect(lines).toEqual(['log kafka: created topics b']);
  });

  it('does nothing when every topic exists', async () => {
    const { admin, calls } = fakeAdmin(['a', 'b'], null);
    await ensureTopics(admin, [{ topic: 'a' }, { topic: 'b' }], recordingLogger().logger);
    expect(calls.create).toBe(0);
  });

  // A KRaft broker answers UNKNOWN_TOPIC_OR_PARTITION for a moment after creating a topic,
  // and kafkajs' waitForLeaders gives up on it: the set-up must be retried, not called done.
  it.each([
    ['a topic the metadata does not show yet', protocol('UNKNOWN_TOPIC_OR_PARTITION', 3)],
    ['a request timeout', protocol('REQUEST_TIMED_OUT', 7)],
    ['a controller still being elected', protocol('NOT_CONTROLLER', 41)],
    ['retries exhausted', new KafkaJSNumberOfRetriesExceeded(new Error('Connection timeout'), { retryCount: 3, retryTime: 100 })],
    ['a plain error', new Error('Timed out while waiting for topic leaders')],
  ])('throws, for the caller to retry, on %s', async (_, error) => {
    const { admin } = fakeAdmin([], error);
    const { lines, logger } = recordingLogger();
    await expect(ensureTopics(admin, [{ topic: 'events' }], logger)).rejects.toThrow(/could not create topics events yet/);
    expect(lines).toEqual([]);
  });

  it.each([
    ['ACLs', new KafkaJSAggregateError('refused', [perTopic('TOPIC_AUTHORIZATION_FAILED', 29, 'events')])],
    ['the cluster', protocol('CLUSTER_AUTHORIZATION_FAILED', 31)],
    ['a creation policy', new KafkaJSAggregateError('refused', [perTopic('POLICY_VIOLATION', 44, 'events')])],
    ['a replication factor above the broker count', new KafkaJSAggregateError('refused', [perTopic('INVALID_REPLICATION_FACTOR', 38, 'events')])],
  ])('warns and goes on when refused by %s (topics managed elsewhere)', async (_, error) => {
    const { admin } = fakeAdmin([], error);
    const { lines, logger } = recordingLogger();
    await expect(ensureTopics(admin, [{ topic: 'events' }], logger)).resolves.toBeUndefined();
    expect(lines).toEqual([expect.stringMatching(/^warn kafka: may not create topics events/)]);
  });

  it('goes on quietly when the creation failed but the topics exist (another instance made them)', async () => {
    const { admin } = fakeAdmin([], protocol('REQUEST_TIMED_OUT', 7), true);
    const { lines, logger } = recordingLogger();
    await expect(ensureTopics(admin, [{ topic: 'events' }], logger)).resolves.toBeUndefined();
    expect(lines).toEqual([]);
  });
});

describe('isTopicCreationRefusal', () => {
  it('is a refusal only when every broker error in it is one', () => {
    const mixed = new KafkaJSAggregateError('mixed', [perTopic('TOPIC_AUTHORIZATION_FAILED', 29, 'a'), perTopic('REQUEST_TIMED_OUT', 7, 'b')]);
    expect(isTopicCreationRefusal(mixed)).toBe(false);
    const exists = new KafkaJSAggregateError('some exist', [perTopic('TOPIC_ALREADY_EXISTS', 36, 'a'), perTopic('POLICY_VIOLATION', 44, 'b')]);
    expect(isTopicCreationRefusal(exists)).toBe(true);
    expect(isTopicCreationRefusal(new Error('no type at all'))).toBe(false);
    expect(isTopicCreationRefusal(undefined)).toBe(false);
  });
});
