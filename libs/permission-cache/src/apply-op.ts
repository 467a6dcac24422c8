import { PrincipalRecord } from '@gatehouse/domain';
import { CacheOp } from './permission-cache.port';

/**
 * The meaning of `principal.patch`, shared by the in-process adapter and mirrored by
 * the Redis Lua script (the contract suite holds the two to the same behaviour).
 */
export function patchPrincipal(p: PrincipalRecord, op: Extract<CacheOp, { op: 'principal.patch' }>): PrincipalRecord {
  let roles = op.setRoles ? [...op.setRoles] : [...p.roles];
  for (const r of op.addRoles ?? []) if (!roles.includes(r)) roles.push(r);
  if (op.removeRoles) roles = roles.filter((r) => !op.removeRoles!.includes(r));
  let teams = [...p.teams];
  for (const t of op.addTeams ?? []) if (!teams.includes(t)) teams.push(t);
  if (op.removeTeams) teams = teams.filter((t) => !op.removeTeams!.includes(t));
  return { ...p, status: op.status ?? p.status, roles, teams };
}
