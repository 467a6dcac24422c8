import { redisUrlOrSkip } from '../support/redis';
import { eventCount, ROOT_KEY, startGatehouse, TestGatehouse } from '../support/gatehouse';

/**
 * The README walkthrough, end to end: create account → invite → accept → assign role →
 * create key → check allowed → revoke → check denied right away (atLeast = the revoke's
 * revision). Run with the in-process cache and with Redis.
 */
const caches: ('in-process' | 'redis')[] = ['in-process'];
if (redisUrlOrSkip('walkthrough over Redis')) caches.push('redis');

describe.each(caches)('walkthrough (%s cache)', (cache) => {
  let gh: TestGatehouse;
  beforeAll(async () => {
    gh = await startGatehouse({ cache });
  });
  afterAll(() => gh.stop());

  it('runs the whole life of a key, with read-your-writes on revocation', async () => {
    const acct = await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'acme', preset: 'fireworks', admins: ['alice@acme.test'] } });
    expect(acct.status).toBe(201);
    const alice = acct.body.admins[0];
    expect(alice.email).toBe('alice@acme.test');

    const aliceKey = await gh.http('POST', `/v1/accounts/acme/users/${alice.id}/api-keys`, { key: ROOT_KEY, body: { name: 'alice laptop' } });
    expect(aliceKey.status).toBe(201);
    expect(aliceKey.body.key).toMatch(/^gh_[a-z2-7]+_/);

    const bob = await gh.http('POST', '/v1/accounts/acme/users', { key: aliceKey.body.key, body: { email: 'bob@acme.test', roles: ['inference-user'] } });
    expect(bob.status).toBe(201);
    expect(bob.body).toMatchObject({ email: 'bob@acme.test', status: 'invited', roles: ['inference-user'] });
    expect(bob.body.invitation.token).toMatch(/^ghi_/);

    const accepted = await gh.http('POST', '/v1/accounts/acme/invitations/accept', { body: { token: bob.body.invitation.token } });
    expect(accepted.status).toBe(200);
    expect(accepted.body.status).toBe('active');

    const assigned = await gh.http('POST', `/v1/accounts/acme/users/${bob.body.id}/roles`, { key: aliceKey.body.key, body: { role: 'contributor' } });
    expect(assigned.status).toBe(200);
    expect(assigned.body.roles).toEqual(['inference-user', 'contributor']);

    const bobKey = await gh.http('POST', `/v1/accounts/acme/users/${bob.body.id}/api-keys`, { key: aliceKey.body.key, body: {} });
    expect(bobKey.status).toBe(201);

    const check = (revision?: string) =>
      gh.http('POST', '/v1/accounts/acme/check', {
        key: aliceKey.body.key,
        body: {
          principal: { apiKey: bobKey.body.key },
          action: 'dataset:create',
          resource: { type: 'dataset' },
          ...(revision ? { consistency: { atLeast: revision } } : {}),
        },
      });
    const allowed = await check(bobKey.body.revision);
    expect(allowed.status).toBe(200);
    expect(allowed.body).toMatchObject({ allowed: true, reason: 'GRANTED', matched: { role: 'contributor', grant: 'dataset:create' } });
    expect(BigInt(allowed.body.revision)).toBeGreaterThanOrEqual(BigInt(bobKey.body.revision));

    const revoked = await gh.http('DELETE', `/v1/accounts/acme/api-keys/${bobKey.body.id}`, { key: aliceKey.body.key });
    expect(revoked.status).toBe(200);
    const denied = await check(revoked.body.revision);
    expect(denied.body).toMatchObject({ allowed: false, reason: 'KEY_REVOKED' });
    expect(BigInt(denied.body.revision)).toBeGreaterThanOrEqual(BigInt(revoked.body.revision));

    // The revoked key no longer authenticates either.
    const asBob = await gh.http('GET', '/v1/accounts/acme/users', { key: bobKey.body.key });
    expect(asBob.status).toBe(401);
    expect(asBob.body.code).toBe('AUTH.INVALID_CREDENTIALS');
  });

  it('answers a check that waits for a revision far ahead with a clear 503, not a stale answer', async () => {
    const before = await eventCount(gh.store);
    const res = await gh.http('POST', '/v1/accounts/acme/check', {
      key: ROOT_KEY,
      body: { principal: { type: 'user', id: 'usr_x' }, action: 'dataset:read', consistency: { atLeast: String(before + 1000n) } },
    });
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('CONSISTENCY.NOT_YET_APPLIED');
    expect(res.headers['retry-after']).toBe('1');
  }, 20_000);
});
