import { redisUrlOrSkip } from '../support/redis';
import { eventCount, memberWithKey, ROOT_KEY, startGatehouse, TestGatehouse } from '../support/gatehouse';

/**
 * Custom roles, catalog, teams, scopes and the admin-team rule over HTTP: every command,
 * each refusal, and checks that see each change at once (consistency.atLeast).
 */
const caches: ('in-process' | 'redis')[] = ['in-process'];
if (redisUrlOrSkip('access model over Redis')) caches.push('redis');

describe.each(caches)('access model over HTTP (%s cache)', (cache) => {
  let gh: TestGatehouse;
  const A = '/v1/accounts/studio';
  let admin: { id: string; key: string };
  let dev: { id: string; key: string };

  const check = (principal: { id: string }, action: string, resource: object, atLeast?: string) =>
    gh.http('POST', `${A}/check`, {
      key: ROOT_KEY,
      body: { principal: { type: 'user', id: principal.id }, action, resource, ...(atLeast ? { consistency: { atLeast } } : {}) },
    });

  beforeAll(async () => {
    gh = await startGatehouse({ cache });
    const acct = await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'studio', preset: 'custom', admins: ['boss@studio.test'] } });
    expect(acct.status).toBe(201);
    const key = await gh.http('POST', `${A}/users/${acct.body.admins[0].id}/api-keys`, { key: ROOT_KEY, body: {} });
    admin = { id: acct.body.admins[0].id, key: key.body.key };
    dev = await memberWithKey(gh, 'studio', 'dev@studio.test', ['member']);
  });
  afterAll(() => gh.stop());

  it('extends the catalog, defines a scoped team role, and checks see it at once', async () => {
    const cat = await gh.http('POST', `${A}/catalog`, {
      key: admin.key,
      body: { resourceTypes: { document: ['read', 'write', 'delete'] }, scopeDimensions: { regions: ['document'] } },
    });
    expect(cat.status).toBe(200);
    expect(cat.body.resourceTypes.document).toEqual(['read', 'write', 'delete']);

    const role = await gh.http('POST', `${A}/roles`, {
      key: admin.key,
      body: {
        name: 'editor',
        description: 'EU documents of their teams',
        grants: [{ permission: 'document:*', condition: 'team' }, { permission: 'document:read' }],
        scopes: { regions: ['eu'] },
      },
    });
    expect(role.status).toBe(201);
    expect(role.body).toMatchObject({ name: 'editor', builtIn: false, grants: [{ permission: 'document:*', condition: 'team' }, { permission: 'document:read', condition: 'any' }] });

    const team = await gh.http('POST', `${A}/teams`, { key: admin.key, body: { name: 'paris' } });
    expect(team.status).toBe(201);
    const joined = await gh.http('PUT', `${A}/teams/paris/members/${dev.id}`, { key: admin.key });
    expect(joined.body.teams).toEqual(['paris']);
    const assigned = await gh.http('POST', `${A}/users/${dev.id}/roles`, { key: admin.key, body: { role: 'editor' } });
    expect(assigned.body.roles).toEqual(['member', 'editor']);

    const rev = assigned.body.revision;
    const inTeamEu = await check(dev, 'document:write', { type: 'document', team: 'paris', tags: { regions: ['eu'] } }, rev);
    expect(inTeamEu.body).toMatchObject({ allowed: true, matched: { role: 'editor', grant: 'document:*', condition: 'team' } });
    expect((await check(dev, 'document:write', { type: 'document', team: 'berlin', tags: { regions: ['eu'] } }, rev)).body.reason).toBe('NOT_IN_TEAM');
    expect((await check(dev, 'document:write', { type: 'document', team: 'paris', tags: { regions: ['us'] } }, rev)).body.reason).toBe('OUT_OF_SCOPE');
    expect((await check(dev, 'document:read', { type: 'document', tags: { regions: ['eu'] } }, rev)).body.allowed).toBe(true);

    // Widening the role's scope is visible to the next check that passes its revision.
    const widened = await gh.http('PUT', `${A}/roles/editor`, { key: admin.key, body: { scopes: { regions: ['eu', 'us'] } } });
    expect(widened.status).toBe(200);
    expect((await check(dev, 'document:write', { type: 'document', team: 'paris', tags: { regions: ['us'] } }, widened.body.revision)).body.allowed).toBe(true);

    // Leaving the team takes the team grant away at once.
    const left = await gh.http('DELETE', `${A}/teams/paris/members/${dev.id}`, { key: admin.key });
    expect(left.body.teams).toEqual([]);
    expect((await check(dev, 'document:write', { type: 'document', team: 'paris', tags: { regions: ['eu'] } }, left.body.revision)).body.reason).toBe('NOT_IN_TEAM');
  });

  it('lists roles, teams and the catalog', async () => {
    const roles = await gh.http('GET', `${A}/roles`, { key: admin.key });
    expect(roles.body.items.map((r: { name: string }) => r.name)).toEqual(expect.arrayContaining(['admin', 'member', 'editor']));
    expect(roles.body.defaultRole).toBe('member');
    const one = await gh.http('GET', `${A}/roles/admin`, { key: admin.key });
    expect(one.body).toMatchObject({ name: 'admin', builtIn: true });
    const teams = await gh.http('GET', `${A}/teams`, { key: admin.key });
    expect(teams.body.items).toEqual(expect.arrayContaining([{ name: 'paris', members: [] }]));
    const catalog = await gh.http('GET', `${A}/catalog`, { key: admin.key });
    expect(catalog.body).toMatchObject({ preset: 'custom', scopeDimensions: { regions: ['document'] } });
  });

  it.each([
    ['a role naming an unknown permission', 'POST', '/roles', { name: 'x', grants: [{ permission: 'rocket:launch' }] }, 400, 'PERMISSION.UNKNOWN'],
    ['a role with an unknown condition', 'POST', '/roles', { name: 'x', grants: [{ permission: 'document:read', condition: 'mine' }] }, 400, 'REQUEST.INVALID_BODY'],
    ['a role with an unknown scope dimension', 'POST', '/roles', { name: 'x', grants: [], scopes: { colour: ['red'] } }, 400, 'SCOPE.UNKNOWN_DIMENSION'],
    ['a role that exists', 'POST', '/roles', { name: 'editor', grants: [] }, 409, 'ROLE.ALREADY_EXISTS'],
    ['a role with an unknown field', 'POST', '/roles', { name: 'x', grants: [], admin: true }, 400, 'REQUEST.INVALID_BODY'],
    ['an update of a built-in role', 'PUT', '/roles/admin', { description: 'mine now' }, 409, 'ROLE.BUILT_IN'],
    ['an update of an unknown role', 'PUT', '/roles/ghost', { description: 'x' }, 404, 'ROLE.NOT_FOUND'],
    ['an empty update', 'PUT', '/roles/editor', {}, 400, 'REQUEST.INVALID_BODY'],
    ['deleting a built-in role', 'DELETE', '/roles/member', undefined, 409, 'ROLE.BUILT_IN'],
    ['deleting a role in use', 'DELETE', '/roles/editor', undefined, 409, 'ROLE.IN_USE'],
    ['a catalog dimension naming an unknown type', 'POST', '/catalog', { scopeDimensions: { zones: ['planet'] } }, 400, 'CATALOG.UNKNOWN_TYPE'],
    ['a team that exists', 'POST', '/teams', { name: 'paris' }, 409, 'TEAM.ALREADY_EXISTS'],
    ['a malformed team name', 'POST', '/teams', { name: 'no spaces please' }, 400, 'REQUEST.INVALID_BODY'],
    ['deleting an unknown team', 'DELETE', '/teams/ghost', undefined, 404, 'TEAM.NOT_FOUND'],
    ['joining an unknown team', 'PUT', '/teams/ghost/members/usr_aaaaaaaaaaaaaaaa', undefined, 404, 'USER.NOT_FOUND'],
    ['defaults naming an unknown role', 'PUT', '/defaults', { defaultRole: 'ghost' }, 400, 'ROLE.NOT_FOUND'],
  ])('refuses %s', async (_name, method, path, body, status, code) => {
    const before = await eventCount(gh.store);
    const res = await gh.http(method, `${A}${path}`, { key: admin.key, ...(body !== undefined ? { body } : {}) });
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
    expect(await eventCount(gh.store)).toBe(before);
  });

  it('a member may not manage roles, teams or the catalog, nor escalate', async () => {
    for (const [method, path, body] of [
      ['POST', '/roles', { name: 'mine', grants: [{ permission: '*' }] }],
      ['POST', '/teams', { name: 'rogue' }],
      ['POST', '/catalog', { resourceTypes: { x: ['y'] } }],
      ['POST', `/users/${dev.id}/roles`, { role: 'admin' }],
      ['DELETE', '/roles/editor', undefined],
    ] as const) {
      const res = await gh.http(method, `${A}${path}`, { key: dev.key, ...(body ? { body } : {}) });
      expect({ path, status: res.status, code: res.body.code }).toEqual({ path, status: 403, code: 'PERMISSION.DENIED' });
    }
  });

  it('deletes a role once nobody holds it, and an empty team', async () => {
    await gh.http('DELETE', `${A}/users/${dev.id}/roles/editor`, { key: admin.key });
    const deleted = await gh.http('DELETE', `${A}/roles/editor`, { key: admin.key });
    expect(deleted.status).toBe(200);
    expect((await gh.http('GET', `${A}/roles/editor`, { key: admin.key })).status).toBe(404);
    expect((await gh.http('DELETE', `${A}/teams/paris`, { key: admin.key })).status).toBe(200);
  });
});

