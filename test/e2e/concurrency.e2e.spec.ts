import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccountEvent, AccountState, accountStream, evolveAccount, initialAccountState, verifyChain } from '@gatehouse/domain';
import { RecordedEvent, SqliteEventStore } from '@gatehouse/event-store';
import { sha256Hex } from '../../apps/gatehouse/src/credentials/credentials';
import { memberView } from '../../apps/gatehouse/src/commands/member-view';
import { buildService, call, ServiceBuild, ServiceProcess, startService } from '../support/service-process';

const ROOT_KEY = 'concurrency-root-key-0123456789abcdef0123';
type HttpResult = Awaited<ReturnType<typeof call>>;

/** One Gatehouse process, seen through HTTP like a client sees it. */
class Instance {
  constructor(readonly service: ServiceProcess) {}
  http(method: string, path: string, o: { key?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<HttpResult> {
    return call(this.service.url, method, path, o);
  }
}

/**
 * Issue 9, concurrency: two Gatehouse processes on one SQLite file, 50 writers at once on
 * one account, split between them: each process decides on the state it folded, and the
 * store's expected revision settles who was first. Nothing acknowledged
 * is lost, nothing is applied twice, the stream's hash chain holds, and what each instance
 * shows is exactly the fold of the stored events. Idempotency keys hold under concurrent
 * retries sent to both instances.
 */
describe('concurrent writers on one account (two instances, one store)', () => {
  let dataDir: string;
  let build: ServiceBuild;
  let store: SqliteEventStore;
  let a: Instance;
  let b: Instance;
  const users: { id: string; keyId: string }[] = [];

  /** A client that retries what the API says is safe to retry (409 CONCURRENCY.CONFLICT, 503), with the same Idempotency-Key. */
  async function send(gh: Instance, method: string, url: string, idempotencyKey: string, body?: unknown): Promise<HttpResult> {
    for (let attempt = 0; ; attempt++) {
      const res = await gh.http(method, url, { key: ROOT_KEY, body, headers: { 'idempotency-key': idempotencyKey } });
      const retryable = res.status === 503 || (res.status === 409 && res.body?.code === 'CONCURRENCY.CONFLICT');
      if (!retryable || attempt >= 20) return res;
      await new Promise((r) => setTimeout(r, Math.random() * 20));
    }
  }

  async function allEvents(): Promise<RecordedEvent[]> {
    return store.readAll({ after: null, maxCount: 1_000_000 });
  }

  function fold(events: RecordedEvent[]): AccountState {
    let state = initialAccountState();
    for (const e of events) if (e.streamId === accountStream('acme')) state = evolveAccount(state, { type: e.type, data: e.data } as AccountEvent);
    return state;
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-concurrency-'));
    build = buildService();
    const env = { GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_ROOT_KEY: ROOT_KEY, GATEHOUSE_CONSISTENCY_TIMEOUT_MS: '8000' };
    a = new Instance(await startService(build, env));
    b = new Instance(await startService(build, env));
    store = new SqliteEventStore({ file: join(dataDir, 'events.sqlite'), checkpointInWorker: false });
    expect((await a.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'acme', preset: 'fireworks', admins: ['admin@acme.test'] } })).status).toBe(201);
    for (const [name, permission] of [
      ['r0', 'dataset:read'],
      ['r1', 'model:read'],
      ['pre', 'deployment:read'],
    ]) {
      expect((await a.http('POST', '/v1/accounts/acme/roles', { key: ROOT_KEY, body: { name, grants: [{ permission }] } })).status).toBe(201);
    }
    for (let i = 0; i < 10; i++) {
      const u = await a.http('POST', '/v1/accounts/acme/users', { key: ROOT_KEY, body: { email: `u${i}@acme.test`, roles: ['pre'] } });
      expect(u.status).toBe(201);
      expect((await a.http('POST', '/v1/accounts/acme/invitations/accept', { body: { token: u.body.invitation.token } })).status).toBe(200);
      const k = await a.http('POST', `/v1/accounts/acme/users/${u.body.id}/api-keys`, { key: ROOT_KEY, body: {} });
      expect(k.status).toBe(201);
      users.push({ id: u.body.id, keyId: k.body.id });
    }
  }, 120_000);
  afterAll(async () => {
    await a?.service.stop();
    await b?.service.stop();
    await store?.close();
    build?.remove();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('50 writers at once (assign, unassign, invite, revoke): nothing lost, nothing doubled, the chain holds', async () => {
    const before = (await store.headPosition())!;
    const writes: { instance: Instance; method: string; url: string; key: string; body?: unknown }[] = [];
    for (let i = 0; i < 20; i++) {
      writes.push({ instance: a, method: 'POST', url: `/v1/accounts/acme/users/${users[i % 10].id}/roles`, key: `assign-${i}`, body: { role: `r${Math.floor(i / 10)}` } });
    }
    for (let j = 0; j < 10; j++) writes.push({ instance: a, method: 'DELETE', url: `/v1/accounts/acme/users/${users[j].id}/roles/pre`, key: `unassign-${j}` });
    for (let k = 0; k < 10; k++) writes.push({ instance: a, method: 'POST', url: '/v1/accounts/acme/users', key: `invite-${k}`, body: { email: `n${k}@acme.test`, roles: ['r0'] } });
    for (let m = 0; m < 10; m++) writes.push({ instance: a, method: 'DELETE', url: `/v1/accounts/acme/api-keys/${users[m].keyId}`, key: `revoke-${m}` });
    // Interleaved over both instances: each decides on what it has folded, the store settles who was first.
    writes.forEach((w, i) => (w.instance = i % 2 === 0 ? a : b));

    const answers = await Promise.all(writes.map((w) => send(w.instance, w.method, w.url, w.key, w.body)));
    expect(answers.map((r) => r.status).filter((s) => s >= 300)).toEqual([]);

    const events = await allEvents();
    const fresh = events.filter((e) => e.position > before);
    const count = (type: string) => fresh.filter((e) => e.type === type).length;
    expect([count('RoleAssigned'), count('RoleUnassigned'), count('UserInvited'), count('ApiKeyRevoked')]).toEqual([20, 10, 10, 10]);
    // Every command's events once, under one command id (identity claims of invites aside).
    const byCommand = new Map<string, number>();
    for (const e of fresh) if (e.streamId.startsWith('account-') || e.streamId.startsWith('apikey-')) byCommand.set(e.metadata.commandId, (byCommand.get(e.metadata.commandId) ?? 0) + 1);
    expect([...byCommand.values()].every((n) => n === 1)).toBe(true);
    expect(byCommand.size).toBe(50);
    // Each answer's revision is the position of that command's own event: 50 answers, 50 commands.
    const acknowledged = answers.map((r) => fresh.find((e) => e.position === BigInt(r.body.revision)));
    expect(acknowledged.every((e) => e !== undefined)).toBe(true);
    expect(new Set(acknowledged.map((e) => e!.metadata.commandId)).size).toBe(50);
    expect(verifyChain(sha256Hex, events)).toBeNull();

    // The stored events, folded in order, are the truth; both instances show exactly that.
    const truth = fold(events);
    for (const u of users) expect([...memberView(truth, u.id)!.roles].sort()).toEqual(['r0', 'r1']);
    const listing = (gh: Instance) => gh.http('GET', '/v1/accounts/acme/users', { key: ROOT_KEY });
    const expected = users.map((u) => memberView(truth, u.id));
    for (const gh of [a, b]) {
      const res = await listing(gh);
      expect(res.status).toBe(200);
      const shown = new Map<string, unknown>(res.body.items.map((m: { id: string }) => [m.id, m]));
      for (const m of expected) expect(shown.get(m!.id)).toMatchObject({ roles: m!.roles, status: m!.status });
      expect(res.body.items.filter((m: { email: string }) => /^n\d@/.test(m.email))).toHaveLength(10);
    }

    // And both caches answer from the same state: r0 and r1 held, `pre` gone, keys revoked.
    const head = String((await store.headPosition())!);
    for (const gh of [a, b]) {
      for (const u of users) {
        const check = (action: string) =>
          gh.http('POST', '/v1/accounts/acme/check', { key: ROOT_KEY, body: { principal: { type: 'user', id: u.id }, action, consistency: { atLeast: head } } });
        expect((await check('dataset:read')).body.allowed).toBe(true);
        expect((await check('model:read')).body.allowed).toBe(true);
        expect((await check('deployment:read')).body.allowed).toBe(false);
      }
    }
  }, 180_000);

  it('the same Idempotency-Key sent 10 times at once, to both instances: one command, one answer', async () => {
    const before = (await store.headPosition())!;
    const body = { email: 'retry@acme.test', roles: ['r1'] };
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => send(i % 2 === 0 ? a : b, 'POST', '/v1/accounts/acme/users', 'the-same-key', body)),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(new Set(answers.map((r) => r.body.id)).size).toBe(1);
    expect(new Set(answers.map((r) => r.body.revision)).size).toBe(1);

    const fresh = (await allEvents()).filter((e) => e.position > before);
    expect(fresh.filter((e) => e.type === 'UserInvited')).toHaveLength(1);
    expect(fresh.filter((e) => e.streamId === accountStream('acme'))).toHaveLength(1);

    // The key is bound to its first request: another payload under it is refused, by either instance.
    for (const gh of [a, b]) {
      const reused = await send(gh, 'POST', '/v1/accounts/acme/users', 'the-same-key', { email: 'other@acme.test', roles: [] });
      expect(reused.status).toBe(409);
      expect(reused.body.code).toBe('IDEMPOTENCY.KEY_REUSED');
    }
    // And a concurrent retry of an assignment appends once too.
    const user = users[0].id;
    const assigns = await Promise.all(
      Array.from({ length: 10 }, (_, i) => send(i % 2 === 0 ? a : b, 'DELETE', `/v1/accounts/acme/users/${user}/roles/r1`, 'unassign-once')),
    );
    expect(assigns.map((r) => r.status)).toEqual(Array(10).fill(200));
    const after = (await allEvents()).filter((e) => e.position > before && e.type === 'RoleUnassigned');
    expect(after).toHaveLength(1);
    expect(new Set(assigns.map((r) => r.body.revision))).toEqual(new Set([String(after[0].position)]));
    expect(verifyChain(sha256Hex, await allEvents())).toBeNull();
  }, 60_000);
});
