import { status as Status } from '@grpc/grpc-js';
import { DomainError } from '@gatehouse/domain';
import { asRoot, eventCount, memberWithKey, ROOT_KEY, startGatehouse, TestGatehouse } from '../support/gatehouse';
import { GrpcTestClient } from '../support/grpc-client';
import { redisUrlOrSkip } from '../support/redis';

/**
 * Batch checks, over gRPC (CheckBulk) and HTTP (POST /v1/accounts/{a}/checks): each item
 * answered on its own, in order; a bad item gets its own error; one cache read per
 * distinct principal however many items name it; at most 1,000 items.
 */
const caches: ('in-process' | 'redis')[] = ['in-process'];
if (redisUrlOrSkip('batch checks over Redis')) caches.push('redis');

describe.each(caches)('batch checks (%s cache)', (cache) => {
  let gh: TestGatehouse;
  let client: GrpcTestClient;
  let alice: { id: string; key: string };
  let bob: { id: string; key: string };

  const http = (method: string, url: string, body?: unknown) => asRoot(gh, method, url, body);
  const member = (email: string, roles: string[]) => memberWithKey(gh, 'acme', email, roles);

  beforeAll(async () => {
    gh = await startGatehouse({ grpc: true, cache, env: { GATEHOUSE_CONSISTENCY_TIMEOUT_MS: '300' } });
    client = new GrpcTestClient(gh.grpcAddress!);
    await http('POST', '/v1/accounts', { id: 'acme', preset: 'fireworks', admins: ['root-admin@acme.test'] });
    alice = await member('alice@acme.test', ['contributor']);
    bob = await member('bob@acme.test', ['inference-user']);
  });
  afterAll(async () => {
    client.close();
    await gh.stop();
  });

  /** The mixed batch, in HTTP JSON and as gatehouse.v1 items. */
  function mixedBatch() {
    const json = [
      { principal: { type: 'user', id: alice.id }, action: 'dataset:create', resource: { type: 'dataset' } },
      { principal: { type: 'user', id: bob.id }, action: 'dataset:create', resource: { type: 'dataset' } },
      { principal: { type: 'user', id: alice.id }, action: 'not an action' },
      { principal: { apiKey: alice.key }, action: 'dataset:delete', resource: { type: 'dataset', owner: alice.id } },
      { action: 'dataset:read' },
      { principal: { apiKey: 'gh_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' }, action: 'dataset:read' },
      { principal: { type: 'user', id: 'usr_aaaaaaaaaaaaaaaa' }, action: 'dataset:read' },
    ];
    const proto = json.map((c) => ({
      ...(c.principal ? { principal: 'apiKey' in c.principal ? { api_key: c.principal.apiKey } : { user_id: c.principal.id } } : {}),
      action: c.action,
      ...(c.resource ? { resource: { ...c.resource } } : {}),
    }));
    return { json, proto, bad: [2, 4] };
  }

  it('CheckBulk answers every item as Check would, in order, and a bad item only gets its own error', async () => {
    const { json, proto, bad } = mixedBatch();
    const bulk = await client.call('CheckBulk', { account: 'acme', checks: proto }, { key: alice.key });
    expect(bulk.results).toHaveLength(json.length);
    for (const [i, item] of proto.entries()) {
      const result = bulk.results[i];
      if (bad.includes(i)) {
        expect(result).toEqual({ result: 'error', error: { status: Status.INVALID_ARGUMENT, code: 'REQUEST.INVALID_BODY', message: expect.any(String) } });
        const single = await client.failureOf('Check', { account: 'acme', ...item }, { key: alice.key });
        expect({ status: single.code, code: single.errorCode }).toEqual({ status: result.error.status, code: result.error.code });
      } else {
        expect(result.result).toBe('answer');
        expect(result.answer).toEqual(await client.call('Check', { account: 'acme', ...item }, { key: alice.key }));
      }
    }
    expect(bulk.results.map((r: { answer?: { reason: string } }) => r.answer?.reason)).toEqual([
      'GRANTED',
      'NO_GRANT',
      undefined,
      'GRANTED',
      undefined,
      'KEY_NOT_FOUND',
      'PRINCIPAL_NOT_FOUND',
    ]);
    // Nothing was written since: every answer and the batch saw the store's head.
    const head = String(await eventCount(gh.store));
    expect(bulk.revision).toBe(head);
    expect(bulk.results.filter((r: { answer?: unknown }) => r.answer).every((r: { answer: { revision: string } }) => r.answer.revision === head)).toBe(true);
  });

  it('POST /checks gives the same answers, a problem for each bad item, and the revision', async () => {
    const { json, proto, bad } = mixedBatch();
    const res = await gh.http('POST', '/v1/accounts/acme/checks', { key: alice.key, body: { checks: json } });
    expect(res.status).toBe(200);
    const bulk = await client.call('CheckBulk', { account: 'acme', checks: proto }, { key: alice.key });
    expect(res.body.revision).toBe(bulk.revision);
    for (const [i, result] of (res.body.results as Record<string, unknown>[]).entries()) {
      if (bad.includes(i)) {
        expect(result).toEqual({ error: expect.objectContaining({ status: 400, code: 'REQUEST.INVALID_BODY', title: 'Bad Request', detail: expect.any(String) }) });
      } else {
        const single = await gh.http('POST', '/v1/accounts/acme/check', { key: alice.key, body: json[i] });
        expect(result).toEqual(single.body);
        expect({ ...result, matched: result.matched ?? null }).toEqual(bulk.results[i].answer);
      }
    }
  });

  it('reads each distinct principal from the cache once, however many items name it, all in one read', async () => {
    const subject = jest.spyOn(gh.cache, 'subjects');
    const refsRead = () => subject.mock.calls.reduce((n, [, refs]) => n + refs.length, 0);
    try {
      const actions = ['dataset:create', 'dataset:read', 'dataset:delete', 'model:read', 'deployment:infer'];
      // 300 items over three subjects: Alice by id, Alice by key, Bob by id.
      const json = Array.from({ length: 300 }, (_, i) => ({
        principal: [{ type: 'user', id: alice.id }, { apiKey: alice.key }, { type: 'user', id: bob.id }][i % 3],
        action: actions[i % actions.length],
        resource: { type: actions[i % actions.length].split(':')[0], owner: i % 2 ? alice.id : bob.id },
      }));
      const res = await gh.http('POST', '/v1/accounts/acme/checks', { key: ROOT_KEY, body: { checks: json } });
      expect(res.status).toBe(200);
      expect(res.body.results).toHaveLength(300);
      expect(subject).toHaveBeenCalledTimes(1);
      expect(refsRead()).toBe(3);

      subject.mockClear();
      const proto = json.map((c) => ({ principal: 'apiKey' in c.principal ? { api_key: c.principal.apiKey } : { user_id: c.principal.id }, action: c.action, resource: c.resource }));
      const bulk = await client.call('CheckBulk', { account: 'acme', checks: proto }, { key: ROOT_KEY });
      expect(bulk.results).toHaveLength(300);
      // The caller's key rides in the same read as the three subjects (or is read by the authenticator first).
      expect(refsRead()).toBeLessThanOrEqual(4);
      expect(refsRead()).toBeGreaterThanOrEqual(3);
      expect(bulk.results.map((r: { answer: { allowed: boolean } }) => r.answer.allowed)).toEqual(res.body.results.map((r: { allowed: boolean }) => r.allowed));

      // Different secrets for one key id share the read, and each is still checked on its own.
      subject.mockClear();
      const forged = `${alice.key.slice(0, -4)}AAAA`;
      const keys = await client.call('CheckBulk', { account: 'acme', checks: [alice.key, forged, alice.key].map((k) => ({ principal: { api_key: k }, action: 'dataset:read' })) }, { key: ROOT_KEY });
      expect(keys.results.map((r: { answer: { reason: string } }) => r.answer.reason)).toEqual(['GRANTED', 'KEY_NOT_FOUND', 'GRANTED']);
      expect(subject).toHaveBeenCalledTimes(1);
      expect(refsRead()).toBe(1);
    } finally {
      subject.mockRestore();
    }
  });

  it('a cache that cannot be read fails the batch closed (UNAVAILABLE / 503), never a guess', async () => {
    const subject = jest.spyOn(gh.cache, 'subjects');
    subject.mockRejectedValue(new DomainError('PERMISSION_CACHE.UNAVAILABLE', 'unavailable', 'cache shard down'));
    try {
      const checks = [alice.id, bob.id, alice.id].map((id) => ({ principal: { user_id: id }, action: 'dataset:read' }));
      const failure = await client.failureOf('CheckBulk', { account: 'acme', checks }, { key: ROOT_KEY });
      expect({ code: failure.code, errorCode: failure.errorCode }).toEqual({ code: Status.UNAVAILABLE, errorCode: 'PERMISSION_CACHE.UNAVAILABLE' });
      const res = await gh.http('POST', '/v1/accounts/acme/checks', { key: ROOT_KEY, body: { checks: [alice.id, bob.id].map((id) => ({ principal: { type: 'user', id }, action: 'dataset:read' })) } });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 503, code: 'PERMISSION_CACHE.UNAVAILABLE' });
    } finally {
      subject.mockRestore();
    }
    // Back to normal once the cache answers.
    const ok = await client.call('CheckBulk', { account: 'acme', checks: [{ principal: { user_id: alice.id }, action: 'dataset:read' }] }, { key: ROOT_KEY });
    expect(ok.results[0].answer.allowed).toBe(true);
  });

  it('takes up to 1,000 items; 1,001 is refused whole with CHECK.TOO_MANY_ITEMS (INVALID_ARGUMENT / 400)', async () => {
    const item = { principal: { user_id: alice.id }, action: 'dataset:read' };
    const full = await client.call('CheckBulk', { account: 'acme', checks: Array(1000).fill(item) }, { key: alice.key });
    expect(full.results).toHaveLength(1000);
    const failure = await client.failureOf('CheckBulk', { account: 'acme', checks: Array(1001).fill(item) }, { key: alice.key });
    expect({ code: Status[failure.code], errorCode: failure.errorCode }).toEqual({ code: 'INVALID_ARGUMENT', errorCode: 'CHECK.TOO_MANY_ITEMS' });

    const jsonItem = { principal: { type: 'user', id: alice.id }, action: 'dataset:read' };
    expect((await gh.http('POST', '/v1/accounts/acme/checks', { key: alice.key, body: { checks: Array(1000).fill(jsonItem) } })).status).toBe(200);
    const tooMany = await gh.http('POST', '/v1/accounts/acme/checks', { key: alice.key, body: { checks: Array(1001).fill(jsonItem) } });
    expect({ status: tooMany.status, code: tooMany.body.code }).toEqual({ status: 400, code: 'CHECK.TOO_MANY_ITEMS' });
  });

  it('applies consistency to the whole batch: not reached → FAILED_PRECONDITION / 503, refused whole', async () => {
    const ahead = String((await eventCount(gh.store)) + 1000n);
    const failure = await client.failureOf(
      'CheckBulk',
      { account: 'acme', checks: [{ principal: { user_id: alice.id }, action: 'dataset:read' }], consistency: { at_least: ahead } },
      { key: alice.key },
    );
    expect({ code: Status[failure.code], errorCode: failure.errorCode }).toEqual({ code: 'FAILED_PRECONDITION', errorCode: 'CONSISTENCY.NOT_YET_APPLIED' });
    const res = await gh.http('POST', '/v1/accounts/acme/checks', {
      key: alice.key,
      body: { checks: [{ principal: { type: 'user', id: alice.id }, action: 'dataset:read' }], consistency: { atLeast: ahead } },
    });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 503, code: 'CONSISTENCY.NOT_YET_APPLIED' });

    // Reached: read-your-writes for every item.
    const assigned = await http('POST', `/v1/accounts/acme/users/${bob.id}/roles`, { role: 'contributor' });
    const bulk = await client.call(
      'CheckBulk',
      { account: 'acme', checks: [{ principal: { user_id: bob.id }, action: 'dataset:create' }], consistency: { at_least: assigned.revision } },
      { key: alice.key },
    );
    expect(bulk.results[0].answer).toMatchObject({ allowed: true, matched: { role: 'contributor' } });
    expect(BigInt(bulk.revision)).toBeGreaterThanOrEqual(BigInt(assigned.revision));
    await http('DELETE', `/v1/accounts/acme/users/${bob.id}/roles/contributor`);
  });

  it('answers an empty batch with no results and the current revision', async () => {
    const bulk = await client.call('CheckBulk', { account: 'acme', checks: [] }, { key: alice.key });
    expect(bulk).toEqual({ results: [], revision: String(await eventCount(gh.store)) });
    const res = await gh.http('POST', '/v1/accounts/acme/checks', { key: alice.key, body: { checks: [] } });
    expect(res.body).toEqual({ results: [], revision: bulk.revision });
  });

  it('refuses a malformed batch envelope whole over HTTP (not an object item, unknown field, no checks)', async () => {
    for (const body of [{ checks: ['dataset:read'] }, { checks: [], extra: 1 }, {}, { checks: {} }]) {
      const res = await gh.http('POST', '/v1/accounts/acme/checks', { key: alice.key, body });
      expect({ body, status: res.status, code: res.body.code }).toEqual({ body, status: 400, code: 'REQUEST.INVALID_BODY' });
    }
    const unauthenticated = await gh.http('POST', '/v1/accounts/acme/checks', { body: { checks: [] } });
    expect({ status: unauthenticated.status, code: unauthenticated.body.code }).toEqual({ status: 401, code: 'AUTH.MISSING_CREDENTIALS' });
  });
});
