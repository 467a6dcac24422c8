import { Readable } from 'node:stream';
import fc from 'fast-check';
import { MAX_BULK_CHECKS } from '@gatehouse/contracts';
import { eventCount, ROOT_KEY, startGatehouse, TestGatehouse } from '../support/gatehouse';

/**
 * The check endpoints fed hostile input: random JSON, random bytes, random principals,
 * oversized bodies and batches. Whatever arrives, the answer is a decision or a 4xx
 * problem with a stable code — never a 5xx — an unknown or forged principal is never
 * allowed, and no check appends anything.
 */
const BODY_LIMIT = 256 * 1024; // room for a full batch of 1,000 checks
const RUNS = 150;

describe('hostile input on the check endpoints', () => {
  let gh: TestGatehouse;
  let adminKey: string;
  let bob: { id: string; key: string; keyId: string };
  let head: bigint;

  beforeAll(async () => {
    gh = await startGatehouse({ env: { GATEHOUSE_BODY_LIMIT_BYTES: String(BODY_LIMIT) } });
    const acct = await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'acme', preset: 'fireworks', admins: ['alice@acme.test'] } });
    adminKey = (await gh.http('POST', `/v1/accounts/acme/users/${acct.body.admins[0].id}/api-keys`, { key: ROOT_KEY, body: {} })).body.key;
    const inv = await gh.http('POST', '/v1/accounts/acme/users', { key: adminKey, body: { email: 'bob@acme.test', roles: ['contributor'] } });
    await gh.http('POST', '/v1/accounts/acme/invitations/accept', { body: { token: inv.body.invitation.token } });
    const k = await gh.http('POST', `/v1/accounts/acme/users/${inv.body.id}/api-keys`, { key: adminKey, body: {} });
    bob = { id: inv.body.id, key: k.body.key, keyId: k.body.id };
    // Wait until the cache has every write, so a check never waits on the projector below.
    const ready = await gh.http('POST', '/v1/accounts/acme/check', { key: adminKey, body: { principal: { apiKey: bob.key }, action: 'dataset:read', consistency: { atLeast: k.body.revision } } });
    expect(ready.body.allowed).toBe(true);
    head = await eventCount(gh.store);
  }, 60_000);
  afterAll(() => gh.stop());
  afterEach(async () => expect(await eventCount(gh.store)).toBe(head));

  const expectAnswerOrProblem = (res: { status: number; body: any; headers: Record<string, unknown> }) => {
    expect(res.status).toBeLessThan(500);
    if (res.status === 200) return;
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.code).toMatch(/^[A-Z_]+\.[A-Z_]+$/);
  };

  // Principals nobody in the account is: unknown ids, junk keys, our format with a wrong secret,
  // another account's shape, and bob's key id with a forged secret.
  const unknownPrincipal = fc.oneof(
    fc.record({ type: fc.constantFrom('user', 'service_account'), id: fc.string({ minLength: 1, maxLength: 128 }) }),
    fc.record({ apiKey: fc.string({ minLength: 1, maxLength: 512 }) }),
    fc.stringMatching(/^[A-Za-z0-9_-]{20,80}$/).map((secret) => ({ apiKey: `gh_${bob.keyId}_${secret}` })),
    fc.stringMatching(/^[a-z2-7]{16}$/).map((id) => ({ apiKey: `gh_${id}_${'a'.repeat(43)}` })),
  );
  const action = fc.oneof(fc.constantFrom('dataset:read', 'dataset:delete', 'user:create', 'api_key:delete', '*:*'), fc.stringMatching(/^[a-z][a-z0-9_]{0,10}:[a-z][a-z0-9_]{0,10}$/));
  const resource = fc.option(
    fc.record(
      {
        type: fc.string({ maxLength: 64 }),
        id: fc.string({ maxLength: 256 }),
        owner: fc.oneof(fc.string({ maxLength: 128 }), fc.constant('usr_x')),
        team: fc.string({ maxLength: 128 }),
        tags: fc.dictionary(fc.string({ maxLength: 20 }), fc.array(fc.string({ maxLength: 30 }), { maxLength: 5 }), { maxKeys: 5 }),
      },
      { requiredKeys: [] },
    ),
    { nil: undefined },
  );

  it('never allows an unknown or forged principal, whatever the action and resource', async () => {
    await fc.assert(
      fc.asyncProperty(unknownPrincipal, action, resource, async (principal, act, res) => {
        const body = { principal, action: act, ...(res ? { resource: res } : {}) };
        const answer = await gh.http('POST', '/v1/accounts/acme/check', { key: adminKey, body });
        expectAnswerOrProblem(answer);
        if (answer.status === 200) expect(answer.body).toMatchObject({ allowed: false });
      }),
      { numRuns: RUNS },
    );
  }, 120_000);

  it('answers random JSON values with a decision or a 400, never a 5xx (single and batch)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), fc.boolean(), async (value, bulk) => {
        const url = bulk ? '/v1/accounts/acme/checks' : '/v1/accounts/acme/check';
        const body = bulk ? { checks: Array.isArray(value) ? value : [value] } : value;
        const answer = await gh.http('POST', url, { key: adminKey, raw: JSON.stringify(body) });
        expectAnswerOrProblem(answer);
        if (answer.status === 200 && !bulk) expect(answer.body.allowed).toBe(false);
        if (answer.status === 200 && bulk) {
          for (const r of answer.body.results) if (!r.error) expect(r.allowed).toBe(false);
        }
      }),
      { numRuns: RUNS },
    );
  }, 120_000);

  it('answers random bytes, wrong media types and broken JSON with a 4xx problem', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 2000 }), fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1'), async (raw, type) => {
        const answer = await gh.http('POST', '/v1/accounts/acme/check', { key: adminKey, raw, headers: { 'content-type': type } });
        expectAnswerOrProblem(answer);
        if (answer.status === 200) expect(answer.body.allowed).toBe(false);
      }),
      { numRuns: RUNS },
    );
  }, 120_000);

  it('does not let __proto__ or constructor keys turn a denial into an allow', async () => {
    const raws = [
      `{"principal":{"type":"user","id":"usr_nobody"},"action":"dataset:read","__proto__":{"allowed":true}}`,
      `{"principal":{"type":"user","id":"usr_nobody","__proto__":{"admin":true}},"action":"dataset:read"}`,
      `{"principal":{"apiKey":"x"},"action":"dataset:read","resource":{"tags":{"__proto__":["a"],"constructor":["b"]}}}`,
      `{"checks":[{"principal":{"type":"user","id":"usr_nobody"},"action":"dataset:read","__proto__":{"allowed":true}}],"__proto__":{"allowed":true}}`,
    ];
    for (const raw of raws) {
      const url = raw.startsWith('{"checks"') ? '/v1/accounts/acme/checks' : '/v1/accounts/acme/check';
      const answer = await gh.http('POST', url, { key: adminKey, raw });
      expectAnswerOrProblem(answer);
      if (answer.status === 200) expect(JSON.stringify(answer.body)).not.toContain('"allowed":true');
    }
    expect(({} as Record<string, unknown>).allowed).toBeUndefined();
    const after = await gh.http('POST', '/v1/accounts/acme/check', { key: adminKey, body: { principal: { type: 'user', id: 'usr_nobody' }, action: 'dataset:read' } });
    expect(after.body).toMatchObject({ allowed: false, reason: 'PRINCIPAL_NOT_FOUND' });
  });

  it('refuses deeply nested JSON with a 4xx, not a stack overflow', async () => {
    const depth = 120_000; // 240 kB: under the limit, so the parser and the validator see it
    for (const raw of ['['.repeat(depth) + ']'.repeat(depth), `{"principal":{"apiKey":"x"},"action":"a:b","resource":{"tags":{"t":${'['.repeat(depth)}${']'.repeat(depth)}}}}`, `{"checks":${'['.repeat(depth)}${']'.repeat(depth)}}`]) {
      expect(raw.length).toBeLessThan(BODY_LIMIT);
      const answer = await gh.http('POST', raw.startsWith('{"checks"') ? '/v1/accounts/acme/checks' : '/v1/accounts/acme/check', { key: adminKey, raw });
      expectAnswerOrProblem(answer);
      expect(answer.status).toBe(400);
    }
  });

  describe('size limits', () => {
    it('refuses a body over GATEHOUSE_BODY_LIMIT_BYTES with 413 REQUEST.BODY_TOO_LARGE, with or without Content-Length', async () => {
      const big = JSON.stringify({ principal: { apiKey: 'x'.repeat(BODY_LIMIT) }, action: 'dataset:read' });
      for (const url of ['/v1/accounts/acme/check', '/v1/accounts/acme/checks', '/v1/accounts/acme/users']) {
        const res = await gh.http('POST', url, { key: adminKey, raw: big });
        expect({ url, status: res.status, code: res.body.code }).toEqual({ url, status: 413, code: 'REQUEST.BODY_TOO_LARGE' });
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
      // Chunked: no Content-Length, the limit is enforced while reading.
      const chunked = await gh.app.getHttpAdapter().getInstance().inject({
        method: 'POST',
        url: '/v1/accounts/acme/check',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        payload: Readable.from([big.slice(0, BODY_LIMIT / 2), big.slice(BODY_LIMIT / 2)]),
      });
      expect(chunked.statusCode).toBe(413);
      expect(JSON.parse(chunked.body).code).toBe('REQUEST.BODY_TOO_LARGE');
    });

    it('accepts a body just under the limit', async () => {
      const tags: Record<string, string[]> = {};
      const body = { principal: { type: 'user', id: bob.id }, action: 'dataset:read', resource: { type: 'dataset', tags } };
      // 256 values of 250 characters per dimension, up to 32 dimensions: grow one value at a time to within 1 kB of the limit.
      for (let n = 0; JSON.stringify(body).length < BODY_LIMIT - 1024; n++) (tags[`d${Math.floor(n / 256)}`] ??= []).push('x'.repeat(250));
      const size = JSON.stringify(body).length;
      expect(size).toBeGreaterThan(BODY_LIMIT - 1024);
      expect(size).toBeLessThan(BODY_LIMIT);
      const res = await gh.http('POST', '/v1/accounts/acme/check', { key: adminKey, body });
      expect(res.status).toBe(200);
      expect(res.body.allowed).toBe(true);
    });

    it(`refuses a batch of more than ${MAX_BULK_CHECKS} checks with 400 CHECK.TOO_MANY_ITEMS, and answers ${MAX_BULK_CHECKS}`, async () => {
      const item = { principal: { type: 'user', id: bob.id }, action: 'dataset:read' };
      const over = await gh.http('POST', '/v1/accounts/acme/checks', { key: adminKey, body: { checks: Array.from({ length: MAX_BULK_CHECKS + 1 }, () => item) } });
      expect(over.status).toBe(400);
      expect(over.body).toMatchObject({ code: 'CHECK.TOO_MANY_ITEMS', limit: MAX_BULK_CHECKS, count: MAX_BULK_CHECKS + 1 });
      // Items that are not even objects are counted first, not validated one by one.
      const junk = await gh.http('POST', '/v1/accounts/acme/checks', { key: adminKey, raw: `{"checks":[${Array(20_000).fill('0').join(',')}]}` });
      expect(junk.body.code).toBe('CHECK.TOO_MANY_ITEMS');
      const full = await gh.http('POST', '/v1/accounts/acme/checks', { key: adminKey, body: { checks: Array.from({ length: MAX_BULK_CHECKS }, () => item) } });
      expect(full.status).toBe(200);
      expect(full.body.results).toHaveLength(MAX_BULK_CHECKS);
      expect(full.body.results.every((r: { allowed: boolean }) => r.allowed)).toBe(true);
    });

    it('answers a full batch of random, mostly malformed items one by one, never allowing an unknown principal', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.record({ principal: unknownPrincipal, action })), { minLength: 1, maxLength: 200 }), async (checks) => {
          const answer = await gh.http('POST', '/v1/accounts/acme/checks', { key: adminKey, body: { checks } });
          expectAnswerOrProblem(answer);
          if (answer.status !== 200) return;
          expect(answer.body.results).toHaveLength(checks.length);
          for (const r of answer.body.results) {
            if (r.error) expect(r.error.status).toBeLessThan(500);
            else expect(r.allowed).toBe(false);
          }
        }),
        { numRuns: 40 },
      );
    }, 120_000);
  });
});
