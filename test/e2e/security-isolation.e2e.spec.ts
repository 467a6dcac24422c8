import { openApiDocument, SchemaName } from '@gatehouse/contracts';
import { eventCount, ROOT_KEY, startGatehouse, TestGatehouse } from '../support/gatehouse';

/**
 * Tenant isolation, as a matrix: every kind of principal of account A (admin user key,
 * member user key, service-account key, restricted key, and the key of a user who is
 * also a member of B) against every operation of account B. The operations come from
 * the served OpenAPI document, so a new endpoint joins the matrix by being documented.
 * Every call is refused (4xx, never 2xx) and appends nothing; A's tokens do not open
 * B's public endpoints; B's ids named in A's paths are not found.
 */
type Op = { method: string; path: string; security?: readonly unknown[]; requestBody?: { content: { 'application/json': { schema: { $ref?: string; allOf?: { $ref: string }[] } } } } };

const operations: Op[] = Object.entries(openApiDocument.paths as unknown as Record<string, Record<string, Omit<Op, 'method' | 'path'>>>).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => ({ ...op, method: method.toUpperCase(), path })),
);
const accountOps = operations.filter((op) => op.path.includes('{account}'));
const isPublic = (op: Op) => Array.isArray(op.security) && op.security.length === 0;

function bodySchema(op: Op): SchemaName | undefined {
  const schema = op.requestBody?.content['application/json'].schema;
  const ref = schema?.$ref ?? schema?.allOf?.[0]?.$ref;
  return ref?.split('/').pop() as SchemaName | undefined;
}

interface Tenant {
  id: string;
  adminId: string;
  adminKey: string;
  memberId: string;
  memberKey: string;
  memberKeyId: string;
  saId: string;
  saKey: string;
  restrictedKey: string;
  linkId: string;
  linkToken: string;
  invitationToken: string;
}

