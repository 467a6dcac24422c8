import { ROOT_KEY, startGatehouse, TestClock, TestGatehouse } from '../support/gatehouse';

/**
 * Failed authentication, from an attacker's side: bad keys from one address turn into
 * 429 past the limit, while every good key — an ordinary user's API key, not only the
 * root key — keeps working from that same address; other addresses are not affected; and
 * a refused key says nothing about why (unknown, forged, revoked and foreign keys look
 * the same).
 */
describe('failed authentications', () => {
  let gh: TestGatehouse;
  const clock = new TestClock();
  let aliceKey: string;
  let revokedKey: string;
  let foreignKey: string;
  let aliceKeyId: string;

  const call = async (address: string, key: string, url = '/v1/accounts/acme/users', method: 'GET' | 'POST' = 'GET', body?: unknown) => {
    const res = await gh.app.getHttpAdapter().getInstance().inject({
      method,
      url,
      remoteAddress: address,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { payload: JSON.stringify(body) } : {}),
    });
    return { status: res.statusCode, body: JSON.parse(res.body || '{}') };
  };

  beforeAll(async () => {
    gh = await startGatehouse({ clock, env: { GATEHOUSE_AUTH_FAILURES_PER_MINUTE: '5' } });
    const acct = await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'acme', preset: 'fireworks', admins: ['alice@acme.test'] } });
    const alice = acct.body.admins[0].id;
    const k = await gh.http('POST', `/v1/accounts/acme/users/${alice}/api-keys`, { key: ROOT_KEY, body: {} });
    aliceKey = k.body.key;
    aliceKeyId = k.body.id;
    const r = await gh.http('POST', `/v1/accounts/acme/users/${alice}/api-keys`, { key: ROOT_KEY, body: {} });
    revokedKey = r.body.key;
    await gh.http('DELETE', `/v1/accounts/acme/api-keys/${r.body.id}`, { key: ROOT_KEY });
    const other = await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'other', preset: 'fireworks', admins: ['olga@other.test'] } });
    foreignKey = (await gh.http('POST', `/v1/accounts/other/users/${other.body.admins[0].id}/api-keys`, { key: ROOT_KEY, body: {} })).body.key;
  });
  afterAll(() => gh.stop());

  it('refuses unknown, forged, revoked, foreign and malformed keys alike (no oracle)', async () => {
    const forged = `gh_${aliceKeyId}_${'A'.repeat(43)}`;
    const answers = [];
    for (const key of ['gh_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', forged, revokedKey, foreignKey, 'not-a-key']) {
      answers.push(await call(`198.51.100.${answers.length + 1}`, key));
    }
    const shapes = answers.map((a) => ({ status: a.status, code: a.body.code, detail: a.body.detail }));
    expect(new Set(shapes.map((s) => JSON.stringify(s))).size).toBe(1);
    expect(shapes[0]).toMatchObject({ status: 401, code: 'AUTH.INVALID_CREDENTIALS' });
  });

  it('answers 429 past the limit from one address, yet an ordinary API key from that address still works', async () => {
    const attacker = '203.0.113.66';
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await call(attacker, `gh_aaaaaaaaaaaaaaaa_${String(i).padStart(43, 'x')}`)).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5).every((s) => s === 429)).toBe(true);

    for (let i = 0; i < 10; i++) {
      expect((await call(attacker, aliceKey)).status).toBe(200);
      const check = await call(attacker, aliceKey, '/v1/accounts/acme/check', 'POST', { principal: { apiKey: aliceKey }, action: 'dataset:read' });
      expect(check.body.allowed).toBe(true);
    }
    expect((await call(attacker, ROOT_KEY)).status).toBe(200);
    // Still limited for bad keys after the good ones: a good key does not reset the count.
    expect((await call(attacker, revokedKey)).status).toBe(429);
    // Another address is judged on its own.
    expect((await call('203.0.113.67', revokedKey)).status).toBe(401);
    expect((await call('203.0.113.67', aliceKey)).status).toBe(200);
    // A minute later the attacker's address is forgiven.
    clock.advance(61_000);
    expect((await call(attacker, revokedKey)).status).toBe(401);
  });
});
