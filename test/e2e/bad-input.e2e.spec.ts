import { eventCount, ROOT_KEY, startGatehouse, TestGatehouse } from '../support/gatehouse';

/**
 * Every endpoint, fed bad input: a 4xx problem+json with a stable code, and nothing
 * appended to the store. A 500 here would be a bug.
 */
describe('bad input', () => {
  let gh: TestGatehouse;
  let admin: { id: string; key: string };
  let member: { id: string; key: string; keyId: string };

  beforeAll(async () => {
    gh = await startGatehouse();
    const acct = await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'acme', preset: 'fireworks', admins: ['admin@acme.test'] } });
    const adminKey = await gh.http('POST', `/v1/accounts/acme/users/${acct.body.admins[0].id}/api-keys`, { key: ROOT_KEY, body: {} });
    admin = { id: acct.body.admins[0].id, key: adminKey.body.key };
    const inv = await gh.http('POST', '/v1/accounts/acme/users', { key: admin.key, body: { email: 'm@acme.test' } });
    await gh.http('POST', '/v1/accounts/acme/invitations/accept', { body: { token: inv.body.invitation.token } });
    const k = await gh.http('POST', `/v1/accounts/acme/users/${inv.body.id}/api-keys`, { key: admin.key, body: {} });
    member = { id: inv.body.id, key: k.body.key, keyId: k.body.id };
    await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'other', preset: 'fireworks', admins: [] } });
  });
  afterAll(() => gh.stop());

  type Case = [name: string, method: string, url: () => string, opts: () => Parameters<TestGatehouse['http']>[2], status: number, code: string];
  const cases: Case[] = [
    // POST /v1/accounts
    ['create account without credentials', 'POST', () => '/v1/accounts', () => ({ body: { id: 'x1', preset: 'fireworks' } }), 401, 'AUTH.MISSING_CREDENTIALS'],
    ['create account with a malformed Authorization header', 'POST', () => '/v1/accounts', () => ({ headers: { authorization: 'Basic abc' }, body: { id: 'x1', preset: 'fireworks' } }), 401, 'AUTH.MALFORMED_CREDENTIALS'],
    ['create account with a wrong key', 'POST', () => '/v1/accounts', () => ({ key: 'gh_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', body: { id: 'x1', preset: 'fireworks' } }), 401, 'AUTH.INVALID_CREDENTIALS'],
    ['create account with a member key', 'POST', () => '/v1/accounts', () => ({ key: admin.key, body: { id: 'x1', preset: 'fireworks' } }), 403, 'PERMISSION.DENIED'],
    ['create account with malformed JSON', 'POST', () => '/v1/accounts', () => ({ key: ROOT_KEY, raw: '{"id": "x1",' }), 400, 'REQUEST.MALFORMED_JSON'],
    ['create account with an unknown field', 'POST', () => '/v1/accounts', () => ({ key: ROOT_KEY, body: { id: 'x1', preset: 'fireworks', colour: 'red' } }), 400, 'REQUEST.INVALID_BODY'],
    ['create account with a bad id', 'POST', () => '/v1/accounts', () => ({ key: ROOT_KEY, body: { id: 'Bad Id!', preset: 'fireworks' } }), 400, 'REQUEST.INVALID_BODY'],
    ['create account with an unknown preset', 'POST', () => '/v1/accounts', () => ({ key: ROOT_KEY, body: { id: 'x1', preset: 'casbin' } }), 400, 'REQUEST.INVALID_BODY'],
    ['create account with a bad admin email', 'POST', () => '/v1/accounts', () => ({ key: ROOT_KEY, body: { id: 'x1', preset: 'fireworks', admins: ['not-an-email'] } }), 400, 'REQUEST.INVALID_BODY'],
    ['create an existing account', 'POST', () => '/v1/accounts', () => ({ key: ROOT_KEY, body: { id: 'acme', preset: 'fireworks' } }), 409, 'ACCOUNT.ALREADY_EXISTS'],
    ['create account with a JSON array body', 'POST', () => '/v1/accounts', () => ({ key: ROOT_KEY, body: [] }), 400, 'REQUEST.INVALID_BODY'],
    ['create account without a body', 'POST', () => '/v1/accounts', () => ({ key: ROOT_KEY }), 400, 'REQUEST.BODY_REQUIRED'],
    ['create account as text/plain', 'POST', () => '/v1/accounts', () => ({ key: ROOT_KEY, raw: 'id=x1', headers: { 'content-type': 'text/plain' } }), 415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE'],
    ['create account with a body over the limit', 'POST', () => '/v1/accounts', () => ({ key: ROOT_KEY, raw: JSON.stringify({ id: 'x1', preset: 'fireworks', pad: 'x'.repeat(2 * 1024 * 1024) }) }), 413, 'REQUEST.BODY_TOO_LARGE'],
    // POST /users
    ['invite into an unknown account (root)', 'POST', () => '/v1/accounts/nope/users', () => ({ key: ROOT_KEY, body: { email: 'a@b.test' } }), 404, 'ACCOUNT.NOT_FOUND'],
    ["invite with another account's key", 'POST', () => '/v1/accounts/other/users', () => ({ key: admin.key, body: { email: 'a@b.test' } }), 401, 'AUTH.INVALID_CREDENTIALS'],
    ['invite with a bad account id in the path', 'POST', () => '/v1/accounts/BAD!/users', () => ({ key: ROOT_KEY, body: { email: 'a@b.test' } }), 400, 'REQUEST.INVALID_PARAMETER'],
    ['invite with an invalid email', 'POST', () => '/v1/accounts/acme/users', () => ({ key: admin.key, body: { email: 'nope' } }), 400, 'REQUEST.INVALID_BODY'],
    ['invite with an unknown field', 'POST', () => '/v1/accounts/acme/users', () => ({ key: admin.key, body: { email: 'a@b.test', admin: true } }), 400, 'REQUEST.INVALID_BODY'],
    ['invite with an unknown role', 'POST', () => '/v1/accounts/acme/users', () => ({ key: admin.key, body: { email: 'a@b.test', roles: ['owner'] } }), 400, 'ROLE.NOT_FOUND'],
    ['invite an existing member', 'POST', () => '/v1/accounts/acme/users', () => ({ key: admin.key, body: { email: 'M@acme.test' } }), 409, 'USER.ALREADY_MEMBER'],
    ['invite without permission', 'POST', () => '/v1/accounts/acme/users', () => ({ key: member.key, body: { email: 'z@acme.test' } }), 403, 'PERMISSION.DENIED'],
    // invitations
    ['accept a malformed token', 'POST', () => '/v1/accounts/acme/invitations/accept', () => ({ body: { token: 'hello' } }), 400, 'INVITATION.INVALID'],
    ['accept an unknown token', 'POST', () => '/v1/accounts/acme/invitations/accept', () => ({ body: { token: 'ghi_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' } }), 400, 'INVITATION.INVALID'],
    ['accept with an unknown field', 'POST', () => '/v1/accounts/acme/invitations/accept', () => ({ body: { token: 'x', extra: 1 } }), 400, 'REQUEST.INVALID_BODY'],
    // GET /users
    ['list users of an unknown account', 'GET', () => '/v1/accounts/nope/users', () => ({ key: ROOT_KEY }), 404, 'ACCOUNT.NOT_FOUND'],
    ['list users without credentials', 'GET', () => '/v1/accounts/acme/users', () => ({}), 401, 'AUTH.MISSING_CREDENTIALS'],
    ['get a user with a malformed id', 'GET', () => '/v1/accounts/acme/users/robert', () => ({ key: admin.key }), 400, 'REQUEST.INVALID_PARAMETER'],
    ['get an unknown user', 'GET', () => '/v1/accounts/acme/users/usr_aaaaaaaaaaaaaaaa', () => ({ key: admin.key }), 404, 'USER.NOT_FOUND'],
    // roles
    ['assign an unknown role', 'POST', () => `/v1/accounts/acme/users/${member.id}/roles`, () => ({ key: admin.key, body: { role: 'owner' } }), 400, 'ROLE.NOT_FOUND'],
    ['assign a role to an unknown user', 'POST', () => '/v1/accounts/acme/users/usr_aaaaaaaaaaaaaaaa/roles', () => ({ key: admin.key, body: { role: 'user' } }), 404, 'USER.NOT_FOUND'],
    ['assign with a missing role field', 'POST', () => `/v1/accounts/acme/users/${member.id}/roles`, () => ({ key: admin.key, body: {} }), 400, 'REQUEST.INVALID_BODY'],
    ['assign without permission', 'POST', () => `/v1/accounts/acme/users/${member.id}/roles`, () => ({ key: member.key, body: { role: 'admin' } }), 403, 'PERMISSION.DENIED'],
    ['unassign a malformed role', 'DELETE', () => `/v1/accounts/acme/users/${member.id}/roles/${encodeURIComponent('no way')}`, () => ({ key: admin.key }), 400, 'REQUEST.INVALID_PARAMETER'],
    ['unassign from an unknown user', 'DELETE', () => '/v1/accounts/acme/users/usr_aaaaaaaaaaaaaaaa/roles/user', () => ({ key: admin.key }), 404, 'USER.NOT_FOUND'],
    ['demote the last admin', 'DELETE', () => `/v1/accounts/acme/users/${admin.id}/roles/admin`, () => ({ key: admin.key }), 409, 'ADMIN.LAST_ADMIN'],
    // remove
    ['remove an unknown user', 'DELETE', () => '/v1/accounts/acme/users/usr_aaaaaaaaaaaaaaaa', () => ({ key: admin.key }), 404, 'USER.NOT_FOUND'],
    ['remove the last admin', 'DELETE', () => `/v1/accounts/acme/users/${admin.id}`, () => ({ key: admin.key }), 409, 'ADMIN.LAST_ADMIN'],
    // api keys
    ['create a key for an unknown user', 'POST', () => '/v1/accounts/acme/users/usr_aaaaaaaaaaaaaaaa/api-keys', () => ({ key: admin.key, body: {} }), 404, 'USER.NOT_FOUND'],
    ['create a key with a bad expiry', 'POST', () => `/v1/accounts/acme/users/${member.id}/api-keys`, () => ({ key: admin.key, body: { expiresAt: 'tomorrow' } }), 400, 'REQUEST.INVALID_BODY'],
    ['create a key expiring in the past', 'POST', () => `/v1/accounts/acme/users/${member.id}/api-keys`, () => ({ key: admin.key, body: { expiresAt: '2001-01-01T00:00:00Z' } }), 400, 'API_KEY.EXPIRY_IN_PAST'],
    ['create a key with an unknown field', 'POST', () => `/v1/accounts/acme/users/${member.id}/api-keys`, () => ({ key: admin.key, body: { scopes: ['x'] } }), 400, 'REQUEST.INVALID_BODY'],
    ['create a restricted key naming an unknown permission', 'POST', () => `/v1/accounts/acme/users/${member.id}/api-keys`, () => ({ key: admin.key, body: { restriction: [{ permission: 'rocket:launch' }] } }), 400, 'PERMISSION.UNKNOWN'],
    ['create a key for someone else without permission', 'POST', () => `/v1/accounts/acme/users/${admin.id}/api-keys`, () => ({ key: member.key, body: {} }), 403, 'PERMISSION.DENIED'],
    ['revoke an unknown key', 'DELETE', () => '/v1/accounts/acme/api-keys/aaaaaaaaaaaaaaaa', () => ({ key: admin.key }), 404, 'API_KEY.NOT_FOUND'],
    ['revoke a malformed key id', 'DELETE', () => '/v1/accounts/acme/api-keys/NOT-A-KEY', () => ({ key: admin.key }), 400, 'REQUEST.INVALID_PARAMETER'],
    ["revoke a key from another account's path", 'DELETE', () => `/v1/accounts/other/api-keys/${member.keyId}`, () => ({ key: ROOT_KEY }), 404, 'API_KEY.NOT_FOUND'],
    // check
    ['check with an unknown field', 'POST', () => '/v1/accounts/acme/check', () => ({ key: admin.key, body: { principal: { type: 'user', id: 'u' }, action: 'dataset:read', why: 1 } }), 400, 'REQUEST.INVALID_BODY'],
    ['check with a malformed action', 'POST', () => '/v1/accounts/acme/check', () => ({ key: admin.key, body: { principal: { type: 'user', id: 'u' }, action: 'read everything' } }), 400, 'REQUEST.INVALID_BODY'],
    ['check with a malformed principal', 'POST', () => '/v1/accounts/acme/check', () => ({ key: admin.key, body: { principal: { type: 'robot', id: 'u' }, action: 'dataset:read' } }), 400, 'REQUEST.INVALID_BODY'],
    ['check with a non-numeric revision', 'POST', () => '/v1/accounts/acme/check', () => ({ key: admin.key, body: { principal: { type: 'user', id: 'u' }, action: 'dataset:read', consistency: { atLeast: 'latest' } } }), 400, 'REQUEST.INVALID_BODY'],
    ['check without credentials', 'POST', () => '/v1/accounts/acme/check', () => ({ body: { principal: { type: 'user', id: 'u' }, action: 'dataset:read' } }), 401, 'AUTH.MISSING_CREDENTIALS'],
    // routing
    ['an unknown route', 'GET', () => '/v1/nothing-here', () => ({ key: ROOT_KEY }), 404, 'ROUTE.NOT_FOUND'],
  ];

  it.each(cases)('%s → %s', async (_name, method, url, opts, status, code) => {
    const before = await eventCount(gh.store);
    const res = await gh.http(method, url(), opts());
    expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String), type: expect.any(String) });
    expect(await eventCount(gh.store)).toBe(before);
  });

  it('a check of an unknown principal or key is a denial, not an error', async () => {
    const unknown = await gh.http('POST', '/v1/accounts/acme/check', { key: admin.key, body: { principal: { type: 'user', id: 'usr_nobody' }, action: 'dataset:read' } });
    expect(unknown.body).toMatchObject({ allowed: false, reason: 'PRINCIPAL_NOT_FOUND' });
    const badKey = await gh.http('POST', '/v1/accounts/acme/check', { key: admin.key, body: { principal: { apiKey: 'not-a-key' }, action: 'dataset:read' } });
    expect(badKey.body).toMatchObject({ allowed: false, reason: 'KEY_NOT_FOUND' });
    const wrongSecret = member.key.replace(/_[^_]+$/, '_' + 'x'.repeat(43));
    const forged = await gh.http('POST', '/v1/accounts/acme/check', { key: admin.key, body: { principal: { apiKey: wrongSecret }, action: 'dataset:read' } });
    expect(forged.body).toMatchObject({ allowed: false, reason: 'KEY_NOT_FOUND' });
    const elsewhere = await gh.http('POST', '/v1/accounts/other/check', { key: ROOT_KEY, body: { principal: { apiKey: member.key }, action: 'dataset:read' } });
    expect(elsewhere.body).toMatchObject({ allowed: false, reason: 'KEY_NOT_FOUND' });
  });

  it('idempotency: the same Idempotency-Key returns the first result and appends nothing; another payload is refused', async () => {
    const headers = { 'idempotency-key': 'invite-carol-1' };
    const first = await gh.http('POST', '/v1/accounts/acme/users', { key: admin.key, headers, body: { email: 'carol@acme.test' } });
    expect(first.status).toBe(201);
    const after = await eventCount(gh.store);
    const again = await gh.http('POST', '/v1/accounts/acme/users', { key: admin.key, headers, body: { email: 'carol@acme.test' } });
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ id: first.body.id, revision: first.body.revision, invitation: { id: first.body.invitation.id } });
    expect(again.body.invitation.token).toBeUndefined();
    expect(await eventCount(gh.store)).toBe(after);
    const reused = await gh.http('POST', '/v1/accounts/acme/users', { key: admin.key, headers, body: { email: 'dave@acme.test' } });
    expect(reused.status).toBe(409);
    expect(reused.body.code).toBe('IDEMPOTENCY.KEY_REUSED');
    expect(await eventCount(gh.store)).toBe(after);

    const keyHeaders = { 'idempotency-key': 'key-1' };
    const k1 = await gh.http('POST', `/v1/accounts/acme/users/${member.id}/api-keys`, { key: admin.key, headers: keyHeaders, body: { name: 'ci' } });
    const k2 = await gh.http('POST', `/v1/accounts/acme/users/${member.id}/api-keys`, { key: admin.key, headers: keyHeaders, body: { name: 'ci' } });
    expect(k2.status).toBe(201);
    expect(k2.body).toMatchObject({ id: k1.body.id, revision: k1.body.revision });
    expect(k2.body.key).toBeUndefined();
  });
});
