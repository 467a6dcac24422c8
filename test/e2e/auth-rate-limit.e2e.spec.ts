import { ROOT_KEY, startGatehouse, TestClock, TestGatehouse } from '../support/gatehouse';

/** Repeated bad keys or invitation tokens from one address are rate limited (429) without locking out good ones. */
describe('failed authentication rate limit', () => {
  let gh: TestGatehouse;
  const clock = new TestClock();
  beforeAll(async () => {
    gh = await startGatehouse({ clock, env: { GATEHOUSE_AUTH_FAILURES_PER_MINUTE: '5' } });
    await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'acme', preset: 'fireworks' } });
  });
  afterAll(() => gh.stop());

  it('answers 429 past the limit, still lets a good key in, and forgets after a minute', async () => {
    const bad = 'gh_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await gh.http('GET', '/v1/accounts/acme/users', { key: bad })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    const limited = await gh.http('GET', '/v1/accounts/acme/users', { key: bad });
    expect(limited.body.code).toBe('AUTH.RATE_LIMITED');
    expect(limited.headers['retry-after']).toBe('60');
    expect((await gh.http('GET', '/v1/accounts/acme/users', { key: ROOT_KEY })).status).toBe(200);
    clock.advance(61_000);
    expect((await gh.http('GET', '/v1/accounts/acme/users', { key: bad })).status).toBe(401);
  });

  it('counts wrong invitation and invite-link tokens as failed authentications, and never refuses a right one', async () => {
    clock.advance(61_000);
    const A = '/v1/accounts/acme';
    const invited = await gh.http('POST', `${A}/users`, { key: ROOT_KEY, body: { email: 'new@acme.test', roles: ['user'] } });
    const link = await gh.http('POST', `${A}/invite-links`, { key: ROOT_KEY, body: { roles: ['user'] } });
    expect([invited.status, link.status]).toEqual([201, 201]);
    // A right token with its last character changed: the same shape, the wrong secret.
    const wrong = (token: string) => token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await gh.http('POST', `${A}/invitations/accept`, { body: { token: wrong(invited.body.invitation.token) } })).status);
    for (let i = 0; i < 4; i++) statuses.push((await gh.http('POST', `${A}/invite-links/join`, { body: { token: wrong(link.body.token), email: `g${i}@x.test` } })).status);
    expect(statuses).toEqual([400, 400, 400, 400, 400, 429, 429, 429]);
    // The right tokens still work from that address.
    expect((await gh.http('POST', `${A}/invitations/accept`, { body: { token: invited.body.invitation.token } })).status).toBe(200);
    expect((await gh.http('POST', `${A}/invite-links/join`, { body: { token: link.body.token, email: 'joiner@x.test' } })).status).toBe(201);
    // And a bad API key from the same address is refused too: one budget per address.
    expect((await gh.http('GET', `${A}/users`, { key: 'gh_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' })).status).toBe(429);
  });
});
