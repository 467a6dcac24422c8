import { Actor } from '../actor';
import { errors } from '../errors';
import { ExistingAccount, subjectViewOf } from '../account/account.state';
import { evaluate, ResourceAttributes } from './evaluator';
import { conditionCovers, Grant, Operation, patternCovers } from './model';

type Account = ExistingAccount & { status: 'active' | 'deleted' };

/**
 * Gatehouse guards its own management API with the account's roles: an operation
 * maps to a permission in the account's vocabulary, which the actor must hold.
 * The only side door is the platform root key.
 */
export function authorize(account: Account, actor: Actor, operation: Operation, resource: ResourceAttributes | undefined, now: Date): void {
  if (actor.kind === 'root') return;
  const permission = account.model.operations[operation];
  if (actor.kind === 'anonymous') throw errors.forbidden(permission ?? operation, 'NO_CREDENTIALS');
  if (!permission) throw errors.forbidden(operation, 'OPERATION_NOT_IN_PRESET');
  const view = subjectViewOf(account, actor.principal);
  if (actor.restriction) view.key = { id: actor.keyId ?? 'unknown', status: 'active', restriction: actor.restriction };
  const decision = evaluate(view, { action: permission, resource }, now.getTime());
  if (!decision.allowed) throw errors.forbidden(permission, decision.reason);
}

/** Whether the actor itself holds a grant covering `grant`: the no-escalation rule. */
export function actorHoldsGrant(account: Account, actor: Actor, grant: Grant): boolean {
  if (actor.kind === 'root') return true;
  if (actor.kind === 'anonymous') return false;
  const view = subjectViewOf(account, actor.principal);
  if (!view.principal || view.principal.status !== 'active') return false;
  const covered = (index: Record<string, string[]>) =>
    Object.entries(index).some(
      ([pattern, conditions]) =>
        patternCovers(pattern, grant.permission) && conditions.some((c) => conditionCovers(c as Grant['condition'], grant.condition)),
    );
  const held = view.principal.roles.some((r) => {
    const role = view.roles[r];
    return role !== undefined && covered(role.grants);
  });
  return held && (!actor.restriction || covered(actor.restriction));
}

/** Refuses to let an actor hand out a role holding anything the actor does not hold itself. */
export function assertNoEscalation(account: Account, actor: Actor, roleName: string): void {
  const role = account.roles.get(roleName);
  if (!role) return;
  const missing = role.grants.filter((g) => !actorHoldsGrant(account, actor, g));
  if (missing.length > 0) {
    throw errors.forbidden(
      `role ${roleName}`,
      `ESCALATION: the actor does not hold ${missing.map((g) => `${g.permission} (${g.condition})`).join(', ')}`,
    );
  }
}
