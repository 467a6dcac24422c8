import { eventCount, ROOT_KEY, startGatehouse, TestGatehouse } from '../support/gatehouse';

/**
 * No escalation through any grant path (DESIGN §2: "a principal can only grant roles (or
 * create keys) whose permissions it holds itself"). A member who may manage members,
 * roles, teams, links and service accounts — but is no admin — tries every way to end up
 * with more than it holds: refused each time, nothing appended, and afterwards it still
 * cannot do an admin's work.
 */
const A = '/v1/accounts/esc';
const MANAGER_GRANTS = [
  'member:read',
  'member:invite',
  'member:update',
  'role:read',
  'role:manage',
  'team:read',
  'team:manage',
  'service_account:read',
  'service_account:create',
  'service_account_key:create',
  'catalog:manage',
].map((permission) => ({ permission }));
// member:invite is also the custom preset's members.provision (SSO first login).

describe('escalation attempts', () => {
  let gh: TestGatehouse;
  let admin: { id: string; key: string };
  let manager: { id: string; key: string; restrictedKey: string };
  let plain: { id: string };
  let robot: string; // an admin service account
  let ownBot: string; // a service account the manager created, with no roles

  const ok = (res: { status: number; body: any }) => {
    if (res.status >= 300) throw new Error(`setup failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  beforeAll(async () => {
    gh = await startGatehouse();
    const acct = ok(await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'esc', preset: 'custom', admins: ['admin@esc.test'] } }));
    admin = { id: acct.admins[0].id, key: ok(await gh.http('POST', `${A}/users/${acct.admins[0].id}/api-keys`, { key: ROOT_KEY, body: {} })).key };
    ok(await gh.http('POST', `${A}/roles`, { key: admin.key, body: { name: 'manager', grants: [...MANAGER_GRANTS, { permission: 'api_key:create', condition: 'own' }, { permission: 'api_key:delete', condition: 'own' }] } }));
    ok(await gh.http('POST', `${A}/roles`, { key: admin.key, body: { name: 'power', grants: [{ permission: '*' }] } }));
    ok(await gh.http('POST', `${A}/teams`, { key: admin.key, body: { name: 'ops' } }));
    const join = async (email: string, roles: string[]) => {
      const inv = ok(await gh.http('POST', `${A}/users`, { key: admin.key, body: { email, roles } }));
      ok(await gh.http('POST', `${A}/invitations/accept`, { body: { token: inv.invitation.token } }));
      return inv.id as string;
    };
    const managerId = await join('manager@esc.test', ['manager']);
    plain = { id: await join('plain@esc.test', ['member']) };
    const managerKey = ok(await gh.http('POST', `${A}/users/${managerId}/api-keys`, { key: admin.key, body: {} })).key;
    // A key the manager narrowed itself: it may read members and mint its owner's keys, nothing else.
    const restrictedKey = ok(
      await gh.http('POST', `${A}/users/${managerId}/api-keys`, { key: managerKey, body: { restriction: [{ permission: 'member:read' }, { permission: 'api_key:create', condition: 'own' }] } }),
    ).key;
    manager = { id: managerId, key: managerKey, restrictedKey };
    robot = ok(await gh.http('POST', `${A}/service-accounts`, { key: admin.key, body: { name: 'robot', roles: ['admin'] } })).id;
    ownBot = ok(await gh.http('POST', `${A}/service-accounts`, { key: manager.key, body: { name: 'own-bot', roles: [] } })).id;
  }, 60_000);
  afterAll(() => gh.stop());

  type Attempt = [name: string, method: string, url: () => string, body: () => unknown, key: () => string];
  const asManager = () => manager.key;
  const asRestricted = () => manager.restrictedKey;
  const attempts: Attempt[] = [
    // roles on members
    ['assign itself the admin role', 'POST', () => `${A}/users/${manager.id}/roles`, () => ({ role: 'admin' }), asManager],
    ['assign itself a custom role holding *', 'POST', () => `${A}/users/${manager.id}/roles`, () => ({ role: 'power' }), asManager],
    ['assign another member the admin role', 'POST', () => `${A}/users/${plain.id}/roles`, () => ({ role: 'admin' }), asManager],
    ["take the admin role from the admin (as powerful as giving it)", 'DELETE', () => `${A}/users/${admin.id}/roles/admin`, () => undefined, asManager],
    // custom roles
    ['create a role holding *', 'POST', () => `${A}/roles`, () => ({ name: 'evil', grants: [{ permission: '*' }] }), asManager],
    ['create a role holding a permission it lacks', 'POST', () => `${A}/roles`, () => ({ name: 'evil', grants: [{ permission: 'member:remove' }] }), asManager],
    ['create a role widening an own grant to any', 'POST', () => `${A}/roles`, () => ({ name: 'evil', grants: [{ permission: 'api_key:delete', condition: 'any' }] }), asManager],
    ['widen its own role', 'PUT', () => `${A}/roles/manager`, () => ({ grants: [...MANAGER_GRANTS, { permission: 'account:delete' }] }), asManager],
    ['edit a role holding more than it does', 'PUT', () => `${A}/roles/power`, () => ({ description: 'mine now' }), asManager],
    // invitations and links
    ['invite a user as admin', 'POST', () => `${A}/users`, () => ({ email: 'sock@esc.test', roles: ['admin'] }), asManager],
    ['create an invite link granting admin', 'POST', () => `${A}/invite-links`, () => ({ roles: ['admin'] }), asManager],
    ['create an invite link granting a role holding *', 'POST', () => `${A}/invite-links`, () => ({ roles: ['member', 'power'] }), asManager],
    // keys
    ["mint a key for the admin user (a key acts with its owner's roles)", 'POST', () => `${A}/users/${admin.id}/api-keys`, () => ({}), asManager],
    ['mint a key for an admin service account', 'POST', () => `${A}/service-accounts/${robot}/api-keys`, () => ({}), asManager],
    // service accounts
    ['create an admin service account', 'POST', () => `${A}/service-accounts`, () => ({ name: 'sock', roles: ['admin'] }), asManager],
    ['make its own service account an admin', 'POST', () => `${A}/service-accounts/${ownBot}/roles`, () => ({ role: 'admin' }), asManager],
    // restricted keys: a narrowed key must stay narrowed
    ['restricted key: assign itself the manager role again', 'POST', () => `${A}/users/${manager.id}/roles`, () => ({ role: 'manager' }), asRestricted],
    ['restricted key: invite a member', 'POST', () => `${A}/users`, () => ({ email: 'r@esc.test', roles: ['member'] }), asRestricted],
    ['restricted key: mint a key for its service account', 'POST', () => `${A}/service-accounts/${ownBot}/api-keys`, () => ({}), asRestricted],
  ];

  it.each(attempts)('refuses: %s', async (_name, method, url, body, key) => {
    const before = await eventCount(gh.store);
    const b = body();
    const res = await gh.http(method, url(), { key: key(), ...(b !== undefined ? { body: b } : {}) });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 403, code: 'PERMISSION.DENIED' });
    expect(await eventCount(gh.store)).toBe(before);
  });

  it('refuses: restricted key mints an unrestricted key for its owner', async () => {
    const before = await eventCount(gh.store);
    const res = await gh.http('POST', `${A}/users/${manager.id}/api-keys`, { key: manager.restrictedKey, body: {} });
    expect(res.status).toBe(403);
    expect(await eventCount(gh.store)).toBe(before);
  });

  it('refuses: restricted key mints a key with a wider restriction', async () => {
    const res = await gh.http('POST', `${A}/users/${manager.id}/api-keys`, { key: manager.restrictedKey, body: { restriction: [{ permission: '*' }] } });
    expect(res.status).toBe(403);
  });

  it('lets a restricted key mint a key restricted as narrowly or more', async () => {
    const res = await gh.http('POST', `${A}/users/${manager.id}/api-keys`, { key: manager.restrictedKey, body: { restriction: [{ permission: 'member:read' }] } });
    expect(res.status).toBe(201);
    expect(res.body.restricted).toBe(true);
  });

  it('refuses: make admin the default role of newcomers, then provision one (SSO login) who is an admin', async () => {
    const defaults = await gh.http('PUT', `${A}/defaults`, { key: manager.key, body: { defaultRole: 'admin' } });
    const provisioned = await gh.http('POST', `${A}/sso/login`, { key: manager.key, body: { email: 'sock@esc.test' } });
    expect(provisioned.body.roles ?? []).not.toContain('admin');
    expect(defaults.status).toBe(403);
  });

  it('refuses to join through an invite link with roles of ones own choosing', async () => {
    const link = ok(await gh.http('POST', `${A}/invite-links`, { key: manager.key, body: { roles: ['member'] } }));
    const before = await eventCount(gh.store);
    const res = await gh.http('POST', `${A}/invite-links/join`, { body: { token: link.token, email: 'joiner@esc.test', roles: ['admin'] } });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'REQUEST.INVALID_BODY' });
    expect(await eventCount(gh.store)).toBe(before);
    const joined = ok(await gh.http('POST', `${A}/invite-links/join`, { body: { token: link.token, email: 'joiner@esc.test' } }));
    expect(joined.roles).toEqual(['member']);
  });

  it('leaves the manager without any admin power afterwards', async () => {
    const who = await gh.http('GET', `${A}/users/${manager.id}`, { key: admin.key });
    expect(who.body.roles).toEqual(['manager']);
    for (const action of ['member:remove', 'account:delete', 'api_key:delete']) {
      const check = await gh.http('POST', `${A}/check`, { key: admin.key, body: { principal: { apiKey: manager.key }, action, resource: { owner: admin.id } } });
      expect({ action, allowed: check.body.allowed }).toEqual({ action, allowed: false });
    }
    const roles = await gh.http('GET', `${A}/roles`, { key: admin.key });
    expect(JSON.stringify(roles.body)).not.toContain('"evil"');
  });

  describe('teams (Adaptive: global operations need the admin team)', () => {
    const D = '/v1/accounts/adapt';
    let platformAdmin: { id: string; key: string };
    let readOnly: { id: string; key: string };

    beforeAll(async () => {
      const acct = ok(await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'adapt', preset: 'adaptive', admins: ['root@adapt.test'] } }));
      const adminKey = ok(await gh.http('POST', `${D}/users/${acct.admins[0].id}/api-keys`, { key: ROOT_KEY, body: {} })).key;
      ok(await gh.http('POST', `${D}/teams`, { key: adminKey, body: { name: 'research' } }));
      const join = async (email: string, role: string) => {
        const inv = ok(await gh.http('POST', `${D}/users`, { key: adminKey, body: { email, roles: [role] } }));
        ok(await gh.http('POST', `${D}/invitations/accept`, { body: { token: inv.invitation.token } }));
        return { id: inv.id as string, key: ok(await gh.http('POST', `${D}/users/${inv.id}/api-keys`, { key: adminKey, body: {} })).key as string };
      };
      platformAdmin = await join('pa@adapt.test', 'platform_admin'); // in team "default" only
      readOnly = await join('ro@adapt.test', 'read_only');
    });

    it.each([
      ['a platform_admin outside the admin team joins the admin team', () => `${D}/teams/admin/members/${platformAdmin.id}`, () => platformAdmin.key],
      ['a platform_admin joins a team it is not in', () => `${D}/teams/research/members/${platformAdmin.id}`, () => platformAdmin.key],
      ['a read_only member joins the admin team', () => `${D}/teams/admin/members/${readOnly.id}`, () => readOnly.key],
      ['a read_only member joins another team', () => `${D}/teams/research/members/${readOnly.id}`, () => readOnly.key],
    ])('refuses: %s', async (_name, url, key) => {
      const before = await eventCount(gh.store);
      const res = await gh.http('PUT', url(), { key: key() });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 403, code: 'PERMISSION.DENIED' });
      expect(await eventCount(gh.store)).toBe(before);
    });

    it('refuses a platform_admin outside the admin team every global operation', async () => {
      const before = await eventCount(gh.store);
      for (const [method, url, body] of [
        ['POST', `${D}/roles`, { name: 'mine', grants: [{ permission: 'model:read' }] }],
        ['POST', `${D}/teams`, { name: 'mine' }],
        ['POST', `${D}/catalog`, { resourceTypes: { secret: ['read'] } }],
      ] as const) {
        const res = await gh.http(method, url, { key: platformAdmin.key, body });
        expect({ url, status: res.status }).toEqual({ url, status: 403 });
      }
      expect(await eventCount(gh.store)).toBe(before);
    });
  });
});
