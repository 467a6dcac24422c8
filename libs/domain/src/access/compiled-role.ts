import { AccessScopes, Condition, Grant, RoleDefinition } from './model';

/**
 * A role as the evaluator reads it: grants indexed by their exact pattern, so a check
 * costs four property lookups per held role whatever the number of grants or roles.
 * Plain JSON, so the Redis cache can store it as is.
 */
export interface CompiledRole {
  name: string;
  grants: Record<string, Condition[]>;
  /** Only the restricted dimensions (non-empty value lists). */
  scopes: AccessScopes;
}

export function compileRole(role: Pick<RoleDefinition, 'name' | 'grants' | 'scopes'>): CompiledRole {
  return { name: role.name, grants: indexGrants(role.grants), scopes: restrictedScopes(role.scopes) };
}

export function indexGrants(grants: Grant[]): Record<string, Condition[]> {
  const index: Record<string, Condition[]> = {};
  for (const g of grants) {
    // `*:*` and `*` mean the same; the evaluator looks up only `*`.
    const list = (index[g.permission === '*:*' ? '*' : g.permission] ??= []);
    if (!list.includes(g.condition)) list.push(g.condition);
  }
  return index;
}

function restrictedScopes(scopes: AccessScopes): AccessScopes {
  const out: AccessScopes = {};
  for (const [dim, values] of Object.entries(scopes)) if (values.length > 0) out[dim] = [...values];
  return out;
}