async function tenant(gh: TestGatehouse, id: string, sharedEmail: string, sharedRole: string): Promise<Tenant & { sharedKey: string }> {
  const ok = (res: { status: number; body: any }) => {
    if (res.status >= 300) throw new Error(`setup failed: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const acct = ok(await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id, preset: 'custom', admins: [`admin@${id}.test`] } }));
  const adminId = acct.admins[0].id;
  const adminKey = ok(await gh.http('POST', `/v1/accounts/${id}/users/${adminId}/api-keys`, { key: ROOT_KEY, body: {} })).key;
  const invite = async (email: string, roles: string[]) => {
    const inv = ok(await gh.http('POST', `/v1/accounts/${id}/users`, { key: adminKey, body: { email, roles } }));
    ok(await gh.http('POST', `/v1/accounts/${id}/invitations/accept`, { body: { token: inv.invitation.token } }));
    return inv.id as string;
  };
  const memberId = await invite(`member@${id}.test`, ['member']);
  const memberKey = ok(await gh.http('POST', `/v1/accounts/${id}/users/${memberId}/api-keys`, { key: adminKey, body: {} }));
  ok(await gh.http('POST', `/v1/accounts/${id}/users/${memberId}/logins`, { key: adminKey, body: { method: 'password', sourceAddress: `198.51.100.${id.length}` } }));
  const sharedId = await invite(sharedEmail, [sharedRole]);
  const sharedKey = ok(await gh.http('POST', `/v1/accounts/${id}/users/${sharedId}/api-keys`, { key: adminKey, body: {} })).key;
  // The service account is an admin: the most powerful non-root principal there is.
  const sa = ok(await gh.http('POST', `/v1/accounts/${id}/service-accounts`, { key: adminKey, body: { name: 'robot', roles: ['admin'] } }));
  const saKey = ok(await gh.http('POST', `/v1/accounts/${id}/service-accounts/${sa.id}/api-keys`, { key: adminKey, body: {} })).key;
  const restrictedKey = ok(await gh.http('POST', `/v1/accounts/${id}/users/${adminId}/api-keys`, { key: adminKey, body: { restriction: [{ permission: 'member:read' }] } })).key;
  ok(await gh.http('POST', `/v1/accounts/${id}/teams`, { key: adminKey, body: { name: 'ops' } }));
  ok(await gh.http('POST', `/v1/accounts/${id}/roles`, { key: adminKey, body: { name: 'reader', grants: [{ permission: 'member:read' }] } }));
  const link = ok(await gh.http('POST', `/v1/accounts/${id}/invite-links`, { key: adminKey, body: { roles: ['member'] } }));
  const pending = ok(await gh.http('POST', `/v1/accounts/${id}/users`, { key: adminKey, body: { email: `pending@${id}.test` } }));
  if ('/v1/accounts/{account}/resources/{type}/{id}' in openApiDocument.paths) {
    ok(await gh.http('POST', `/v1/accounts/${id}/catalog`, { key: adminKey, body: { resourceTypes: { document: ['read', 'write'] } } }));
    ok(await gh.http('PUT', `/v1/accounts/${id}/resources/document/only-${id}`, { key: ROOT_KEY, body: { owner: adminId } }));
  }
  return {
    id,
    adminId,
    adminKey,
    memberId,
    memberKey: memberKey.key,
    memberKeyId: memberKey.id,
    saId: sa.id,
    saKey,
    restrictedKey,
    linkId: link.id,
    linkToken: link.token,
    invitationToken: pending.invitation.token,
    sharedKey,
  };
}

describe.each(['in-process', 'redis'] as const)('tenant isolation (%s cache)', (cache) => {
  let gh: TestGatehouse;
  let a: Tenant & { sharedKey: string };
  let b: Tenant & { sharedKey: string };

  beforeAll(async () => {
    // The matrix fails hundreds of authentications from one address on purpose.
    gh = await startGatehouse({ cache, env: { GATEHOUSE_AUTH_FAILURES_PER_MINUTE: '1000000' } });
    a = await tenant(gh, 'tenant-a', 'shared@both.test', 'admin');
    b = await tenant(gh, 'tenant-b', 'shared@both.test', 'member');
  }, 120_000);
  afterAll(() => gh?.stop());

  const principals = () => ({
    'A admin user key': a.adminKey,
    'A member user key': a.memberKey,
    'A service-account key (admin role)': a.saKey,
    'A restricted key': a.restrictedKey,
    'A key of a user who is also a member of B': a.sharedKey,
  });

  /** A request B's admin could make: real ids of B, bodies that would pass validation. */
  function requestFor(op: Op, target: Tenant, tokensFrom: Tenant, ids: Tenant = target): { url: string; body?: unknown } {
    const params: Record<string, string> = {
      account: target.id,
      userId: ids.memberId,
      id: ids.saId,
      keyId: ids.memberKeyId,
      linkId: ids.linkId,
      role: 'reader',
      team: 'ops',
      type: 'user',
      // The resource registry's {type}/{id} name a registered resource; the audit's a principal.
      ...(op.path.includes('/resources/') ? { type: 'document', id: `only-${ids.id}` } : {}),
      ...(op.path.includes('/audit/principals/') ? { id: ids.memberId } : {}),
    };
    const url = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
      if (!(name in params)) throw new Error(`${op.method} ${op.path}: the isolation matrix has no value for path parameter {${name}}: add one`);
      return params[name];
    });
    const check = { principal: { type: 'user', id: target.adminId }, action: 'member:read' };
    const bodies: Partial<Record<SchemaName, unknown>> = {
      InviteUserRequest: { email: 'intruder@evil.test', roles: ['admin'] },
      AcceptInvitationRequest: { token: tokensFrom.invitationToken },
      AssignRoleRequest: { role: 'admin' },
      CreateApiKeyRequest: {},
      CreateRoleRequest: { name: 'backdoor', grants: [{ permission: '*' }] },
      UpdateRoleRequest: { grants: [{ permission: '*' }] },
      ExtendCatalogRequest: { resourceTypes: { backdoor: ['open'] } },
      CreateTeamRequest: { name: 'intruders' },
      ChangeDefaultsRequest: { defaultRole: 'admin' },
      ProvisionUserRequest: { email: 'intruder@evil.test' },
      RecordLoginRequest: { method: 'password' },
      UpdateProfileRequest: { displayName: 'pwned' },
      CreateInviteLinkRequest: { roles: ['admin'] },
      JoinInviteLinkRequest: { token: tokensFrom.linkToken, email: 'intruder@evil.test' },
      CreateServiceAccountRequest: { name: 'intruder', roles: ['admin'] },
      CheckRequest: check,
      CheckBulkRequest: { checks: [check] },
      AsOfCheckRequest: { ...check, asOf: '1' },
      PutResourceRequest: { owner: tokensFrom.adminId },
      TransferResourceRequest: { owner: tokensFrom.adminId },
      LookupResourcesRequest: { principal: { type: 'user', id: target.adminId }, action: 'document:read' },
      LookupSubjectsRequest: { resource: { type: 'document', id: `only-${ids.id}` }, action: 'document:read' },
    };
    const schema = bodySchema(op);
    if (schema && !(schema in bodies)) throw new Error(`${op.method} ${op.path}: the isolation matrix has no body for ${schema}: add one`);
    return { url, ...(schema ? { body: bodies[schema] } : {}) };
  }

  it('derives its operations from the OpenAPI document', () => {
    expect(accountOps.length).toBeGreaterThanOrEqual(45);
    expect(accountOps.filter(isPublic).map((op) => op.path)).toEqual(
      expect.arrayContaining(['/v1/accounts/{account}/invitations/accept', '/v1/accounts/{account}/invite-links/join']),
    );
  });

  it("A's principals work in A (the matrix below is not refusing dead keys)", async () => {
    for (const [who, key] of Object.entries(principals())) {
      const res = await gh.http('GET', '/v1/accounts/tenant-a/users', { key });
      expect({ who, status: res.status }).toEqual({ who, status: 200 });
    }
  });

  it("B's admin may call every read of B (the requests below are well formed)", async () => {
    for (const op of accountOps.filter((o) => o.method === 'GET')) {
      const { url } = requestFor(op, b, b);
      const res = await gh.http('GET', url, { key: b.adminKey });
      expect({ op: `${op.method} ${url}`, status: res.status }).toEqual({ op: `${op.method} ${url}`, status: 200 });
    }
  });

  it("refuses every principal of A on every operation of B, and appends nothing", async () => {
    const head = await eventCount(gh.store);
    const leaks: string[] = [];
    let calls = 0;
    for (const op of accountOps) {
      for (const [who, key] of Object.entries(principals())) {
        const { url, body } = requestFor(op, b, a);
        const res = await gh.http(op.method, url, { key, ...(body !== undefined ? { body } : {}) });
        calls++;
        const refused = isPublic(op) ? res.status >= 400 && res.status < 500 : [401, 403, 404].includes(res.status);
        if (!refused) leaks.push(`${who}: ${op.method} ${url} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        if ((await eventCount(gh.store)) !== head) leaks.push(`${who}: ${op.method} ${url} appended an event`);
      }
    }
    expect(leaks).toEqual([]);
    expect(calls).toBe(accountOps.length * 5);
  }, 120_000);

  it("does not find B's users, service accounts, keys, links and resources through A's paths, even as A's admin", async () => {
    const head = await eventCount(gh.store);
    const leaks: string[] = [];
    const named = accountOps.filter((o) => /\{(userId|id|keyId|linkId)\}/.test(o.path) && !o.path.includes('/audit/'));
    // PUT on the registry is create-or-replace: any id is a new resource of A, so it is not a lookup.
    for (const op of named.filter((o) => !(o.method === 'PUT' && o.path.includes('/resources/')))) {
      const { url, body } = requestFor(op, a, a, b);
      const res = await gh.http(op.method, url, { key: a.adminKey, ...(body !== undefined ? { body } : {}) });
      if (res.status >= 200 && res.status < 300) leaks.push(`${op.method} ${url} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      else if (res.status !== 404 && !(res.status === 403 && op.path.includes('/resources/'))) {
        leaks.push(`${op.method} ${url} → ${res.status} (expected 404) ${JSON.stringify(res.body).slice(0, 200)}`);
      }
    }
    expect(leaks).toEqual([]);
    expect(named.length).toBeGreaterThanOrEqual(15);
    expect(await eventCount(gh.store)).toBe(head);
  });

  it("answers A's checks about B's principals and keys as unknown", async () => {
    for (const principal of [{ type: 'user', id: b.adminId }, { type: 'user', id: b.memberId }, { type: 'service_account', id: b.saId }, { apiKey: b.adminKey }, { apiKey: b.saKey }]) {
      const res = await gh.http('POST', '/v1/accounts/tenant-a/check', { key: a.adminKey, body: { principal, action: 'member:read' } });
      expect(res.body).toMatchObject({ allowed: false });
      expect(['PRINCIPAL_NOT_FOUND', 'KEY_NOT_FOUND']).toContain(res.body.reason);
    }
    const asOf = await gh.http('POST', '/v1/accounts/tenant-a/audit/check', { key: a.adminKey, body: { principal: { apiKey: b.adminKey }, action: 'member:read', asOf: String(await eventCount(gh.store)) } });
    expect(asOf.body.allowed).toBe(false);
    const history = await gh.http('GET', `/v1/accounts/tenant-a/audit/principals/user/${b.memberId}`, { key: a.adminKey });
    expect(JSON.stringify(history.body)).not.toContain('tenant-b');
  });

  it("keeps the account-less endpoints inside the caller's account", async () => {
    const head = await eventCount(gh.store);
    for (const [who, key] of Object.entries(principals())) {
      const mine = await gh.http('GET', '/v1/me/accounts', { key });
      const listed = JSON.stringify(mine.body);
      if (who.includes('also a member of B')) expect(listed).toContain('tenant-b'); // the same person's own membership
      else expect(listed).not.toContain('tenant-b');
      for (const foreignKey of [b.adminKey, b.saKey, b.memberKey]) {
        const seen = await gh.http('POST', '/v1/introspect', { key, body: { apiKey: foreignKey } });
        expect({ who, status: seen.status, body: seen.body }).toMatchObject({ who, body: { active: false } });
        expect(JSON.stringify(seen.body)).not.toContain('tenant-b');
      }
      for (const op of operations.filter((o) => o.path.startsWith('/v1/admin/'))) {
        expect({ who, op: op.path, status: (await gh.http(op.method, op.path, { key })).status }).toEqual({ who, op: op.path, status: 403 });
      }
      const create = await gh.http('POST', '/v1/accounts', { key, body: { id: 'tenant-c', preset: 'custom' } });
      expect(create.status).toBe(403);
    }
    expect(await eventCount(gh.store)).toBe(head);
  });

  it('covers every account-less operation of the document, or says which it missed', () => {
    const covered = ['/v1/accounts', '/v1/me/accounts', '/v1/introspect', '/v1/admin/projection', '/v1/admin/projection/rebuild'];
    const unaccounted = operations.filter((op) => !op.path.includes('{account}') && !isPublic(op) && !covered.includes(op.path)).map((op) => `${op.method} ${op.path}`);
    expect(unaccounted).toEqual([]);
  });
});
