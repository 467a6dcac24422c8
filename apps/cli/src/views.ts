import type { ApiKeyCreated, Member, Role, Written } from './api';
import type { Column } from './output';
import { formatGrant } from './syntax';
import type { Context } from './verb';

/** How each kind of server object is shown to people. */

export const memberColumns: Column<Member>[] = [
  { header: 'ID', value: (m) => m.id },
  { header: 'EMAIL', value: (m) => m.email },
  { header: 'STATUS', value: (m) => m.status },
  { header: 'ROLES', value: (m) => m.roles },
  { header: 'TEAMS', value: (m) => m.teams },
];

export function showMember(ctx: Context, member: Member & Partial<Written>): void {
  ctx.out.fields([
    ['id', member.id],
    ['email', member.email],
    ['name', member.name],
    ['status', member.status],
    ['roles', member.roles],
    ['teams', member.teams],
    ['revision', member.revision],
  ]);
}

/** A write: the server's JSON for scripts, one line with the revision for people. */
export function written(ctx: Context, result: Written, text: string): void {
  if (ctx.out.json) ctx.out.data(result);
  else ctx.out.print(`${text} (revision ${result.revision})`);
}

export function showRole(ctx: Context, role: Role & Partial<Written>): void {
  ctx.out.fields([
    ['name', role.name],
    ['kind', role.builtIn ? 'built-in' : 'custom'],
    ['description', role.description],
    ['revision', role.revision],
  ]);
  ctx.out.print();
  ctx.out.table(role.grants, [
    { header: 'GRANT', value: (g) => formatGrant(g) },
    { header: 'PERMISSION', value: (g) => g.permission },
    { header: 'CONDITION', value: (g) => g.condition ?? 'any' },
  ], 'no grants');
  const scopes = Object.entries(role.scopes ?? {});
  if (scopes.length) {
    ctx.out.print();
    ctx.out.table(scopes, [
      { header: 'SCOPE', value: ([dimension]) => dimension },
      { header: 'VALUES', value: ([, values]) => (values.length ? values : 'unrestricted') },
    ], '');
  }
}

/** The one place a secret API key is printed: right after its creation. */
export function showCreatedKey(ctx: Context, key: ApiKeyCreated): void {
  if (ctx.out.json) {
    ctx.out.data(key);
  } else {
    ctx.out.fields([
      ['id', key.id],
      ['owner', `${key.owner.type}:${key.owner.id}`],
      ['name', key.name],
      ['expires', key.expiresAt],
      ['restricted', key.restricted],
      ['revision', key.revision],
    ]);
    if (key.key) ctx.out.print(`\n  ${key.key}\n`);
  }
  if (key.key) ctx.out.warn('Store this API key now: Gatehouse keeps only its hash and will not show it again.');
  else ctx.out.warn('The server did not return the secret (a replayed request shows it only the first time).');
}
