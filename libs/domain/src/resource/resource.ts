import { Actor } from '../actor';
import { authorize } from '../access/authorize';
import { evaluate, ResourceAttributes } from '../access/evaluator';
import { principalKey } from '../access/model';
import { AccountState, ExistingAccount, subjectViewOf } from '../account/account.state';
import { DomainError, errors } from '../errors';

/**
 * The resource registry (issue 5): resources registered with their owner, team and
 * tags so that checks may name only a type and an id, and so that "which resources may
 * X act on" has an answer. Each resource is its own stream (`resource-<account>/<type>/<id>`):
 * the account stream stays small however many resources an account holds, and
 * registrations of different resources never contend.
 */

/** The attributes a check sees; `tags` is per scope dimension, like AccessScopes. */
export interface ResourceRecord {
  type: string;
  id: string;
  owner?: string;
  team?: string;
  tags: Record<string, string[]>;
}

export interface ResourceRegistered {
  type: 'ResourceRegistered';
  data: { accountId: string; resource: ResourceRecord };
}

/** Carries the whole new record (not a diff), so a projection never needs the old one. */
export interface ResourceUpdated {
  type: 'ResourceUpdated';
  data: { accountId: string; resource: ResourceRecord; previous: ResourceRecord };
}

export interface ResourceTransferred {
  type: 'ResourceTransferred';
  data: { accountId: string; resource: ResourceRecord; fromOwner?: string; fromTeam?: string };
}

export interface ResourceDeleted {
  type: 'ResourceDeleted';
  data: { accountId: string; resourceType: string; resourceId: string };
}

export type ResourceEvent = ResourceRegistered | ResourceUpdated | ResourceTransferred | ResourceDeleted;
export const RESOURCE_EVENT_TYPES: readonly ResourceEvent['type'][] = ['ResourceRegistered', 'ResourceUpdated', 'ResourceTransferred', 'ResourceDeleted'];

/** Account and type never contain `/` (see the HTTP patterns), so the name is unambiguous. */
export const resourceStream = (accountId: string, type: string, id: string): string => `resource-${accountId}/${type}/${id}`;

/** `^[a-z][a-z0-9_]{0,63}$`: a catalog resource type. */
export const RESOURCE_TYPE_PATTERN = '^[a-z][a-z0-9_]{0,63}$';
/**
 * Printable ASCII without `/`, `?`, `#`, `%` or spaces: ids travel in URL paths, and
 * lookups page through them in byte order, which ASCII makes the same in every adapter.
 */
export const RESOURCE_ID_PATTERN = '^[A-Za-z0-9_.:@=+~-]{1,128}$';

export type ResourceState = { status: 'none' } | { status: 'registered'; record: ResourceRecord } | { status: 'deleted'; record: ResourceRecord };

export const initialResourceState = (): ResourceState => ({ status: 'none' });

export function evolveResource(state: ResourceState, event: ResourceEvent): ResourceState {
  switch (event.type) {
    case 'ResourceRegistered':
    case 'ResourceUpdated':
    case 'ResourceTransferred':
      return { status: 'registered', record: event.data.resource };
    case 'ResourceDeleted':
      return state.status === 'registered' ? { status: 'deleted', record: state.record } : state;
    default: {
      const never: never = event;
      return never;
    }
  }
}

/** PUT: register, or replace owner, team and tags of a registered resource. */
export interface PutResource {
  type: 'PutResource';
  resource: ResourceRecord;
}

/** A change of owner (and optionally team), recorded as such for the audit log. */
export interface TransferResource {
  type: 'TransferResource';
  resourceType: string;
  resourceId: string;
  owner: string;
  /** Omitted: the team stays; null: the resource leaves its team. */
  team?: string | null;
}

export interface DeleteResource {
  type: 'DeleteResource';
  resourceType: string;
  resourceId: string;
}

export type ResourceCommand = PutResource | TransferResource | DeleteResource;

export interface ResourceContext {
  actor: Actor;
  now: Date;
}

/**
 * decide(command, resource, account) → events. Who may write a resource is decided by
 * the account's own vocabulary: `<type>:create` to register, `<type>:update` to change
 * or transfer (on the resource as it is AND as it will be, so nobody can write
 * themselves into access they lack), `<type>:delete` to delete; or the account's
 * `resources.manage` operation, for administrators and automation.
 */
export function decideResource(command: ResourceCommand, state: ResourceState, account: AccountState, ctx: ResourceContext): ResourceEvent[] {
  if (account.status === 'none') throw errors.notFound('ACCOUNT.NOT_FOUND', 'the account does not exist');
  if (account.status === 'deleted') throw errors.conflict('ACCOUNT.DELETED', 'the account has been deleted');
  const active = account as ExistingAccount & { status: 'active' };
  switch (command.type) {
    case 'PutResource': {
      const next = normalize(command.resource);
      validateRecord(active, next);
      if (state.status !== 'registered') {
        authorizeWrite(active, ctx, 'create', [next]);
        return [{ type: 'ResourceRegistered', data: { accountId: active.id, resource: next } }];
      }
      authorizeWrite(active, ctx, 'update', [state.record, next]);
      if (sameRecord(state.record, next)) return [];
      return [{ type: 'ResourceUpdated', data: { accountId: active.id, resource: next, previous: state.record } }];
    }
    case 'TransferResource': {
      const current = requireRegistered(state, command.resourceType, command.resourceId);
      const next = normalize({
        ...current,
        owner: command.owner,
        team: command.team === undefined ? current.team : (command.team ?? undefined),
      });
      validateRecord(active, next);
      authorizeWrite(active, ctx, 'update', [current, next]);
      if (sameRecord(current, next)) return [];
      return [
        {
          type: 'ResourceTransferred',
          data: {
            accountId: active.id,
            resource: next,
            ...(current.owner !== undefined ? { fromOwner: current.owner } : {}),
            ...(current.team !== undefined ? { fromTeam: current.team } : {}),
          },
        },
      ];
    }
    case 'DeleteResource': {
      const current = requireRegistered(state, command.resourceType, command.resourceId);
      authorizeWrite(active, ctx, 'delete', [current]);
      return [{ type: 'ResourceDeleted', data: { accountId: active.id, resourceType: current.type, resourceId: current.id } }];
    }
    default: {
      const never: never = command;
      return never;
    }
  }
}

