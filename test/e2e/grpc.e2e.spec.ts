import { status as Status } from '@grpc/grpc-js';
import { DomainError } from '@gatehouse/domain';
import { CheckService } from '../../apps/gatehouse/src/check/check.service';
import { asRoot, eventCount, memberWithKey, ROOT_KEY, startGatehouse, TestGatehouse } from '../support/gatehouse';
import { failWith, interceptSubjects } from '../support/cache-faults';
import { GrpcFailure, GrpcTestClient } from '../support/grpc-client';

/**
 * gatehouse.v1.PermissionService end to end, from a client built only from the protos:
 * authentication from metadata, consistency, deadlines, every error status with its
 * stable code in the trailers, introspection, health and reflection.
 */
describe('gRPC PermissionService', () => {
  const CONSISTENCY_TIMEOUT_MS = 1500;
  let gh: TestGatehouse;
  let client: GrpcTestClient;
  const logs: string[] = [];
  let alice: { id: string; key: string; keyId: string };
  let bob: { id: string; key: string; keyId: string };
  let globexKey: string;

  const http = (method: string, url: string, body?: unknown) => asRoot(gh, method, url, body);
  const member = (account: string, email: string, roles: string[]) => memberWithKey(gh, account, email, roles);

  beforeAll(async () => {
    gh = await startGatehouse({ grpc: true, logs, env: { GATEHOUSE_CONSISTENCY_TIMEOUT_MS: String(CONSISTENCY_TIMEOUT_MS) } });
    client = new GrpcTestClient(gh.grpcAddress!);
    await http('POST', '/v1/accounts', { id: 'acme', preset: 'fireworks', admins: ['root-admin@acme.test'] });
    await http('POST', '/v1/accounts', { id: 'globex', preset: 'fireworks', admins: ['root-admin@globex.test'] });
    alice = await member('acme', 'alice@acme.test', ['admin']);
    bob = await member('acme', 'bob@acme.test', ['inference-user']);
    globexKey = (await member('globex', 'gina@globex.test', ['admin'])).key;
  });
  afterAll(async () => {
    client.close();
    await gh.stop();
  });

  const createDataset = (principal: object, extra: object = {}) => ({
    account: 'acme',
    principal,
    action: 'dataset:create',
    resource: { type: 'dataset' },
    ...extra,
  });

  function expectFailure(failure: GrpcFailure, code: Status, errorCode: string) {
    expect({ code: Status[failure.code], errorCode: failure.errorCode }).toEqual({ code: Status[code], errorCode });
    // The same code, machine-readable, in the standard google.rpc.Status details.
    expect(failure.status?.code).toBe(code);
    expect(failure.status?.details[0]).toEqual({ type: 'google.rpc.ErrorInfo', value: expect.objectContaining({ reason: errorCode, domain: 'gatehouse.dev' }) });
  }

  describe('Check', () => {
    it('answers as POST /check does, with the revision it saw, for a caller authenticated by its own key', async () => {
      const grpc = await client.call('Check', createDataset({ user_id: bob.id }), { key: alice.key });
      const http = await gh.http('POST', '/v1/accounts/acme/check', { key: alice.key, body: { principal: { type: 'user', id: bob.id }, action: 'dataset:create', resource: { type: 'dataset' } } });
      expect(grpc).toEqual({ ...http.body, matched: null, revision: http.body.revision });
      expect(grpc).toMatchObject({ allowed: false, reason: 'NO_GRANT' });
      expect(BigInt(grpc.revision)).toBe(await eventCount(gh.store));
      // A member with no management permission may ask too.
      expect((await client.call('Check', createDataset({ api_key: bob.key }), { key: bob.key })).allowed).toBe(false);
    });

    it('reads its writes: at_least a role assignment’s revision sees the new role', async () => {
      const assigned = await http('POST', `/v1/accounts/acme/users/${bob.id}/roles`, { role: 'contributor' });
      const answer = await client.call('Check', createDataset({ api_key: bob.key }, { consistency: { at_least: assigned.revision } }), { key: alice.key });
      expect(answer).toMatchObject({ allowed: true, reason: 'GRANTED', matched: { role: 'contributor', grant: 'dataset:create', condition: 'any' } });
      expect(BigInt(answer.revision)).toBeGreaterThanOrEqual(BigInt(assigned.revision));
    });

    it('denies with reasons, never errors, for unknown principals and keys', async () => {
      const unknownUser = await client.call('Check', createDataset({ user_id: 'usr_aaaaaaaaaaaaaaaa' }), { key: alice.key });
      expect(unknownUser).toMatchObject({ allowed: false, reason: 'PRINCIPAL_NOT_FOUND' });
      const wrongSecret = await client.call('Check', createDataset({ api_key: `${bob.key.slice(0, -4)}AAAA` }), { key: alice.key });
      expect(wrongSecret).toMatchObject({ allowed: false, reason: 'KEY_NOT_FOUND' });
    });

    it('answers an unknown account, asked by the root key, with a denial (ACCOUNT_NOT_FOUND), as HTTP does', async () => {
      const grpc = await client.call('Check', { ...createDataset({ user_id: alice.id }), account: 'no-such-account' }, { key: ROOT_KEY });
      const http = await gh.http('POST', '/v1/accounts/no-such-account/check', { key: ROOT_KEY, body: { principal: { type: 'user', id: alice.id }, action: 'dataset:create' } });
      expect(http.status).toBe(200);
      expect(grpc).toMatchObject({ allowed: false, reason: 'ACCOUNT_NOT_FOUND' });
      expect(grpc.reason).toBe(http.body.reason);
    });
  });

  describe('errors: one status per category, the stable code in the trailers', () => {
    it.each([
      ['a malformed action', createDataset({ user_id: 'usr_x' }, { action: 'not an action' })],
      ['no action', createDataset({ user_id: 'usr_x' }, { action: '' })],
      ['no principal', { account: 'acme', action: 'dataset:create' }],
      ['an empty principal id', createDataset({ user_id: '' })],
      ['a malformed at_least', createDataset({ user_id: 'usr_x' }, { consistency: { at_least: 'latest' } })],
      ['too many tag dimensions', createDataset({ user_id: 'usr_x' }, { resource: { tags: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`d${i}`, { values: ['x'] }])) } })],
    ])('%s → INVALID_ARGUMENT, REQUEST.INVALID_BODY', async (_what, request) => {
      expectFailure(await client.failureOf('Check', request, { key: alice.key }), Status.INVALID_ARGUMENT, 'REQUEST.INVALID_BODY');
    });

    it('a malformed or missing account → INVALID_ARGUMENT, before any credential is looked at', async () => {
      expectFailure(await client.failureOf('Check', { ...createDataset({ user_id: alice.id }), account: 'Not An Account' }, {}), Status.INVALID_ARGUMENT, 'REQUEST.INVALID_BODY');
      expectFailure(await client.failureOf('Check', { ...createDataset({ user_id: alice.id }), account: '' }, { key: alice.key }), Status.INVALID_ARGUMENT, 'REQUEST.INVALID_BODY');
    });

    it('no credential → UNAUTHENTICATED, AUTH.MISSING_CREDENTIALS (even for a malformed request)', async () => {
      expectFailure(await client.failureOf('Check', createDataset({ user_id: alice.id }), {}), Status.UNAUTHENTICATED, 'AUTH.MISSING_CREDENTIALS');
      expectFailure(await client.failureOf('Check', createDataset({ user_id: alice.id }, { action: 'nope' }), {}), Status.UNAUTHENTICATED, 'AUTH.MISSING_CREDENTIALS');
    });

    it('not a bearer credential → UNAUTHENTICATED, AUTH.MALFORMED_CREDENTIALS', async () => {
      expectFailure(await client.failureOf('Check', createDataset({ user_id: alice.id }), { authorization: `Basic ${alice.key}` }), Status.UNAUTHENTICATED, 'AUTH.MALFORMED_CREDENTIALS');
    });

    it('a wrong, unknown or foreign key → UNAUTHENTICATED, AUTH.INVALID_CREDENTIALS, all alike', async () => {
      for (const key of [`${alice.key.slice(0, -4)}AAAA`, 'gh_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 'not-a-key', globexKey]) {
        expectFailure(await client.failureOf('Check', createDataset({ user_id: alice.id }), { key }), Status.UNAUTHENTICATED, 'AUTH.INVALID_CREDENTIALS');
      }
    });

    it('a revoked key → UNAUTHENTICATED at once', async () => {
      const carol = await member('acme', 'carol@acme.test', ['user']);
      expect(await client.call('Check', createDataset({ user_id: carol.id }), { key: carol.key })).toMatchObject({ reason: expect.any(String) });
      await http('DELETE', `/v1/accounts/acme/api-keys/${carol.keyId}`);
      expectFailure(await client.failureOf('Check', createDataset({ user_id: carol.id }), { key: carol.key }), Status.UNAUTHENTICATED, 'AUTH.INVALID_CREDENTIALS');
    });

    it('a revision not reached within the consistency timeout → FAILED_PRECONDITION, CONSISTENCY.NOT_YET_APPLIED, retry in 1 s', async () => {
      const ahead = String((await eventCount(gh.store)) + 1000n);
      const started = Date.now();
      const failure = await client.failureOf('Check', createDataset({ user_id: alice.id }, { consistency: { at_least: ahead } }), { key: alice.key, deadlineMs: 10_000 });
      expectFailure(failure, Status.FAILED_PRECONDITION, 'CONSISTENCY.NOT_YET_APPLIED');
      expect(Date.now() - started).toBeGreaterThanOrEqual(CONSISTENCY_TIMEOUT_MS - 50);
      expect(failure.status?.details[1]).toEqual({ type: 'google.rpc.RetryInfo', value: { retryDelay: { seconds: 1, nanos: 0 } } });
      // HTTP says the same with 503 and the same code.
      const http = await gh.http('POST', '/v1/accounts/acme/check', { key: alice.key, body: { principal: { type: 'user', id: alice.id }, action: 'dataset:create', consistency: { atLeast: ahead } } });
      expect({ status: http.status, code: http.body.code }).toEqual({ status: 503, code: 'CONSISTENCY.NOT_YET_APPLIED' });
    });

    it('the cache down → UNAVAILABLE with its code; a defect → INTERNAL, logged, no detail leaked', async () => {
      try {
        interceptSubjects(gh.cache, failWith(new DomainError('PERMISSION_CACHE.UNAVAILABLE', 'unavailable', 'the permission cache does not answer')));
        expectFailure(await client.failureOf('Check', createDataset({ user_id: alice.id }), { key: ROOT_KEY }), Status.UNAVAILABLE, 'PERMISSION_CACHE.UNAVAILABLE');
        jest.restoreAllMocks();
        interceptSubjects(gh.cache, failWith(new Error('disk on fire at /var/secret')));
        const failure = await client.failureOf('Check', createDataset({ user_id: alice.id }), { key: ROOT_KEY });
        expectFailure(failure, Status.INTERNAL, 'INTERNAL');
        expect(failure.details).not.toContain('disk');
        expect(logs.some((line) => line.includes('Check') && line.includes('disk on fire'))).toBe(true);
      } finally {
        jest.restoreAllMocks();
      }
    });

    it('a message over the body limit → RESOURCE_EXHAUSTED (from grpc-js, before Gatehouse reads it)', async () => {
      const failure = await client.failureOf('Check', createDataset({ user_id: alice.id }, { resource: { id: 'x'.repeat(1024 * 1024 + 1) } }), { key: alice.key });
      expect(Status[failure.code]).toBe('RESOURCE_EXHAUSTED');
    });
  });

  describe('deadlines', () => {
    it('a check waiting for at_least gives up at the client’s deadline: DEADLINE_EXCEEDED within ~300 ms, and the server stops waiting', async () => {
      const checks = gh.app.get(CheckService);
      const settled: number[] = [];
      const original = checks.check.bind(checks);
      const spy = jest.spyOn(checks, 'check').mockImplementation((...args) => {
        const result = original(...args);
        void result.then(
          () => settled.push(Date.now()),
          () => settled.push(Date.now()),
        );
        return result;
      });
      try {
        const ahead = String((await eventCount(gh.store)) + 1000n);
        const started = Date.now();
        const failure = await client.failureOf('Check', createDataset({ user_id: alice.id }, { consistency: { at_least: ahead } }), { key: alice.key, deadlineMs: 200 });
        const elapsed = Date.now() - started;
        expect(Status[failure.code]).toBe('DEADLINE_EXCEEDED');
        expect(elapsed).toBeGreaterThanOrEqual(190);
        expect(elapsed).toBeLessThan(300);
        // The server's own bound is 1,500 ms; its wait ended with the deadline, not with that bound.
        await new Promise((resolve) => setTimeout(resolve, 250));
        expect(settled).toHaveLength(1);
        expect(settled[0] - started).toBeLessThan(450);
      } finally {
        spy.mockRestore();
      }
    });

    it('a deadline longer than the work changes nothing', async () => {
      expect((await client.call('Check', createDataset({ user_id: alice.id }), { key: alice.key, deadlineMs: 5_000 })).allowed).toBe(true);
    });
  });

  describe('IntrospectApiKey', () => {
    it('describes a key as POST /v1/introspect does, for a caller of its account', async () => {
      const http = await gh.http('POST', '/v1/introspect', { key: alice.key, body: { apiKey: bob.key } });
      const grpc = await client.call('IntrospectApiKey', { api_key: bob.key }, { key: alice.key });
      expect(grpc).toEqual({
        active: true,
        reason: '',
        account: 'acme',
        key_id: bob.keyId,
        principal: { user_id: bob.id, kind: 'user_id' },
        status: 'active',
        roles: http.body.roles,
        teams: http.body.teams,
        restricted: false,
        expires_at: null,
        revision: http.body.revision,
      });
      expect(http.body).toMatchObject({ active: true, account: 'acme', keyId: bob.keyId, principal: { type: 'user', id: bob.id } });
      // Naming the account gives the same answer.
      expect(await client.call('IntrospectApiKey', { account: 'acme', api_key: bob.key }, { key: alice.key })).toEqual(grpc);
    });

    it('says active = false and nothing more for a key of another account, or an unknown one; the root key sees all', async () => {
      const inactive = { active: false, reason: '', account: '', key_id: '', principal: null, status: '', roles: [], teams: [], restricted: false, expires_at: null, revision: '' };
      expect(await client.call('IntrospectApiKey', { api_key: globexKey }, { key: alice.key })).toEqual(inactive);
      expect(await client.call('IntrospectApiKey', { api_key: 'gh_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' }, { key: alice.key })).toEqual(inactive);
      expect(await client.call('IntrospectApiKey', { api_key: globexKey }, { key: ROOT_KEY })).toMatchObject({ active: true, account: 'globex' });
    });

    it('reports an expiring key’s expiry and a revoked key’s reason', async () => {
      const expiresAt = new Date(Date.now() + 86_400_000);
      expiresAt.setMilliseconds(250);
      const dave = await member('acme', 'dave@acme.test', ['user']);
      const expiring = await http('POST', `/v1/accounts/acme/users/${dave.id}/api-keys`, { expiresAt: expiresAt.toISOString() });
      const answer = await client.call('IntrospectApiKey', { api_key: expiring.key }, { key: ROOT_KEY });
      expect(answer.expires_at).toEqual({ seconds: String(Math.floor(expiresAt.getTime() / 1000)), nanos: 250_000_000 });
      await http('DELETE', `/v1/accounts/acme/api-keys/${expiring.id}`);
      expect(await client.call('IntrospectApiKey', { api_key: expiring.key }, { key: ROOT_KEY })).toMatchObject({ active: false, reason: 'KEY_REVOKED', account: 'acme' });
    });

    it('refuses a missing key (INVALID_ARGUMENT) and an unauthenticated caller (UNAUTHENTICATED)', async () => {
      expectFailure(await client.failureOf('IntrospectApiKey', { api_key: '' }, { key: alice.key }), Status.INVALID_ARGUMENT, 'REQUEST.INVALID_BODY');
      expectFailure(await client.failureOf('IntrospectApiKey', { api_key: bob.key }, {}), Status.UNAUTHENTICATED, 'AUTH.MISSING_CREDENTIALS');
      expectFailure(await client.failureOf('IntrospectApiKey', { account: 'globex', api_key: bob.key }, { key: alice.key }), Status.UNAUTHENTICATED, 'AUTH.INVALID_CREDENTIALS');
    });
  });

  describe('health and reflection', () => {
    it('reports SERVING for the server and for PermissionService, NOT_FOUND for anything else', async () => {
      expect(await client.healthCheck('')).toBe('SERVING');
      expect(await client.healthCheck('gatehouse.v1.PermissionService')).toBe('SERVING');
      await expect(client.healthCheck('no.such.Service')).rejects.toMatchObject({ code: Status.NOT_FOUND });
    });

    it.each(['v1', 'v1alpha'] as const)('lists the services and describes PermissionService over reflection %s', async (version) => {
      const listed = await client.reflect(version, { list_services: '' });
      const names = (listed.list_services_response.service as { name: string }[]).map((s) => s.name);
      expect(names).toEqual(expect.arrayContaining(['gatehouse.v1.PermissionService', 'grpc.health.v1.Health']));
      const described = await client.reflect(version, { file_containing_symbol: 'gatehouse.v1.PermissionService' });
      const files = described.file_descriptor_response.file_descriptor_proto as Buffer[];
      expect(files.length).toBeGreaterThan(0);
      expect(Buffer.concat(files).toString('latin1')).toContain('IntrospectApiKey');
      // The error detail types are described too, so grpcurl can print a failure's details.
      const errorInfo = await client.reflect(version, { file_containing_symbol: 'google.rpc.ErrorInfo' });
      expect(errorInfo.file_descriptor_response.file_descriptor_proto.length).toBeGreaterThan(0);
    });
  });
});

describe('gRPC server lifecycle', () => {
  it('stops with the app: health goes away and calls fail UNAVAILABLE', async () => {
    const gh = await startGatehouse({ grpc: true });
    const client = new GrpcTestClient(gh.grpcAddress!);
    try {
      expect(await client.healthCheck()).toBe('SERVING');
      await gh.stop();
      const failure = await client.failureOf('Check', { account: 'acme' }, { key: ROOT_KEY, deadlineMs: 2_000 });
      expect(Status[failure.code]).toBe('UNAVAILABLE');
    } finally {
      client.close();
    }
  });
});
