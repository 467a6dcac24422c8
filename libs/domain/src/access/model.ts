/**
 * The access model's vocabulary (DESIGN §2): permissions are `resource:action`
 * patterns, grants add an ownership condition, roles bundle grants and access scopes.
 * Everything here is plain data so it can live in events, presets and caches alike.
 */

export type Condition = 'any' | 'own' | 'team';
export const CONDITIONS: readonly Condition[] = ['any', 'own', 'team'];

export interface Grant {
  /** `dataset:read`, `dataset:*`, `*:read` or `*`. */
  permission: string;
  condition: Condition;
}

/** Per dimension, the tag values a role may see. Missing or empty = unrestricted. */
export type AccessScopes = Record<string, string[]>;

export interface RoleDefinition {
  name: string;
  description: string;
  builtIn: boolean;
  grants: Grant[];
  scopes: AccessScopes;
}

export interface Catalog {
  /** resource type → the actions it knows. */
  resourceTypes: Record<string, string[]>;
  /** scope dimension → the resource types whose tags it restricts. */
  scopeDimensions: Record<string, string[]>;
}

/**
 * Gatehouse's own management operations, each named in the account's vocabulary.
 * Fireworks calls inviting `user:create`; Firefly would call it `admin:users`.
 */
export type Operation =
  | 'members.read'
  | 'members.invite'
  | 'members.update'
  | 'members.remove'
  | 'members.provision'
  | 'api_keys.create'
  | 'api_keys.delete'
  | 'service_accounts.read'
  | 'service_accounts.create'
  | 'service_accounts.delete'
  | 'service_account_keys.create'
  | 'roles.read'
  | 'roles.manage'
  | 'teams.read'
  | 'teams.manage'
  | 'catalog.manage'
  | 'resources.manage'
  | 'audit.read'
  | 'account.delete';

/**
 * Adaptive's rule: global operations (creating roles and teams, moving users between
 * teams, changing the role of a user outside one's own teams) need membership in this
 * team AND one of these roles, on top of the operation's permission.
 */
export interface AdminTeamRule {
  team: string;
  roles: string[];
}

/** The full model an account is created with: a snapshot, so later preset edits never rewrite history. */
export interface AccessModel {
  preset: string;
  catalog: Catalog;
  roles: RoleDefinition[];
  defaultRole: string;
  /** Team new members join (Adaptive's default team), if any. */
  defaultTeam?: string;
  /** Teams every account of this preset starts with. */
  teams: string[];
  /** Roles whose holders count as admins for the last-admin rule. */
  adminRoles: string[];
  adminTeam?: AdminTeamRule;
  operations: Partial<Record<Operation, string>>;
}

export interface PrincipalRef {
  type: 'user' | 'service_account';
  id: string;
}

export const principalKey = (p: PrincipalRef): string => `${p.type}:${p.id}`;

export interface ParsedPermission {
  type: string;
  action: string;
}

/** Splits `type:action`; returns null for anything else (`*` alone means `*:*`). */
export function parsePermission(pattern: string): ParsedPermission | null {
  if (pattern === '*') return { type: '*', action: '*' };
  const sep = pattern.indexOf(':');
  if (sep <= 0 || sep === pattern.length - 1 || pattern.indexOf(':', sep + 1) !== -1) return null;
  return { type: pattern.slice(0, sep), action: pattern.slice(sep + 1) };
}

/** Whether a permission pattern names something the catalog knows (wildcards allowed). */
export function isKnownPermission(catalog: Catalog, pattern: string): boolean {
  const p = parsePermission(pattern);
  if (!p) return false;
  if (p.type === '*') {
    return p.action === '*' || Object.values(catalog.resourceTypes).some((actions) => actions.includes(p.action));
  }
  const actions = catalog.resourceTypes[p.type];
  if (!actions) return false;
  return p.action === '*' || actions.includes(p.action);
}

/** Whether pattern `outer` allows everything pattern `inner` allows. */
export function patternCovers(outer: string, inner: string): boolean {
  const o = parsePermission(outer);
  const i = parsePermission(inner);
  if (!o || !i) return false;
  return (o.type === '*' || o.type === i.type) && (o.action === '*' || o.action === i.action);
}

/** `any` covers everything; `own` and `team` cover only themselves. */
export function conditionCovers(outer: Condition, inner: Condition): boolean {
  return outer === 'any' || outer === inner;
}
