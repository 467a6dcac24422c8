import { randomUUID } from 'node:crypto';
import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { EventStoreUnavailableError, NewEvent } from '../event-store.port';
import { describeEventStoreContract } from '../testing/event-store.contract';
import { startFakeEventStoreDb } from '../testing/fake-eventstoredb-server';
import { EventStoreDbEventStore } from './eventstoredb-event-store';

const CONNECTION_ENV = 'EVENTSTORE_CONNECTION_STRING';
const connectionString = process.env[CONNECTION_ENV];

if (connectionString) {
  // A shared server: the contract isolates itself by random stream names.
  describeEventStoreContract('EventStoreDbEventStore', async () => {
    const store = new EventStoreDbEventStore({ connectionString, deadlineMs: 10_000 });
    return { store, cleanup: () => store.close() };
  });
} else {
  const bar = '!'.repeat(78);
  console.warn(
    `\n${bar}\n!! The EventStoreDB contract suite did NOT run: ${CONNECTION_ENV} is not set.\n` +
      `!! Set it (e.g. esdb://localhost:2113?tls=false) to test EventStoreDbEventStore against a real server.\n` +
      `!! Only the deadline test below ran.\n${bar}\n`,
  );
  describe('EventStoreDbEventStore contract', () => {
    it(`EventStoreDB contract suite skipped: ${CONNECTION_ENV} not set`, () => {
      // Intentionally empty: the warning above says why nothing was tested.
    });
  });
}

// Always runs: the adapter and the real client against an in-process stand-in for the
// server's gRPC API (see fake-eventstoredb-server.ts for what it does and does not show).
describeEventStoreContract('EventStoreDbEventStore via a fake gRPC server', async () => {
  const fake = await startFakeEventStoreDb();
  const store = new EventStoreDbEventStore({ connectionString: fake.connectionString });
  return {
    store,
    isolated: true,
    cleanup: async () => {
      await store.close();
      await fake.stop();
    },
  };
});

describe('EventStoreDbEventStore against a server that accepts connections but never answers', () => {
  let server: Server;
  let port: number;
  const sockets = new Set<Socket>();
  let store: EventStoreDbEventStore;

  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    store = new EventStoreDbEventStore({ connectionString: `esdb://127.0.0.1:${port}?tls=false`, deadlineMs: 300 });
  });

  afterAll(async () => {
    await store.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function expectUnavailableQuickly(call: () => Promise<unknown>): Promise<void> {
    const started = Date.now();
    await expect(call()).rejects.toBeInstanceOf(EventStoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(2000);
  }

  it('rejects readStream with EventStoreUnavailableError within the deadline', async () => {
    await expectUnavailableQuickly(() => store.readStream('account-1'));
  });

  it('rejects appendToStream with EventStoreUnavailableError within the deadline', async () => {
    await expectUnavailableQuickly(() => store.appendToStream('account-1', [newEvent()], { expectedRevision: 'no_stream' }));
  });

  it('rejects readAll, headPosition and ping with EventStoreUnavailableError within the deadline', async () => {
    await expectUnavailableQuickly(() => store.readAll({ after: null, maxCount: 10 }));
    await expectUnavailableQuickly(() => store.headPosition());
    await expectUnavailableQuickly(() => store.ping());
  });

  it('ends a subscription that is never confirmed, rejecting `done` with EventStoreUnavailableError', async () => {
    const handler = jest.fn(async () => undefined);
    const sub = store.subscribeToAll({ after: null }, handler);
    await expectUnavailableQuickly(() => sub.done);
    expect(handler).not.toHaveBeenCalled();
    await sub.close();
  });

  it('was really talking to the silent server', () => {
    expect(sockets.size).toBeGreaterThan(0);
  });
});

function newEvent(): NewEvent {
  return {
    id: randomUUID(),
    type: 'Probe',
    data: {},
    metadata: {
      actor: 'system',
      account: 'acct-1',
      commandId: randomUUID(),
      correlationId: 'c',
      causationId: 'c',
      occurredAt: '2025-01-01T00:00:00.000Z',
      schemaVersion: 1,
    },
  };
}
