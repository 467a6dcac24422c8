import { loadTable, SeedTable } from '../../libs/domain/src/presets/tables/tables';
import { ROOT_KEY, TestGatehouse } from './gatehouse';

export interface TableMember {
  id: string;
  key: string;
  keyId: string;
}

export interface TableAccount {
  account: string;
  table: SeedTable;
  /** One active member per role of the table, with an API key. */
  users: Record<string, TableMember>;
  /** Another member, the `$other` of the rows. */
  other: TableMember;
}

/**
 * The account a preset's seed table runs in, set up over HTTP exactly as
 * seed-tables.e2e.spec.ts does: one member per role (in the table's principal teams,
 * and only those), each with a key, plus another member.
 */
export async function setUpTableAccount(gh: TestGatehouse, preset: string, account = `${preset}-table`): Promise<TableAccount> {
  const table = loadTable(preset);
  const a = `/v1/accounts/${account}`;
  const ok = async (method: string, url: string, body: unknown | undefined, status: number) => {
    const res = await gh.http(method, url, { key: ROOT_KEY, ...(body !== undefined ? { body } : {}) });
    if (res.status !== status) throw new Error(`${method} ${url}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const member = async (email: string, role: string): Promise<TableMember> => {
    const invited = await ok('POST', `${a}/users`, { email, roles: [role] }, 201);
    await ok('POST', `${a}/invitations/accept`, { token: invited.invitation.token }, 200);
    for (const team of invited.teams ?? []) {
      if (!(table.principalTeams ?? []).includes(team)) await ok('DELETE', `${a}/teams/${team}/members/${invited.id}`, undefined, 200);
    }
    for (const team of table.principalTeams ?? []) await ok('PUT', `${a}/teams/${team}/members/${invited.id}`, undefined, 200);
    const key = await ok('POST', `${a}/users/${invited.id}/api-keys`, {}, 201);
    return { id: invited.id, key: key.key, keyId: key.id };
  };
  await ok('POST', '/v1/accounts', { id: account, preset, admins: ['root-admin@t.test'] }, 201);
  for (const team of table.principalTeams ?? []) await ok('POST', `${a}/teams`, { name: team }, 201);
  const users: Record<string, TableMember> = {};
  for (const role of table.roles) users[role] = await member(`${role}@t.test`, role);
  const other = await member('other@t.test', table.roles[0]);
  return { account, table, users, other };
}
