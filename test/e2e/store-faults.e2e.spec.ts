import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { systemClock, verifyChain } from '@gatehouse/domain';
import { EventStore, EventStoreUnavailableError, SqliteEventStore } from '@gatehouse/event-store';
import { InProcessPermissionCache } from '@gatehouse/permission-cache';
import { RootKey } from '../../apps/gatehouse/src/auth/root-key';
import { createApp, randomIds } from '../../apps/gatehouse/src/bootstrap';
import { loadConfig } from '../../apps/gatehouse/src/config/config';
import { sha256Hex } from '../../apps/gatehouse/src/credentials/credentials';
import { HttpResult, ROOT_KEY, startGatehouse, TestGatehouse } from '../support/gatehouse';

/**
 * Issue 9, the event store failing: writes answer 503 with Retry-After and the stable
 * code EVENT_STORE.UNAVAILABLE, append nothing, and succeed once the store is back;
 * meanwhile reads and checks keep answering (checks from the cache, reads from the
 * state this process folded last).
 */

async function seed(http: (method: string, url: string, o?: { key?: string; body?: unknown; headers?: Record<string, string> }) => Promise<HttpResult>) {
  expect((await http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'acme', preset: 'fireworks', admins: ['admin@acme.test'] } })).status).toBe(201);
  const bob = await http('POST', '/v1/accounts/acme/users', { key: ROOT_KEY, body: { email: 'bob@acme.test', roles: ['inference-user'] } });
  expect(bob.status).toBe(201);
  expect((await http('POST', '/v1/accounts/acme/invitations/accept', { body: { token: bob.body.invitation.token } })).status).toBe(200);
  return bob.body.id as string;
}

function expectStoreUnavailable(res: HttpResult): void {
  expect({ status: res.status, code: res.body?.code, retryAfter: res.headers['retry-after'] }).toEqual({ status: 503, code: 'EVENT_STORE.UNAVAILABLE', retryAfter: '1' });
}

describe('the SQLite file locked by another process', () => {
  let gh: TestGatehouse;
  let bob: string;
  beforeAll(async () => {
    gh = await startGatehouse();
    bob = await seed((m, u, o) => gh.http(m, u, o));
  });
  afterAll(() => gh.stop());

  it('refuses writes with 503 EVENT_STORE.UNAVAILABLE while reads and checks go on, then accepts them again', async () => {
    const head = await gh.store.headPosition();
    // Another connection takes the write lock and keeps it (a backup, a stuck writer).
    const other = new Database(join(gh.dataDir, 'events.sqlite'));
    other.prepare('BEGIN IMMEDIATE').run();
    try {
      const assign = () => gh.http('POST', `/v1/accounts/acme/users/${bob}/roles`, { key: ROOT_KEY, body: { role: 'contributor' }, headers: { 'idempotency-key': 'assign-1' } });
      expectStoreUnavailable(await assign());
      const users = await gh.http('GET', '/v1/accounts/acme/users', { key: ROOT_KEY });
      expect(users.status).toBe(200);
      expect(users.body.items.find((u: { id: string }) => u.id === bob).roles).toEqual(['inference-user']);
      const check = await gh.http('POST', '/v1/accounts/acme/check', { key: ROOT_KEY, body: { principal: { type: 'user', id: bob }, action: 'deployment:infer' } });
      expect({ status: check.status, allowed: check.body.allowed }).toEqual({ status: 200, allowed: true });
    } finally {
      other.prepare('ROLLBACK').run();
      other.close();
    }
    expect(await gh.store.headPosition()).toBe(head);
    const retried = await gh.http('POST', `/v1/accounts/acme/users/${bob}/roles`, { key: ROOT_KEY, body: { role: 'contributor' }, headers: { 'idempotency-key': 'assign-1' } });
    expect(retried.status).toBe(200);
    expect(retried.body.roles).toEqual(['inference-user', 'contributor']);
    expect(verifyChain(sha256Hex, await gh.store.readAll({ after: null, maxCount: 10_000 }))).toBeNull();
  }, 30_000);
});

