import { status as Status } from '@grpc/grpc-js';
import { asRoot, ROOT_KEY, startGatehouse, TestGatehouse } from '../support/gatehouse';
import { GrpcTestClient } from '../support/grpc-client';
import { redisUrlOrSkip } from '../support/redis';

/**
 * LookupResources and LookupSubjects over gRPC, with a client built only from the
 * .proto files: the same pages as HTTP, cursors that page to the end, errors mapped to
 * gRPC statuses with the stable code in the trailers.
 */
const caches: ('in-process' | 'redis')[] = ['in-process'];
if (redisUrlOrSkip('gRPC lookups over Redis')) caches.push('redis');

describe.each(caches)('gRPC lookups (%s cache)', (cache) => {
  let gh: TestGatehouse;
  let client: GrpcTestClient;
  let admin: string;
  let contributor: { id: string; key: string };
  let revision = '0';

  const http = (method: string, url: string, body?: unknown) => asRoot(gh, method, url, body);

  beforeAll(async () => {
    gh = await startGatehouse({ grpc: true, cache });
    client = new GrpcTestClient(gh.grpcAddress!);
    const acct = await http('POST', '/v1/accounts', { id: 'acme', preset: 'fireworks', admins: ['root-admin@acme.test'] });
    admin = acct.admins[0].id;
    const invited = await http('POST', '/v1/accounts/acme/users', { email: 'con@acme.test', roles: ['contributor'] });
    await http('POST', '/v1/accounts/acme/invitations/accept', { token: invited.invitation.token });
    const key = await http('POST', `/v1/accounts/acme/users/${invited.id}/api-keys`, {});
    contributor = { id: invited.id, key: key.key };
    for (let i = 0; i < 25; i++) {
      const r = await http('PUT', `/v1/accounts/acme/resources/model/m-${String(i).padStart(2, '0')}`, {
        owner: i % 2 ? contributor.id : admin,
        tags: { env: [i % 5 ? 'dev' : 'prod'] },
      });
      revision = r.revision;
    }
  });
  afterAll(async () => {
    client.close();
    await gh.stop();
  });

  it('pages LookupResources to the end with the same answer as HTTP', async () => {
    const grpcIds: string[] = [];
    let cursor = '';
    let pages = 0;
    do {
      const res = await client.call(
        'LookupResources',
        { account: 'acme', principal: { user_id: contributor.id }, action: 'model:update', page_size: 4, cursor, consistency: { at_least: revision } },
        { key: contributor.key },
      );
      for (const r of res.resources) {
        expect(r.owner).toBe(contributor.id);
        grpcIds.push(r.id);
      }
      expect(BigInt(res.revision)).toBeGreaterThanOrEqual(BigInt(revision));
      cursor = res.next_cursor;
      pages++;
    } while (cursor !== '');
    expect(pages).toBe(4); // 12 owned, 4 per page, the last page empty-cursored
    const http = await gh.http('POST', '/v1/accounts/acme/lookup/resources', {
      key: contributor.key,
      body: { principal: { type: 'user', id: contributor.id }, action: 'model:update', limit: 100 },
    });
    expect(grpcIds).toEqual(http.body.resources.map((r: { id: string }) => r.id));
    const first = await client.call('LookupResources', { account: 'acme', principal: { user_id: admin }, action: 'model:read', page_size: 1 }, { key: ROOT_KEY });
    expect(first.resources[0]).toEqual({ type: 'model', id: 'm-00', owner: admin, team: '', tags: { env: { values: ['prod'] } } });
  });

  it('answers LookupSubjects with the matched grant', async () => {
    const res = await client.call('LookupSubjects', { account: 'acme', resource: { id: 'm-01' }, action: 'model:update', page_size: 10 }, { key: contributor.key });
    const byId = Object.fromEntries(res.subjects.map((s: { principal: { user_id: string }; matched: { condition: string } }) => [s.principal.user_id, s.matched.condition]));
    expect(byId).toEqual({ [admin]: 'any', [contributor.id]: 'own' });
    expect(res.next_cursor).toBe('');
  });

  it('answers Check as_of a past revision from history, and refuses as_of where it is not served', async () => {
    const before = revision;
    const off = await http('POST', `/v1/accounts/acme/users/${contributor.id}/deactivate`);
    const check = (consistency: object, key = ROOT_KEY) =>
      client.call('Check', { account: 'acme', principal: { user_id: contributor.id }, action: 'model:create', consistency }, { key });
    expect((await check({ at_least: off.revision })).reason).toBe('PRINCIPAL_DEACTIVATED');
    const past = await check({ as_of: before });
    expect(past).toMatchObject({ allowed: true, reason: 'GRANTED' });
    expect(BigInt(past.revision)).toBeLessThanOrEqual(BigInt(before));
    expect((await check({ as_of: new Date(Date.now() + 60_000).toISOString() })).reason).toBe('PRINCIPAL_DEACTIVATED');
    // History needs audit.read: the contributor's own key does not carry it.
    const refused = await client.failureOf('Check', { account: 'acme', principal: { user_id: admin }, action: 'model:create', consistency: { as_of: before } }, { key: contributor.key });
    expect([Status.UNAUTHENTICATED, Status.PERMISSION_DENIED]).toContain(refused.code);
    const unsupported = await client.failureOf('LookupResources', { account: 'acme', principal: { user_id: admin }, action: 'model:read', consistency: { as_of: before } }, { key: ROOT_KEY });
    expect([unsupported.code, unsupported.errorCode]).toEqual([Status.INVALID_ARGUMENT, 'CONSISTENCY.AS_OF_UNSUPPORTED']);
    const bad = await client.failureOf('Check', { account: 'acme', principal: { user_id: admin }, action: 'model:create', consistency: { as_of: 'last tuesday' } }, { key: ROOT_KEY });
    expect([bad.code, bad.errorCode]).toEqual([Status.INVALID_ARGUMENT, 'AUDIT.INVALID_AS_OF']);
    await http('POST', `/v1/accounts/acme/users/${contributor.id}/reactivate`);
  });

  it('maps errors to gRPC statuses with stable codes', async () => {
    const badCursor = await client.failureOf('LookupResources', { account: 'acme', principal: { user_id: admin }, action: 'model:read', cursor: 'bogus' }, { key: ROOT_KEY });
    expect([badCursor.code, badCursor.errorCode]).toEqual([Status.INVALID_ARGUMENT, 'LOOKUP.INVALID_CURSOR']);
    const noPrincipal = await client.failureOf('LookupResources', { account: 'acme', action: 'model:read' }, { key: ROOT_KEY });
    expect([noPrincipal.code, noPrincipal.errorCode]).toEqual([Status.INVALID_ARGUMENT, 'REQUEST.INVALID_BODY']);
    const tooBig = await client.failureOf('LookupSubjects', { account: 'acme', resource: { id: 'm-01' }, action: 'model:read', page_size: 5000 }, { key: ROOT_KEY });
    expect(tooBig.code).toBe(Status.INVALID_ARGUMENT);
    const anon = await client.failureOf('LookupSubjects', { account: 'acme', resource: { id: 'm-01' }, action: 'model:read' });
    expect(anon.code).toBe(Status.UNAUTHENTICATED);
    const notYet = await client.failureOf(
      'LookupResources',
      { account: 'acme', principal: { user_id: admin }, action: 'model:read', consistency: { at_least: '99999999' } },
      { key: ROOT_KEY, deadlineMs: 300 },
    );
    expect([Status.DEADLINE_EXCEEDED, Status.FAILED_PRECONDITION]).toContain(notYet.code);
  });
});
