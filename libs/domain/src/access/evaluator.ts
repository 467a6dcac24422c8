import { CompiledRole } from './compiled-role';
import { Condition } from './model';

/**
 * The check evaluator: a pure function of what the cache (or the account's folded
 * state) knows about one subject. It reads only the subject's own roles, so its cost
 * does not depend on how many users, roles or grants the account holds.
 */

export type MemberStatus = 'invited' | 'active' | 'deactivated' | 'removed';

export interface PrincipalRecord {
  type: 'user' | 'service_account';
  id: string;
  status: MemberStatus;
  roles: string[];
  teams: string[];
  /** Membership generation (see KeyRecord.ownerGeneration). */
  generation?: number;
}

export interface AccountRecord {
  status: 'active' | 'deleted';
  /** scope dimension → the resource types it restricts. */
  scopeDimensions: Record<string, string[]>;
}

export interface KeyRecord {
  id: string;
  status: 'active' | 'revoked';
  /** Epoch milliseconds. */
  expiresAt?: number;
  /** A restricted key may do only what these grants allow (and its owner may). */
  restriction?: Record<string, Condition[]>;
  /**
   * The owner's membership generation when the key was minted: after a removal and a
   * new membership of the same user, old keys must not come back to life.
   */
  ownerGeneration?: number;
}

/**
 * The grants of all the roles one principal holds, merged by pattern: a check then costs
 * four map lookups whatever the number of roles. Built once per principal and role
 * change by the in-process cache (see `indexSubjectGrants`).
 */
export type GrantIndex = Map<string, { role: CompiledRole; condition: Condition }[]>;

export interface SubjectView {
  account: AccountRecord | null;
  principal: PrincipalRecord | null;
  /** Definitions of (at least) the roles the principal holds. */
  roles: Record<string, CompiledRole | undefined>;
  /** Optional precomputed merge of `roles` for this principal; must agree with them. */
  index?: GrantIndex;
  /** Present when the subject was named by API key; null when that key is unknown. */
  key?: KeyRecord | null;
}

export interface ResourceAttributes {
  type?: string;
  id?: string;
  owner?: string;
  team?: string;
  tags?: Record<string, string[]>;
}

export interface CheckRequest {
  action: string;
  resource?: ResourceAttributes;
}

export type DenyReason =
  | 'ACCOUNT_NOT_FOUND'
  | 'ACCOUNT_DELETED'
  | 'KEY_NOT_FOUND'
  | 'KEY_REVOKED'
  | 'KEY_EXPIRED'
  | 'KEY_RESTRICTED'
  | 'PRINCIPAL_NOT_FOUND'
  | 'PRINCIPAL_INVITED'
  | 'PRINCIPAL_DEACTIVATED'
  | 'PRINCIPAL_REMOVED'
  | 'INVALID_ACTION'
  | 'RESOURCE_TYPE_MISMATCH'
  | 'NO_GRANT'
  | 'NOT_OWNER'
  | 'NOT_IN_TEAM'
  | 'OUT_OF_SCOPE';

export interface Decision {
  allowed: boolean;
  reason: 'GRANTED' | DenyReason;
  message: string;
  matched?: { role: string; grant: string; condition: Condition };
}

const STATUS_REASON: Record<Exclude<MemberStatus, 'active'>, DenyReason> = {
  invited: 'PRINCIPAL_INVITED',
  deactivated: 'PRINCIPAL_DEACTIVATED',
  removed: 'PRINCIPAL_REMOVED',
};

function deny(reason: DenyReason, message: string): Decision {
  return { allowed: false, reason, message };
}

/** Whether an ownership condition holds for this principal and resource. */
function conditionHolds(condition: Condition, principal: PrincipalRecord, resource: ResourceAttributes | undefined): boolean {
  if (condition === 'any') return true;
  if (condition === 'own') return resource?.owner !== undefined && resource.owner === principal.id;
  return resource?.team !== undefined && principal.teams.includes(resource.team);
}

interface Match {
  role: CompiledRole;
  grant: string;
  condition: Condition;
}

/**
 * @param nowMs epoch milliseconds, for key expiry (injected: the evaluator reads no clock).
 */
