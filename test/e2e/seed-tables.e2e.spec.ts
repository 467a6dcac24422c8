import { loadTable, substitute } from '../../libs/domain/src/presets/tables/tables';
import { ROOT_KEY, startGatehouse, TestGatehouse } from '../support/gatehouse';

/**
 * The seed tables over HTTP: every row, for every role, through POST /check — and the
 * rows about managing users and keys also through the management API itself, which
 * Gatehouse guards with the same roles.
 */
describe.each(['fireworks', 'predibase', 'firefly', 'adaptive'])('preset %s over HTTP', (preset) => {
  const table = loadTable(preset);
  let gh: TestGatehouse;
  const users: Record<string, { id: string; key: string; keyId: string }> = {};
  let other: { id: string; key: string; keyId: string };

  async function member(email: string, role: string) {
    const invited = await gh.http('POST', `/v1/accounts/${preset}-table/users`, { key: ROOT_KEY, body: { email, roles: [role] } });
    expect(invited.status).toBe(201);
    await gh.http('POST', `/v1/accounts/${preset}-table/invitations/accept`, { body: { token: invited.body.invitation.token } });
    // The table's principal teams (Adaptive), joined through the teams endpoints; new members may start in a default team.
    for (const team of invited.body.teams ?? []) {
      if (!(table.principalTeams ?? []).includes(team)) {
        expect((await gh.http('DELETE', `/v1/accounts/${preset}-table/teams/${team}/members/${invited.body.id}`, { key: ROOT_KEY })).status).toBe(200);
      }
    }
    for (const team of table.principalTeams ?? []) {
      expect((await gh.http('PUT', `/v1/accounts/${preset}-table/teams/${team}/members/${invited.body.id}`, { key: ROOT_KEY })).status).toBe(200);
    }
    const key = await gh.http('POST', `/v1/accounts/${preset}-table/users/${invited.body.id}/api-keys`, { key: ROOT_KEY, body: {} });
    expect(key.status).toBe(201);
    return { id: invited.body.id as string, key: key.body.key as string, keyId: key.body.id as string };
  }

  beforeAll(async () => {
    gh = await startGatehouse();
    const acct = await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: `${preset}-table`, preset, admins: ['root-admin@t.test'] } });
    expect(acct.status).toBe(201);
    for (const team of table.principalTeams ?? []) {
      expect((await gh.http('POST', `/v1/accounts/${preset}-table/teams`, { key: ROOT_KEY, body: { name: team } })).status).toBe(201);
    }
    for (const role of table.roles) users[role] = await member(`${role}@t.test`, role);
    other = await member('other@t.test', table.roles[0]);
  });
  afterAll(() => gh.stop());

  for (const row of table.rows) {
    for (const role of table.roles) {
      const expected = row.expect[role];
      it(`${table.seed} › ${row.table} › "${row.row}" › ${role} → ${expected ? 'allowed' : 'denied'} (POST /check)`, async () => {
        for (const check of row.checks) {
          for (const principal of [{ type: 'user', id: users[role].id }, { apiKey: users[role].key }]) {
            const res = await gh.http('POST', `/v1/accounts/${preset}-table/check`, {
              key: ROOT_KEY,
              body: { principal, ...substitute(check, { self: users[role].id, other: other.id }) },
            });
            expect(res.status).toBe(200);
            expect({ check, principal: Object.keys(principal)[0], allowed: res.body.allowed }).toEqual({
              check,
              principal: Object.keys(principal)[0],
              allowed: expected,
            });
          }
        }
      });
    }
  }

  if (preset === 'fireworks') {
    // The same matrix, enforced on Gatehouse's own management API.
    const expectAdminOnly = (role: string, status: number, ok: number) => expect({ role, status }).toEqual({ role, status: role === 'admin' ? ok : 403 });

    it.each(['inference-user', 'contributor', 'user', 'admin'])('"Add/modify/delete users and their access" via the API › %s', async (role) => {
      const a = `/v1/accounts/${preset}-table`;
      const invite = await gh.http('POST', `${a}/users`, { key: users[role].key, body: { email: `new-by-${role}@t.test` } });
      expectAdminOnly(role, invite.status, 201);
      const assign = await gh.http('POST', `${a}/users/${other.id}/roles`, { key: users[role].key, body: { role: 'contributor' } });
      expectAdminOnly(role, assign.status, 200);
      if (role === 'admin') {
        const removed = await gh.http('DELETE', `${a}/users/${invite.body.id}`, { key: users[role].key });
        expect(removed.status).toBe(200);
      } else {
        const removed = await gh.http('DELETE', `${a}/users/${other.id}`, { key: users[role].key });
        expect(removed.status).toBe(403);
        expect(removed.body.code).toBe('PERMISSION.DENIED');
      }
    });

    it.each(['inference-user', 'contributor', 'user', 'admin'])('"Manage self-owned API keys" and "View all users" via the API › %s', async (role) => {
      const a = `/v1/accounts/${preset}-table`;
      const created = await gh.http('POST', `${a}/users/${users[role].id}/api-keys`, { key: users[role].key, body: { name: 'own' } });
      expect(created.status).toBe(201);
      const revoked = await gh.http('DELETE', `${a}/api-keys/${created.body.id}`, { key: users[role].key });
      expect(revoked.status).toBe(200);
      const list = await gh.http('GET', `${a}/users`, { key: users[role].key });
      expect(list.status).toBe(200);
      expect(list.body.items.length).toBeGreaterThanOrEqual(5);
    });

    it.each(['inference-user', 'contributor', 'user', 'admin'])('"Delete other users\' API keys" via the API › %s', async (role) => {
      const a = `/v1/accounts/${preset}-table`;
      const victim = await gh.http('POST', `${a}/users/${other.id}/api-keys`, { key: ROOT_KEY, body: {} });
      const res = await gh.http('DELETE', `${a}/api-keys/${victim.body.id}`, { key: users[role].key });
      expectAdminOnly(role, res.status, 200);
      const create = await gh.http('POST', `${a}/users/${other.id}/api-keys`, { key: users[role].key, body: {} });
      expectAdminOnly(role, create.status, 201);
    });
  }
});