function requireRegistered(state: ResourceState, type: string, id: string): ResourceRecord {
  if (state.status !== 'registered') {
    throw errors.notFound('RESOURCE.NOT_FOUND', `resource ${type}/${id} is not registered in this account`, { resourceType: type, resourceId: id });
  }
  return state.record;
}

/** Sorted tag values without duplicates and without empty dimensions: one spelling per record. */
function normalize(r: ResourceRecord): ResourceRecord {
  const tags: Record<string, string[]> = {};
  for (const dimension of Object.keys(r.tags ?? {}).sort()) {
    const values = [...new Set(r.tags[dimension])].sort();
    if (values.length > 0) tags[dimension] = values;
  }
  return {
    type: r.type,
    id: r.id,
    ...(r.owner !== undefined ? { owner: r.owner } : {}),
    ...(r.team !== undefined ? { team: r.team } : {}),
    tags,
  };
}

function sameRecord(a: ResourceRecord, b: ResourceRecord): boolean {
  return a.owner === b.owner && a.team === b.team && JSON.stringify(a.tags) === JSON.stringify(b.tags);
}

function validateRecord(account: ExistingAccount, r: ResourceRecord): void {
  if (!new RegExp(RESOURCE_TYPE_PATTERN).test(r.type) || !new RegExp(RESOURCE_ID_PATTERN).test(r.id)) {
    throw errors.validation('RESOURCE.INVALID', `"${r.type}/${r.id}" is not a valid resource type and id`);
  }
  if (!(r.type in account.model.catalog.resourceTypes)) {
    throw errors.validation('RESOURCE.UNKNOWN_TYPE', `resource type "${r.type}" is not in this account's catalog`, {
      resourceType: r.type,
      known: Object.keys(account.model.catalog.resourceTypes),
    });
  }
  if (r.owner !== undefined) {
    const known = ['user', 'service_account'].some((type) => account.members.has(principalKey({ type: type as 'user', id: r.owner! })));
    if (!known) throw errors.notFound('RESOURCE.OWNER_NOT_FOUND', `owner ${r.owner} is not a principal of this account`, { owner: r.owner });
  }
  if (r.team !== undefined && !account.teams.has(r.team)) {
    throw errors.notFound('TEAM.NOT_FOUND', `team "${r.team}" does not exist in this account`, { team: r.team });
  }
}

/**
 * Allowed when the actor may do the operation `resources.manage`, or holds
 * `<type>:<verb>` on every given version of the resource (when the catalog knows the verb).
 */
function authorizeWrite(account: ExistingAccount & { status: 'active' }, ctx: ResourceContext, verb: 'create' | 'update' | 'delete', versions: ResourceRecord[]): void {
  const { actor } = ctx;
  if (actor.kind === 'root') return;
  const type = versions[0].type;
  const action = `${type}:${verb}`;
  if (actor.kind === 'principal' && (account.model.catalog.resourceTypes[type] ?? []).includes(verb)) {
    const view = subjectViewOf(account, actor.principal);
    if (actor.restriction) view.key = { id: actor.keyId ?? 'unknown', status: 'active', restriction: actor.restriction };
    const denied = versions.map((v) => evaluate(view, { action, resource: attributesOf(v) }, ctx.now.getTime())).find((d) => !d.allowed);
    if (!denied) return;
    // Fall through to resources.manage; if that fails too, report the resource-level reason.
    try {
      authorize(account, actor, 'resources.manage', attributesOf(versions[0]), ctx.now);
      return;
    } catch (error) {
      if (error instanceof DomainError && error.category === 'forbidden') throw errors.forbidden(action, denied.reason);
      throw error;
    }
  }
  authorize(account, actor, 'resources.manage', attributesOf(versions[0]), ctx.now);
}

export const attributesOf = (r: ResourceRecord): ResourceAttributes => ({
  type: r.type,
  id: r.id,
  ...(r.owner !== undefined ? { owner: r.owner } : {}),
  ...(r.team !== undefined ? { team: r.team } : {}),
  tags: r.tags,
});

/**
 * The registered resource a check names by id (issue 5), when it leaves an attribute to
 * the registry: owner, team or tags not given inline. Its type is the one given, else the
 * action's. A check that gives everything inline needs no registry read. The live check
 * reads the record from the cache, a check as of the past folds its stream up to then.
 */
export function registeredTarget(action: string, resource: ResourceAttributes | undefined): { type: string; id: string } | null {
  if (!resource || resource.id === undefined || (resource.owner !== undefined && resource.team !== undefined && resource.tags !== undefined)) return null;
  const sep = action.indexOf(':');
  const type = resource.type ?? (sep > 0 ? action.slice(0, sep) : undefined);
  return type === undefined ? null : { type, id: resource.id };
}

/**
 * What a check evaluates: the registered record with the request's inline attributes
 * laid over it (an inline field wins; the id and type always come from the request).
 */
export function mergeResource(registered: ResourceRecord | null, inline: ResourceAttributes): ResourceAttributes {
  if (!registered) return inline;
  const base = attributesOf(registered);
  return {
    ...base,
    ...inline,
    tags: inline.tags ?? base.tags,
  };
}
