import { Actor } from '../actor';
import { errors } from '../errors';
import { ExistingAccount, Member, subjectViewOf } from '../account/account.state';
import { CompiledRole } from './compiled-role';
import { evaluate, ResourceAttributes } from './evaluator';
import { AccessScopes, Catalog, Condition, conditionCovers, Grant, Operation, patternCovers, principalKey, RoleDefinition } from './model';

type Account = ExistingAccount & { status: 'active' | 'deleted' };

/** Operations that change the account's shape: with an admin-team rule (Adaptive) they need that team too. */
const GLOBAL_OPERATIONS: ReadonlySet<Operation> = new Set(['roles.manage', 'teams.manage', 'catalog.manage']);

export interface AuthorizeOptions {
  /** The member the operation acts on, for the same-team rule. */
  target?: Member;
  /** The team the operation puts a member into or takes them out of. */
  team?: string;
}

/**
 * Gatehouse guards its own management API with the account's roles: an operation
 * maps to a permission in the account's vocabulary, which the actor must hold.
 * The only side door is the platform root key.
 */
export function authorize(
  account: Account,
  actor: Actor,
  operation: Operation,
  resource: ResourceAttributes | undefined,
  now: Date,
  options: AuthorizeOptions = {},
): void {
  if (actor.kind === 'root') return;
  const permission = account.model.operations[operation];
  if (actor.kind === 'anonymous') throw errors.forbidden(permission ?? operation, 'NO_CREDENTIALS');
  if (!permission) throw errors.forbidden(operation, 'OPERATION_NOT_IN_PRESET');
  const view = subjectViewOf(account, actor.principal);
  if (actor.restriction) view.key = { id: actor.keyId ?? 'unknown', status: 'active', restriction: actor.restriction };
  const decision = evaluate(view, { action: permission, resource }, now.getTime());
  if (!decision.allowed) throw errors.forbidden(permission, decision.reason);

  const rule = account.model.adminTeam;
  if (!rule || isGlobalAdmin(account, actor)) return;
  if (GLOBAL_OPERATIONS.has(operation)) {
    throw errors.forbidden(permission, `ADMIN_TEAM_REQUIRED: only members of team "${rule.team}" with role ${rule.roles.join(' or ')} may do this`);
  }
  // Adaptive's admin:manage_users: outside the admin team, only for users in one's own teams.
  const actorTeams = account.members.get(principalKey(actor.principal))?.teams ?? [];
  if (options.target && !options.target.teams.some((t) => actorTeams.includes(t))) {
    throw errors.forbidden(permission, 'NOT_SAME_TEAM: the user is in none of your teams');
  }
  if (options.team !== undefined && !actorTeams.includes(options.team)) {
    throw errors.forbidden(permission, `NOT_SAME_TEAM: you are not in team "${options.team}"`);
  }
}

/** Member of the admin team holding one of the rule's roles (or any actor when there is no such rule). */
export function isGlobalAdmin(account: Account, actor: Actor): boolean {
  if (actor.kind === 'root') return true;
  if (actor.kind === 'anonymous') return false;
  const rule = account.model.adminTeam;
  if (!rule) return true;
  const m = account.members.get(principalKey(actor.principal));
  return !!m && m.status === 'active' && m.teams.includes(rule.team) && m.roles.some((r) => rule.roles.includes(r));
}

const grantCovered = (index: Record<string, Condition[]>, grant: Grant) =>
  Object.entries(index).some(
    ([pattern, conditions]) => patternCovers(pattern, grant.permission) && conditions.some((c) => conditionCovers(c, grant.condition)),
  );

/**
 * Whether the actor's scopes for a grant are at least as wide as `scopes`: on every
 * dimension the actor is unrestricted, or the granted values are a subset of its own.
 */
function scopesCover(catalog: Catalog, actorScopes: AccessScopes, scopes: AccessScopes): boolean {
  for (const dimension of Object.keys(catalog.scopeDimensions)) {
    const mine = actorScopes[dimension];
    if (!mine || mine.length === 0) continue;
    const theirs = scopes[dimension];
    if (!theirs || theirs.length === 0 || theirs.some((v) => !mine.includes(v))) return false;
  }
  return true;
}

/** Whether the actor itself holds `grant`, within scopes at least as wide: the no-escalation rule. */
export function actorHoldsGrant(account: Account, actor: Actor, grant: Grant, scopes: AccessScopes = {}): boolean {
  if (actor.kind === 'root') return true;
  if (actor.kind === 'anonymous') return false;
  const view = subjectViewOf(account, actor.principal);
  if (!view.principal || view.principal.status !== 'active') return false;
  const held = view.principal.roles.some((r) => {
    const role: CompiledRole | undefined = view.roles[r];
    return role !== undefined && grantCovered(role.grants, grant) && scopesCover(account.model.catalog, role.scopes, scopes);
  });
  return held && (!actor.restriction || grantCovered(actor.restriction, grant));
}

/** Refuses to let an actor hand out (or define) a role holding anything the actor does not hold itself. */
export function assertNoEscalation(account: Account, actor: Actor, role: Pick<RoleDefinition, 'name' | 'grants' | 'scopes'> | string): void {
  const definition = typeof role === 'string' ? account.roles.get(role) : role;
  if (!definition) return;
  const missing = definition.grants.filter((g) => !actorHoldsGrant(account, actor, g, definition.scopes));
  if (missing.length > 0) {
    throw errors.forbidden(
      `role ${definition.name}`,
      `ESCALATION: the actor does not hold ${missing.map((g) => `${g.permission} (${g.condition})`).join(', ')}`,
    );
  }
}