export function evaluate(view: SubjectView, request: CheckRequest, nowMs: number): Decision {
  const denial = subjectDenial(view, nowMs);
  if (denial) return denial;
  return evaluateGrants(view as SubjectView & { account: AccountRecord; principal: PrincipalRecord }, request);
}

/**
 * Why this subject can do nothing at all (deleted account, unknown/revoked/expired key,
 * inactive principal), or null. Authentication uses the same rules as checks.
 */
export function subjectDenial(view: SubjectView, nowMs: number): Decision | null {
  const account = view.account;
  if (!account) return deny('ACCOUNT_NOT_FOUND', 'the account does not exist');
  if (account.status !== 'active') return deny('ACCOUNT_DELETED', 'the account has been deleted');

  const key = view.key;
  if (key === null) return deny('KEY_NOT_FOUND', 'the API key is not known in this account');
  if (key !== undefined) {
    if (key.status !== 'active') return deny('KEY_REVOKED', `API key ${key.id} has been revoked`);
    if (key.expiresAt !== undefined && key.expiresAt <= nowMs) return deny('KEY_EXPIRED', `API key ${key.id} has expired`);
  }

  const principal = view.principal;
  if (!principal) return deny('PRINCIPAL_NOT_FOUND', 'the principal is not a member of this account');
  if (key && key.ownerGeneration !== undefined && principal.generation !== undefined && key.ownerGeneration !== principal.generation) {
    return deny('KEY_REVOKED', `API key ${key.id} belonged to an earlier membership, which has ended`);
  }
  if (principal.status !== 'active') {
    return deny(STATUS_REASON[principal.status], `${principal.type} ${principal.id} is ${principal.status}`);
  }
  return null;
}

function evaluateGrants(view: SubjectView & { account: AccountRecord; principal: PrincipalRecord }, request: CheckRequest): Decision {
  const { account, principal, key } = view;

  const action = request.action;
  const sep = action.indexOf(':');
  if (sep <= 0 || sep === action.length - 1) return deny('INVALID_ACTION', `"${action}" is not a resource:action permission`);
  const type = action.slice(0, sep);
  const verb = action.slice(sep + 1);
  const resource = request.resource;
  if (resource?.type !== undefined && resource.type !== type) {
    return deny('RESOURCE_TYPE_MISMATCH', `action ${action} does not apply to a ${resource.type}`);
  }

  // Most specific pattern first, so the explanation names the grant a reader expects.
  const patterns = [action, `${type}:*`, `*:${verb}`, '*'];
  const { granting, conditionMiss } = view.index
    ? grantingFromIndex(view.index, patterns, principal, resource)
    : grantingFromRoles(view.roles, patterns, principal, resource);
  if (granting.length === 0) {
    if (conditionMiss === 'NOT_OWNER') return deny('NOT_OWNER', `${action} is granted only on resources the principal owns`);
    if (conditionMiss === 'NOT_IN_TEAM') return deny('NOT_IN_TEAM', `${action} is granted only on resources of the principal's teams`);
    return deny('NO_GRANT', `no role of the principal grants ${action}`);
  }

  const scopeMiss = outOfScope(account, type, resource, granting);
  if (scopeMiss) return deny('OUT_OF_SCOPE', scopeMiss);

  if (key?.restriction && !restrictionAllows(key.restriction, patterns, principal, resource)) {
    return deny('KEY_RESTRICTED', `API key ${key.id} is restricted and does not carry ${action}`);
  }

  const m = granting[0];
  return {
    allowed: true,
    reason: 'GRANTED',
    message: `role ${m.role.name} grants ${m.grant} (${m.condition})`,
    matched: { role: m.role.name, grant: m.grant, condition: m.condition },
  };
}

interface Granting {
  /** One match per granting role; the first is the most specific grant (ties: role order). */
  granting: Match[];
  conditionMiss: 'NOT_OWNER' | 'NOT_IN_TEAM' | undefined;
}