/** The SQLite store behind a switch: down, every call fails as EventStoreDB's client does when the cluster is unreachable. */
class SwitchableStore implements EventStore {
  down = false;
  constructor(private readonly inner: SqliteEventStore) {}
  private guard(): void {
    if (this.down) throw new EventStoreUnavailableError('the event store does not answer');
  }
  readStream: EventStore['readStream'] = async (...a) => (this.guard(), this.inner.readStream(...a));
  appendToStream: EventStore['appendToStream'] = async (...a) => (this.guard(), this.inner.appendToStream(...a));
  readAll: EventStore['readAll'] = async (...a) => (this.guard(), this.inner.readAll(...a));
  headPosition: EventStore['headPosition'] = async () => (this.guard(), this.inner.headPosition());
  // The subscription reads through this wrapper, so it fails (and retries) with the rest.
  subscribeToAll: EventStore['subscribeToAll'] = (options, handler) => this.inner.subscribeToAll(options, async (events) => (this.guard(), handler(events)));
  ping: EventStore['ping'] = async () => (this.guard(), this.inner.ping());
  close: EventStore['close'] = () => this.inner.close();
}

describe('the event store unreachable (every call fails)', () => {
  let app: NestFastifyApplication;
  let store: SwitchableStore;
  let dataDir: string;
  let bob: string;
  const http = async (method: string, url: string, o: { key?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<HttpResult> => {
    const headers: Record<string, string> = { ...(o.headers ?? {}), ...(o.key ? { authorization: `Bearer ${o.key}` } : {}) };
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const res = await app.getHttpAdapter().getInstance().inject({ method: method as 'GET', url, headers, payload: o.body === undefined ? undefined : JSON.stringify(o.body) });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, headers: res.headers };
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-store-down-'));
    const config = loadConfig({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_ROOT_KEY: ROOT_KEY, LOG_LEVEL: 'silent', PORT: '0', GRPC_PORT: '0' });
    store = new SwitchableStore(new SqliteEventStore({ file: join(dataDir, 'events.sqlite') }));
    app = await createApp({ config, eventStore: store, permissionCache: new InProcessPermissionCache(), rootKey: RootKey.fromKey(ROOT_KEY), clock: systemClock, ids: randomIds });
    bob = await seed(http);
  });
  afterAll(async () => {
    store.down = false;
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses every kind of write with 503 and a stable code, answers reads and checks, and recovers', async () => {
    // Read once while up, as any request would have: this process has the account folded.
    expect((await http('GET', '/v1/accounts/acme/users', { key: ROOT_KEY })).status).toBe(200);
    store.down = true;
    try {
      const writes = [
        http('POST', `/v1/accounts/acme/users/${bob}/roles`, { key: ROOT_KEY, body: { role: 'contributor' }, headers: { 'idempotency-key': 'while-down' } }),
        http('POST', '/v1/accounts/acme/users', { key: ROOT_KEY, body: { email: 'carol@acme.test', roles: [] } }),
        http('POST', `/v1/accounts/acme/users/${bob}/api-keys`, { key: ROOT_KEY, body: {} }),
        http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'globex', preset: 'fireworks', admins: ['x@globex.test'] } }),
      ];
      for (const res of await Promise.all(writes)) expectStoreUnavailable(res);

      const users = await http('GET', '/v1/accounts/acme/users', { key: ROOT_KEY });
      expect(users.status).toBe(200);
      expect(users.body.items.map((u: { email: string }) => u.email).sort()).toEqual(['admin@acme.test', 'bob@acme.test']);
      const allowed = await http('POST', '/v1/accounts/acme/check', { key: ROOT_KEY, body: { principal: { type: 'user', id: bob }, action: 'deployment:infer' } });
      expect({ status: allowed.status, allowed: allowed.body.allowed }).toEqual({ status: 200, allowed: true });
      const denied = await http('POST', '/v1/accounts/acme/check', { key: ROOT_KEY, body: { principal: { type: 'user', id: bob }, action: 'dataset:create' } });
      expect({ status: denied.status, allowed: denied.body.allowed }).toEqual({ status: 200, allowed: false });
    } finally {
      store.down = false;
    }
    const retried = await http('POST', `/v1/accounts/acme/users/${bob}/roles`, { key: ROOT_KEY, body: { role: 'contributor' }, headers: { 'idempotency-key': 'while-down' } });
    expect(retried.status).toBe(200);
    expect(retried.body.roles).toEqual(['inference-user', 'contributor']);
    // The projector, which failed while the store was down, picks up again: the change reaches the checks.
    const check = await http('POST', '/v1/accounts/acme/check', {
      key: ROOT_KEY,
      body: { principal: { type: 'user', id: bob }, action: 'dataset:create', consistency: { atLeast: retried.body.revision } },
    });
    expect({ status: check.status, allowed: check.body.allowed }).toEqual({ status: 200, allowed: true });
    const events = await store.readAll({ after: null, maxCount: 10_000 });
    expect(events.filter((e) => e.type === 'RoleAssigned')).toHaveLength(1);
    expect(verifyChain(sha256Hex, events)).toBeNull();
  }, 30_000);
});