describe('Adaptive: the admin team rule over HTTP', () => {
  let gh: TestGatehouse;
  const A = '/v1/accounts/adapt';
  beforeAll(async () => {
    gh = await startGatehouse();
  });
  afterAll(() => gh.stop());

  it('seed admins join the admin team; admins outside it cannot do global operations', async () => {
    const acct = await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'adapt', preset: 'adaptive', admins: ['root@adapt.test'] } });
    const seed = acct.body.admins[0].id;
    const seedKey = (await gh.http('POST', `${A}/users/${seed}/api-keys`, { key: ROOT_KEY, body: {} })).body.key;
    expect((await gh.http('GET', `${A}/users/${seed}`, { key: seedKey })).body.teams).toEqual(['admin', 'default']);

    const other = await gh.http('POST', `${A}/users`, { key: seedKey, body: { email: 'ops@adapt.test', roles: ['admin'] } });
    expect(other.body.teams).toEqual(['default']);
    await gh.http('POST', `${A}/invitations/accept`, { body: { token: other.body.invitation.token } });
    const otherKey = (await gh.http('POST', `${A}/users/${other.body.id}/api-keys`, { key: seedKey, body: {} })).body.key;

    const refused = await gh.http('POST', `${A}/teams`, { key: otherKey, body: { name: 'research' } });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toContain('ADMIN_TEAM_REQUIRED');
    expect((await gh.http('POST', `${A}/teams`, { key: seedKey, body: { name: 'research' } })).status).toBe(201);

    // The seed admin is the last admin of the admin team: it cannot leave it.
    const leave = await gh.http('DELETE', `${A}/teams/admin/members/${seed}`, { key: seedKey });
    expect(leave.body.code).toBe('ADMIN.LAST_ADMIN');
    // Once another admin joins the admin team, it can.
    expect((await gh.http('PUT', `${A}/teams/admin/members/${other.body.id}`, { key: seedKey })).status).toBe(200);
    expect((await gh.http('POST', `${A}/teams`, { key: otherKey, body: { name: 'infra' } })).status).toBe(201);
    expect((await gh.http('DELETE', `${A}/teams/admin/members/${seed}`, { key: seedKey })).status).toBe(200);
  });

  it('default role and team are set at creation and changeable later', async () => {
    const acct = await gh.http('POST', '/v1/accounts', {
      key: ROOT_KEY,
      body: { id: 'adapt2', preset: 'adaptive', admins: ['a@b.test'], defaultRole: 'annotator', defaultTeam: 'labelers' },
    });
    expect(acct.status).toBe(201);
    const invited = await gh.http('POST', '/v1/accounts/adapt2/users', { key: ROOT_KEY, body: { email: 'n@b.test' } });
    expect(invited.body).toMatchObject({ roles: ['annotator'], teams: ['labelers'] });
    const changed = await gh.http('PUT', '/v1/accounts/adapt2/defaults', { key: ROOT_KEY, body: { defaultRole: 'inference', defaultTeam: null } });
    expect(changed.body).toMatchObject({ defaultRole: 'inference', defaultTeam: null });
    const next = await gh.http('POST', '/v1/accounts/adapt2/users', { key: ROOT_KEY, body: { email: 'm@b.test' } });
    expect(next.body).toMatchObject({ roles: ['inference'], teams: [] });
  });
});
