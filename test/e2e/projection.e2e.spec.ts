import { PermissionCache } from '@gatehouse/permission-cache';
import { ProjectorService } from '../../apps/gatehouse/src/projector/projector.service';
import { ProjectionProgress } from '../../apps/gatehouse/src/projector/projection-progress';
import { redisUrlOrSkip } from '../support/redis';
import { eventCount, ROOT_KEY, startGatehouse, TestGatehouse } from '../support/gatehouse';

/**
 * The projector: replaying events already applied changes nothing, and a rebuild from
 * position zero yields exactly the cache the live projection built.
 */
const caches: ('in-process' | 'redis')[] = ['in-process'];
if (redisUrlOrSkip('projection over Redis')) caches.push('redis');

describe.each(caches)('projection (%s cache)', (cache) => {
  let gh: TestGatehouse;
  const subjects: { principal?: { type: 'user'; id: string }; keyId?: string }[] = [];

  async function snapshot(c: PermissionCache) {
    const out = [];
    for (const s of subjects) {
      const { position: _p, ...rest } = await c.subject('acme', s.keyId ? { keyId: s.keyId } : { principal: s.principal! });
      out.push(rest);
    }
    // Field order is not part of a record's meaning (a Redis patch re-encodes records, in an order that depends on history).
    return JSON.stringify(out, (_key, value: unknown) =>
      value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1))) : value,
    );
  }

  beforeAll(async () => {
    gh = await startGatehouse({ cache });
    const acct = await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'acme', preset: 'fireworks', admins: ['a@acme.test'] } });
    subjects.push({ principal: { type: 'user', id: acct.body.admins[0].id } });
    for (let i = 0; i < 10; i++) {
      const u = await gh.http('POST', '/v1/accounts/acme/users', { key: ROOT_KEY, body: { email: `u${i}@acme.test`, roles: ['inference-user'] } });
      subjects.push({ principal: { type: 'user', id: u.body.id } });
      if (i % 2 === 0) await gh.http('POST', '/v1/accounts/acme/invitations/accept', { body: { token: u.body.invitation.token } });
      if (i % 3 === 0) await gh.http('POST', `/v1/accounts/acme/users/${u.body.id}/roles`, { key: ROOT_KEY, body: { role: 'contributor' } });
      const k = await gh.http('POST', `/v1/accounts/acme/users/${u.body.id}/api-keys`, { key: ROOT_KEY, body: {} });
      subjects.push({ keyId: k.body.id });
      if (i % 4 === 0) await gh.http('DELETE', `/v1/accounts/acme/api-keys/${k.body.id}`, { key: ROOT_KEY });
      if (i === 9) await gh.http('DELETE', `/v1/accounts/acme/users/${u.body.id}`, { key: ROOT_KEY });
    }
    const head = await eventCount(gh.store);
    expect(await gh.app.get(ProjectionProgress).waitFor(head, 5000)).toBe(true);
  });
  afterAll(() => gh.stop());

  it('applying the same events twice changes nothing', async () => {
    const before = await snapshot(gh.cache);
    const checkpoint = await gh.cache.checkpoint();
    const events = await gh.store.readAll({ after: null, maxCount: 10_000 });
    await gh.app.get(ProjectorService).applyBatch(events);
    for (const e of events) await gh.app.get(ProjectorService).applyBatch([e]);
    expect(await gh.cache.checkpoint()).toBe(checkpoint);
    expect(await snapshot(gh.cache)).toBe(before);
  });

  it('a rebuild from position zero yields the same cache', async () => {
    const before = await snapshot(gh.cache);
    const head = await eventCount(gh.store);
    await gh.app.get(ProjectorService).rebuild();
    expect(await gh.app.get(ProjectionProgress).waitFor(head, 5000)).toBe(true);
    expect(await gh.cache.checkpoint()).toBe(head);
    expect(await snapshot(gh.cache)).toBe(before);
    // And checks still answer from it.
    const res = await gh.http('POST', '/v1/accounts/acme/check', { key: ROOT_KEY, body: { principal: subjects[0].principal, action: 'user:create' } });
    expect(res.body.allowed).toBe(true);
  });
});

describe('projection admin endpoints', () => {
  let gh: TestGatehouse;
  beforeAll(async () => {
    gh = await startGatehouse();
    await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'acme', preset: 'fireworks', admins: ['a@acme.test'] } });
  });
  afterAll(() => gh.stop());

  it('reports status and rebuilds with progress, for the root key only', async () => {
    const status = await gh.http('GET', '/v1/admin/projection', { key: ROOT_KEY });
    expect(status.body).toMatchObject({ running: true, rebuilding: false });
    const started = await gh.http('POST', '/v1/admin/projection/rebuild', { key: ROOT_KEY });
    expect(started.status).toBe(202);
    const head = await eventCount(gh.store);
    expect(await gh.app.get(ProjectionProgress).waitFor(head, 5000)).toBe(true);
    const after = await gh.http('GET', '/v1/admin/projection', { key: ROOT_KEY });
    expect(after.body).toMatchObject({ lag: 0, rebuilding: false, rebuild: { total: String(head), applied: Number(head) } });
    expect(after.body.rebuild.finishedAt).toBeDefined();
    const admin = (await gh.http('GET', '/v1/accounts/acme/users', { key: ROOT_KEY })).body.items[0];
    const key = await gh.http('POST', `/v1/accounts/acme/users/${admin.id}/api-keys`, { key: ROOT_KEY, body: {} });
    expect((await gh.http('GET', '/v1/admin/projection', { key: key.body.key })).status).toBe(403);
    expect((await gh.http('POST', '/v1/admin/projection/rebuild', { key: key.body.key })).status).toBe(403);
  });
});