function grantingFromRoles(
  roles: SubjectView['roles'],
  patterns: string[],
  principal: PrincipalRecord,
  resource: ResourceAttributes | undefined,
): Granting {
  const granting: Match[] = [];
  let conditionMiss: Granting['conditionMiss'];
  let best = 0;
  for (const roleName of principal.roles) {
    const role = roles[roleName];
    if (!role) continue;
    const match = firstMatch(role, patterns, principal, resource);
    if (typeof match === 'string') conditionMiss = worseMiss(conditionMiss, match);
    else if (match) {
      granting.push(match);
      if (patterns.indexOf(match.grant) < patterns.indexOf(granting[best].grant)) best = granting.length - 1;
    }
  }
  if (best > 0) granting.unshift(granting.splice(best, 1)[0]);
  return { granting, conditionMiss };
}

function grantingFromIndex(index: GrantIndex, patterns: string[], principal: PrincipalRecord, resource: ResourceAttributes | undefined): Granting {
  const granting: Match[] = [];
  let conditionMiss: Granting['conditionMiss'];
  for (const pattern of patterns) {
    const entries = index.get(pattern);
    if (!entries) continue;
    for (const { role, condition } of entries) {
      if (granting.some((m) => m.role === role)) continue;
      if (conditionHolds(condition, principal, resource)) granting.push({ role, grant: pattern, condition });
      else conditionMiss = worseMiss(conditionMiss, condition === 'own' ? 'NOT_OWNER' : 'NOT_IN_TEAM');
    }
  }
  return { granting, conditionMiss };
}

/** Reported when nothing grants: NOT_OWNER wins over NOT_IN_TEAM, whatever the order met. */
function worseMiss(a: Granting['conditionMiss'], b: 'NOT_OWNER' | 'NOT_IN_TEAM'): Granting['conditionMiss'] {
  return a === 'NOT_OWNER' ? a : b;
}

/** Merges the grants of the principal's roles by pattern, in role order (see GrantIndex). */
export function indexSubjectGrants(principal: PrincipalRecord, roles: SubjectView['roles']): GrantIndex {
  const index: GrantIndex = new Map();
  for (const roleName of principal.roles) {
    const role = roles[roleName];
    if (!role) continue;
    for (const pattern in role.grants) {
      let list = index.get(pattern);
      if (!list) index.set(pattern, (list = []));
      for (const condition of role.grants[pattern]) list.push({ role, condition });
    }
  }
  return index;
}

/** The role's best grant for the action; a deny reason when a grant exists but its condition fails. */
function firstMatch(
  role: CompiledRole,
  patterns: string[],
  principal: PrincipalRecord,
  resource: ResourceAttributes | undefined,
): Match | 'NOT_OWNER' | 'NOT_IN_TEAM' | undefined {
  let miss: 'NOT_OWNER' | 'NOT_IN_TEAM' | undefined;
  for (const pattern of patterns) {
    const conditions = role.grants[pattern];
    if (!conditions) continue;
    for (const condition of conditions) {
      if (conditionHolds(condition, principal, resource)) return { role, grant: pattern, condition };
      miss = worseMiss(miss, condition === 'own' ? 'NOT_OWNER' : 'NOT_IN_TEAM');
    }
  }
  return miss;
}

/**
 * Access scopes, merged most-permissively across the roles that grant the action
 * (Firefly): a dimension restricts only if every granting role restricts it, and
 * then the resource must carry one of the union of their values.
 */
function outOfScope(
  account: AccountRecord,
  type: string,
  resource: ResourceAttributes | undefined,
  granting: Match[],
): string | undefined {
  for (const dimension in account.scopeDimensions) {
    if (!account.scopeDimensions[dimension].includes(type)) continue;
    let restricted = true;
    for (const m of granting) {
      if (!m.role.scopes[dimension]) {
        restricted = false;
        break;
      }
    }
    if (!restricted) continue;
    const tags = resource?.tags?.[dimension] ?? [];
    const visible = granting.some((m) => m.role.scopes[dimension].some((v) => tags.includes(v)));
    if (!visible) return `the resource's ${dimension} tags are outside the principal's access scope`;
  }
  return undefined;
}

function restrictionAllows(
  restriction: Record<string, Condition[]>,
  patterns: string[],
  principal: PrincipalRecord,
  resource: ResourceAttributes | undefined,
): boolean {
  for (const pattern of patterns) {
    const conditions = restriction[pattern];
    if (conditions?.some((c) => conditionHolds(c, principal, resource))) return true;
  }
  return false;
}
