import { ROOT_KEY, startGatehouse, TestClock, TestGatehouse } from '../support/gatehouse';

/** Repeated bad keys from one address are rate limited (429) without locking out good keys. */
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
});
