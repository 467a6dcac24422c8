import { CompiledRole } from './compiled-role';
import { ANY, canonicalPattern, Granter, grantersOf, HeldRoles, holdRoles, OWN, Plan, planOf, TEAM } from './held-roles';
import { Condition } from './model';

export { canonicalPattern, holdRole, holdRoleAlone, holdRoles, heldRoleOf } from './held-roles';
export type { HeldGrant, HeldRole, HeldRoles } from './held-roles';

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
 * @deprecated The merged per-principal index of earlier versions; the evaluator now reads
 * `SubjectView.held` (see held-roles.ts) and ignores this. Kept for source compatibility.
 */
export type GrantIndex = Map<string, { role: CompiledRole; condition: Condition }[]>;

export interface SubjectView {
  account: AccountRecord | null;
  principal: PrincipalRecord | null;
  /** Definitions of (at least) the roles the principal holds. */
  roles: Record<string, CompiledRole | undefined>;
  /**
   * Optional: the principal's roles compiled for the hot path (`holdRoles`); must agree
   * with `principal.roles` and `roles`. Without it the evaluator compiles them per check.
   * The in-process cache sets it non-enumerable, so views still compare and serialize
   * as plain data, and a spread copy merely falls back to compiling.
   */
  held?: HeldRoles;
  /** @deprecated Ignored (see GrantIndex). */
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

/** Decisions handed to many callers: frozen, so a caller that writes to one fails loudly instead of changing others'. */
function shared(decision: Decision): Decision {
  if (decision.matched) Object.freeze(decision.matched);
  return Object.freeze(decision);
}

/** Whether a condition (ANY, OWN or TEAM) holds for this principal and resource. */
function holds(kind: number, principal: PrincipalRecord, resource: ResourceAttributes | undefined): boolean {
  if (kind === ANY) return true;
  if (resource === undefined) return false;
  if (kind === OWN) return resource.owner !== undefined && resource.owner === principal.id;
  return resource.team !== undefined && principal.teams.includes(resource.team);
}

/**
 * An action split once: its four patterns, most specific first, and the denials that
 * name it. Clients send a small vocabulary of actions over and over, so the split and
 * the deny messages are remembered instead of rebuilt for every check.
 */
interface ParsedAction {
  /** Small and dense within an epoch (see `actionEpoch`): indexes HeldRoles.plans. */
  readonly id: number;
  readonly type: string;
  /** `type:verb`, `type:*`, `*:verb`, `*`. */
  readonly patterns: readonly string[];
  readonly noGrant: Decision;
  readonly notOwner: Decision;
  readonly notInTeam: Decision;
}

const actions = new Map<string, ParsedAction | null>();
/** Bounds the memory strangers can make us spend on made-up actions. */
const MAX_ACTIONS = 4096;
/** Bumped whenever the memo starts over: action ids restart, so every plan memo must too. */
let actionEpoch = 0;
let nextActionId = 0;

function parseAction(action: string): ParsedAction | null {
  let parsed = actions.get(action);
  if (parsed !== undefined) return parsed;
  if (actions.size >= MAX_ACTIONS) {
    actions.clear();
    actionEpoch++;
    nextActionId = 0;
  }
  const sep = action.indexOf(':');
  if (sep <= 0 || sep === action.length - 1) parsed = null;
  else {
    const type = action.slice(0, sep);
    const verb = action.slice(sep + 1);
    parsed = {
      id: nextActionId++,
      type,
      patterns: [canonicalPattern(action), canonicalPattern(`${type}:*`), canonicalPattern(`*:${verb}`), canonicalPattern('*')],
      noGrant: shared(deny('NO_GRANT', `no role of the principal grants ${action}`)),
      notOwner: shared(deny('NOT_OWNER', `${action} is granted only on resources the principal owns`)),
      notInTeam: shared(deny('NOT_IN_TEAM', `${action} is granted only on resources of the principal's teams`)),
    };
  }
  actions.set(action, parsed);
  return parsed;
}

const scopeDenials = new Map<string, Decision>();

function scopeDenial(dimension: string): Decision {
  let d = scopeDenials.get(dimension);
  if (d === undefined) {
    if (scopeDenials.size >= MAX_ACTIONS) scopeDenials.clear();
    scopeDenials.set(dimension, (d = shared(deny('OUT_OF_SCOPE', `the resource's ${dimension} tags are outside the principal's access scope`))));
  }
  return d;
}

/**
 * @param nowMs epoch milliseconds, for key expiry (injected: the evaluator reads no clock).
 */
export function evaluate(view: SubjectView, request: CheckRequest, nowMs: number): Decision {
  const denial = subjectDenial(view, nowMs);
  if (denial !== null) return denial;
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

// No closures, arrays or objects are made on the way to an answer: the patterns and
// denials come from the action's memo and an allow is the matched grant's shared Decision.
function evaluateGrants(view: SubjectView & { account: AccountRecord; principal: PrincipalRecord }, request: CheckRequest): Decision {
  const principal = view.principal;
  const parsed = parseAction(request.action);
  if (parsed === null) return deny('INVALID_ACTION', `"${request.action}" is not a resource:action permission`);
  const resource = request.resource;
  if (resource !== undefined && resource.type !== undefined && resource.type !== parsed.type) {
    return deny('RESOURCE_TYPE_MISMATCH', `action ${request.action} does not apply to a ${resource.type}`);
  }

  const held = view.held ?? holdRoles(principal.roles, (name) => view.roles[name], false);
  const patterns = parsed.patterns;
  // Most specific pattern first, then role order: the explanation names the grant a reader
  // expects. Misses are only reported when nothing grants: NOT_OWNER wins over NOT_IN_TEAM.
  // The search itself is memoized per list of roles and action (see Plan): what is left per
  // check is testing at most three conditions against this principal and resource.
  const plan = plansOf(held)?.[parsed.id] ?? remember(held, parsed);
  // Unrolled over the plan's three steps: no array, no closure, one object read.
  let best = -1;
  let ownMissed = false;
  let teamMissed = false;
  const steps = plan.steps;
  if (steps > 0) {
    if (holds(plan.kind0, principal, resource)) best = 0;
    else if (plan.kind0 === OWN) ownMissed = true;
    else teamMissed = true;
    if (best < 0 && steps > 1) {
      if (holds(plan.kind1, principal, resource)) best = 1;
      else if (plan.kind1 === OWN) ownMissed = true;
      else teamMissed = true;
      if (best < 0 && steps > 2) {
        if (holds(plan.kind2, principal, resource)) best = 2;
        else if (plan.kind2 === OWN) ownMissed = true;
        else teamMissed = true;
      }
    }
  }
  if (best < 0) return ownMissed ? parsed.notOwner : teamMissed ? parsed.notInTeam : parsed.noGrant;

  // Only a role restricted on a dimension can make the answer out of scope.
  const scopes = plan.scoped ? (best === 0 ? plan.grant0 : best === 1 ? plan.grant1 : plan.grant2)!.scopes : null;
  if (scopes !== null) {
    const dimensions = view.account.scopeDimensions;
    for (const dimension in dimensions) {
      if (scopes.has(dimension) && dimensions[dimension].includes(parsed.type) && !inScope(dimension, (plan.granters ??= grantersOf(held.list, patterns)), principal, resource)) {
        return scopeDenial(dimension);
      }
    }
  }

  const key = view.key;
  if (key != null && key.restriction && !restrictionAllows(key.restriction, patterns, principal, resource)) {
    return deny('KEY_RESTRICTED', `API key ${key.id} is restricted and does not carry ${request.action}`);
  }

  return (best === 0 ? plan.allowed0 : best === 1 ? plan.allowed1 : plan.allowed2)!;
}

/** The role list's plans, when it keeps them, reset when action ids have restarted. */
function plansOf(held: HeldRoles): (Plan | undefined)[] | null {
  const plans = held.plans;
  if (plans === null || held.plansEpoch === actionEpoch) return plans;
  held.plansEpoch = actionEpoch;
  return (held.plans = []);
}

/**
 * Plans are kept for the first MAX_PLANNED actions of an epoch, which is the whole
 * vocabulary a deployment checks; past it (strangers making actions up) the search is
 * simply done per check, so a list of roles never holds more than this many plans.
 */
const MAX_PLANNED = 512;

function remember(held: HeldRoles, parsed: ParsedAction): Plan {
  const plan = planOf(held.tables, parsed.patterns);
  if (held.plans !== null && parsed.id < MAX_PLANNED) held.plans[parsed.id] = plan;
  return plan;
}

/** Whether a role granting the action under `kinds` (a Granter's bits) grants it to this principal on this resource. */
function grants(kinds: number, principal: PrincipalRecord, resource: ResourceAttributes | undefined): boolean {
  return (kinds & (1 << ANY)) !== 0 || ((kinds & (1 << OWN)) !== 0 && holds(OWN, principal, resource)) || ((kinds & (1 << TEAM)) !== 0 && holds(TEAM, principal, resource));
}

/**
 * Access scopes, merged most-permissively across the roles that grant the action
 * (Firefly): a dimension restricts only if every granting role restricts it, and
 * then the resource must carry one of the union of their values.
 */
function inScope(dimension: string, granters: readonly Granter[], principal: PrincipalRecord, resource: ResourceAttributes | undefined): boolean {
  for (const g of granters) {
    if ((g.scopes === null || !g.scopes.has(dimension)) && grants(g.kinds, principal, resource)) return true;
  }
  const tags = resource?.tags?.[dimension];
  if (tags === undefined || tags.length === 0) return false;
  for (const g of granters) {
    const values = g.scopes?.get(dimension);
    if (values === undefined || !grants(g.kinds, principal, resource)) continue;
    for (const v of values) if (tags.includes(v)) return true;
  }
  return false;
}

function restrictionAllows(
  restriction: Record<string, Condition[]>,
  patterns: readonly string[],
  principal: PrincipalRecord,
  resource: ResourceAttributes | undefined,
): boolean {
  for (const pattern of patterns) {
    const conditions = restriction[pattern];
    if (conditions === undefined) continue;
    for (const c of conditions) if (holds(c === 'any' ? ANY : c === 'own' ? OWN : TEAM, principal, resource)) return true;
  }
  return false;
}

/** @deprecated See GrantIndex: nothing reads it any more. Merges the principal's grants by pattern. */
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
