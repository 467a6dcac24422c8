import { InMemoryEventStore, NewEvent } from '@gatehouse/event-store';
import { RelayCheckpointStore } from '../checkpoint/relay-checkpoint.port';
import { EventMessage } from '../event-message';
import { EventPublisher, EventRelay } from './event-relay';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

class MemoryCheckpoints implements RelayCheckpointStore {
  readonly describe = 'memory';
  saved: bigint[] = [];
  failNext = 0;
  async load() {
    return this.saved.at(-1) ?? null;
  }
  async save(p: bigint) {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('disk full');
    }
    this.saved.push(p);
  }
  async close() {}
}

/** A broker that can be "down": sends fail until it is up again. Records what it acknowledged. */
class FakeBroker implements EventPublisher {
  acked: EventMessage[] = [];
  down = false;
  attempts = 0;
  /** Checkpoint at the moment of each acknowledgement: it must never be ahead of what was acked. */
  checkpointsSeen: (bigint | null)[] = [];
  constructor(private readonly checkpoints: MemoryCheckpoints) {}
  async publish(messages: EventMessage[]) {
    this.attempts++;
    if (this.down) throw new Error('KafkaJSConnectionError: connect ECONNREFUSED');
    this.checkpointsSeen.push(await this.checkpoints.load());
    this.acked.push(...messages);
  }
  async close() {}
}

function event(account: string, n: number): NewEvent {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    type: 'TeamCreated',
    data: { accountId: account, team: `t${n}` },
    metadata: { actor: 'root', account, commandId: `c${n}`, correlationId: `c${n}`, causationId: `c${n}`, occurredAt: '2030-01-01T00:00:00Z', schemaVersion: 1 },
  };
}

async function appendMany(store: InMemoryEventStore, count: number, start = 0) {
  for (let i = start; i < start + count; i++) {
    const account = ['acme', 'globex', 'initech'][i % 3];
    await store.appendToStream(`account-${account}`, [event(account, i)], { expectedRevision: 'any' });
  }
}

describe('EventRelay', () => {
  let store: InMemoryEventStore;
  let checkpoints: MemoryCheckpoints;
  let broker: FakeBroker;
  let relay: EventRelay;

  beforeEach(() => {
    store = new InMemoryEventStore();
    checkpoints = new MemoryCheckpoints();
    broker = new FakeBroker(checkpoints);
    relay = new EventRelay({ store, publisher: broker, checkpoints, logger: quiet, maxBatch: 7, backoff: { initialMs: 5, maxMs: 20 } });
  });
  afterEach(() => relay.stop());

  it('publishes every event once, in store order, and moves the checkpoint only after the acknowledgement', async () => {
    await appendMany(store, 50);
    relay.start();
    expect(await relay.waitFor((await store.headPosition())!, 5000)).toBe(true);
    expect(broker.acked.map((m) => m.headers['event-id'])).toEqual((await store.readAll({ after: null, maxCount: 100 })).map((e) => e.id));
    expect(checkpoints.saved.at(-1)).toBe(await store.headPosition());
    // Each acknowledgement happened while the checkpoint was still behind the batch.
    const positions = broker.acked.map((m) => BigInt(m.headers.revision));
    let i = 0;
    for (const seen of broker.checkpointsSeen) {
      expect(seen === null || seen < positions[i]).toBe(true);
      i += 7;
    }
  });

  it('keeps publishing new events as they are appended', async () => {
    relay.start();
    await appendMany(store, 5);
    expect(await relay.waitFor((await store.headPosition())!, 5000)).toBe(true);
    await appendMany(store, 5, 5);
    expect(await relay.waitFor((await store.headPosition())!, 5000)).toBe(true);
    expect(broker.acked).toHaveLength(10);
  });

  it('while the broker is down: retries with backoff, keeps the checkpoint, then delivers everything in order', async () => {
    await appendMany(store, 10);
    broker.down = true;
    relay.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(broker.attempts).toBeGreaterThan(2);
    expect(relay.status).toBe('retrying');
    expect(relay.lastError).toMatch(/ECONNREFUSED/);
    expect(checkpoints.saved).toEqual([]);
    expect((await relay.lag()).lag).toBe(10n);
    await appendMany(store, 10, 10); // the service keeps appending meanwhile
    broker.down = false;
    expect(await relay.waitFor((await store.headPosition())!, 5000)).toBe(true);
    expect(relay.status).toBe('running');
    const ids = broker.acked.map((m) => m.headers['event-id']);
    expect(ids).toEqual((await store.readAll({ after: null, maxCount: 100 })).map((e) => e.id));
    expect((await relay.lag()).lag).toBe(0n);
  });

  it('a checkpoint that cannot be saved is retried without losing the batch (republishing it at most)', async () => {
    await appendMany(store, 3);
    checkpoints.failNext = 2;
    relay.start();
    expect(await relay.waitFor(3n, 5000)).toBe(true);
    expect(new Set(broker.acked.map((m) => m.headers['event-id'])).size).toBe(3);
  });

  it('resumes after its checkpoint: a restarted relay republishes nothing already acknowledged', async () => {
    await appendMany(store, 6);
    relay.start();
    expect(await relay.waitFor(6n, 5000)).toBe(true);
    await relay.stop();
    await appendMany(store, 3, 6);
    const second = new FakeBroker(checkpoints);
    relay = new EventRelay({ store, publisher: second, checkpoints, logger: quiet });
    relay.start();
    expect(await relay.waitFor(9n, 5000)).toBe(true);
    expect(second.acked.map((m) => m.headers.revision)).toEqual(['7', '8', '9']);
  });

  it('skips identity claims but moves past them', async () => {
    await store.appendToStream('identity-abc', [{ ...event('_global', 1), type: 'UserIdentityRegistered', data: { userId: 'usr_x', email: 'x@y.z' } }], {
      expectedRevision: 'any',
    });
    await appendMany(store, 1);
    relay.start();
    expect(await relay.waitFor(2n, 5000)).toBe(true);
    expect(broker.acked.map((m) => m.headers.type)).toEqual(['TeamCreated']);
    expect(relay.counters.skipped.identity_stream).toBe(1);
  });

  it('stops promptly even while it is retrying a broker that is down', async () => {
    await appendMany(store, 1);
    broker.down = true;
    relay = new EventRelay({ store, publisher: broker, checkpoints, logger: quiet, backoff: { initialMs: 60_000, maxMs: 60_000 } });
    relay.start();
    await new Promise((r) => setTimeout(r, 30));
    const started = Date.now();
    await relay.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(relay.status).toBe('stopped');
  });
});
