import { RecordedEvent } from '@gatehouse/event-store';
import { compileRole, GatehouseEvent, MemberStatus, principalKey } from '@gatehouse/domain';
import { patchPrincipal } from './apply-op';
import { CacheOp } from './permission-cache.port';

/**
 * Event → cache operations. Pure and stateless: each event carries what its
 * operations need, so replaying the stream from any checkpoint yields the same cache.
 */
export function projectEvent(recorded: Pick<RecordedEvent, 'type' | 'data'>): CacheOp[] {
  const event = { type: recorded.type, data: recorded.data } as GatehouseEvent;
  switch (event.type) {
    case 'AccountCreated': {
      const { accountId: account, model } = event.data;
      return [
        { op: 'account.put', account, record: { status: 'active', scopeDimensions: model.catalog.scopeDimensions } },
        ...model.roles.map((r): CacheOp => ({ op: 'role.put', account, role: compileRole(r) })),
      ];
    }
    case 'UserAdded':
    case 'UserInvited':
      return [
        membership(event.data.accountId, event.data.userId, event.type === 'UserAdded' ? 'active' : 'invited'),
        {
          op: 'principal.put',
          account: event.data.accountId,
          principal: {
            type: 'user',
            id: event.data.userId,
            status: event.type === 'UserAdded' ? 'active' : 'invited',
            roles: event.data.roles,
            teams: event.data.teams ?? [],
            ...(event.data.generation !== undefined ? { generation: event.data.generation } : {}),
          },
        },
      ];
    case 'ServiceAccountCreated':
      return [
        {
          op: 'principal.put',
          account: event.data.accountId,
          principal: {
            type: 'service_account',
            id: event.data.serviceAccountId,
            status: 'active',
            roles: event.data.roles,
            teams: [],
            ...(event.data.generation !== undefined ? { generation: event.data.generation } : {}),
          },
        },
      ];
    case 'ServiceAccountDeleted':
      return [
        {
          op: 'principal.patch',
          account: event.data.accountId,
          key: principalKey({ type: 'service_account', id: event.data.serviceAccountId }),
          status: 'removed',
          setRoles: [],
        },
      ];
    case 'UserDeactivated':
      return [
        { op: 'principal.patch', account: event.data.accountId, key: userKey(event.data.userId), status: 'deactivated' },
        membership(event.data.accountId, event.data.userId, 'deactivated'),
      ];
    case 'UserReactivated':
      return [
        { op: 'principal.patch', account: event.data.accountId, key: userKey(event.data.userId), status: 'active' },
        membership(event.data.accountId, event.data.userId, 'active'),
      ];
    case 'AccountDeleted':
      return [{ op: 'account.patch', account: event.data.accountId, status: 'deleted' }];
    case 'InvitationAccepted':
      return [
        { op: 'principal.patch', account: event.data.accountId, key: userKey(event.data.userId), status: 'active' },
        membership(event.data.accountId, event.data.userId, 'active'),
      ];
    case 'RoleAssigned':
      return [{ op: 'principal.patch', account: event.data.accountId, key: principalKey(event.data.principal), addRoles: [event.data.role] }];
    case 'RoleUnassigned':
      return [
        { op: 'principal.patch', account: event.data.accountId, key: principalKey(event.data.principal), removeRoles: [event.data.role] },
      ];
    case 'UserRemoved':
      return [
        { op: 'principal.patch', account: event.data.accountId, key: userKey(event.data.userId), status: 'removed', setRoles: [] },
        membership(event.data.accountId, event.data.userId, 'removed'),
      ];
    case 'ApiKeyCreated': {
      const d = event.data;
      return [
        {
          op: 'key.put',
          account: d.accountId,
          key: {
            id: d.keyId,
            status: 'active',
            owner: d.owner,
            secretHash: d.secretHash,
            ...(d.expiresAt ? { expiresAt: Date.parse(d.expiresAt) } : {}),
            ...(d.restriction ? { restriction: indexRestriction(d.restriction) } : {}),
            ...(d.ownerGeneration !== undefined ? { ownerGeneration: d.ownerGeneration } : {}),
          },
        },
      ];
    }
    case 'ApiKeyRevoked':
      return [{ op: 'key.patch', account: event.data.accountId, keyId: event.data.keyId, status: 'revoked' }];
    case 'RoleCreated':
    case 'RoleUpdated':
      return [{ op: 'role.put', account: event.data.accountId, role: compileRole(event.data.role) }];
    case 'RoleDeleted':
      return [{ op: 'role.delete', account: event.data.accountId, name: event.data.name }];
    case 'CatalogExtended':
      return [
        { op: 'account.put', account: event.data.accountId, record: { status: 'active', scopeDimensions: event.data.catalog.scopeDimensions } },
      ];
    case 'TeamMemberAdded':
      return [{ op: 'principal.patch', account: event.data.accountId, key: principalKey(event.data.principal), addTeams: [event.data.team] }];
    case 'TeamMemberRemoved':
      return [{ op: 'principal.patch', account: event.data.accountId, key: principalKey(event.data.principal), removeTeams: [event.data.team] }];
    case 'TeamCreated':
    case 'TeamDeleted':
    case 'AccountDefaultsChanged':
    case 'UserProfileUpdated':
    case 'InviteLinkCreated':
    case 'InviteLinkRevoked':
    case 'UserIdentityRegistered':
    case 'LoginRecorded':
      // Teams live on principals in the cache; defaults matter only to commands.
      return [];
    case 'ResourceRegistered':
    case 'ResourceUpdated':
    case 'ResourceTransferred':
      return [{ op: 'resource.put', account: event.data.accountId, resource: event.data.resource }];
    case 'ResourceDeleted':
      return [{ op: 'resource.delete', account: event.data.accountId, type: event.data.resourceType, id: event.data.resourceId }];
    default:
      // Events this version does not know (written by a newer one) change nothing here.
      return [];
  }
}

const userKey = (id: string) => principalKey({ type: 'user', id });

const membership = (account: string, userId: string, status: MemberStatus): CacheOp => ({ op: 'membership.put', account, userId, status });

function indexRestriction(grants: { permission: string; condition: 'any' | 'own' | 'team' }[]) {
  return compileRole({ name: 'restriction', grants, scopes: {} }).grants;
}

type PrincipalPatch = Extract<CacheOp, { op: 'principal.patch' }>;

/**
 * The same cache, from fewer operations: what a batch's ops leave behind when applied in
 * order, with every op on one entry (a principal, a key, a role, an account record, a
 * membership) that a later op of the batch overwrites dropped, and successive changes to
 * one entry merged into one. A rebuild replaying thousands of RoleAssigned /
 * RoleUnassigned of the same members then writes each member about once per batch.
 *
 * Exact, never approximate, down to the order of lists and of entries in maps: two
 * principal patches are merged only where the merged patch gives the same record for
 * every possible starting record (see `mergePatches`), and an entry stays where it was
 * first written. Ops of other kinds (the resource registry, any added later) are kept as
 * they are, in place.
 */
export function coalesceOps(ops: readonly CacheOp[]): CacheOp[] {
  // Slots in application order; a dropped op leaves a hole (undefined).
  const slots: (CacheOp | undefined)[] = [];
  /** Entry → the slots of its ops still standing, in order (more than one only for patches that do not merge). */
  const chains = new Map<string, number[]>();
  /** Key id → slot of the last key.put of it, whatever the account (they all write the key → account index). */
  const lastKeyPut = new Map<string, number>();
  for (const op of ops) {
    const entry = entryOf(op);
    if (entry === null) {
      slots.push(op);
      continue;
    }
    let chain = chains.get(entry);
    if (!chain) chains.set(entry, (chain = []));
    const at = chain[chain.length - 1];
    const previous = at === undefined ? undefined : slots[at]!;
    if (previous !== undefined) {
      const merged = merge(previous, op);
      if (merged !== null) {
        // In place: the merged op writes the same entry and nothing else, so no op in between can tell.
        slots[at!] = merged;
        collapse(slots, chain);
        continue;
      }
      if (overwrites(op) && createsEntry(previous) && !(previous.op === 'role.delete' && op.op === 'role.put')) {
        // Where the entry was first written, so that it keeps its place in its map; unless
        // another account's key.put of the same key id came in between (the index's last writer must stay last).
        if (op.op !== 'key.put' || lastKeyPut.get(op.key.id) === at) {
          slots[at!] = op;
          continue;
        }
      } else if (overwrites(op) && chain.every((i) => !createsEntry(slots[i]!))) {
        // Patches of an entry they may not find: the put decides alone, at its own place.
        for (const i of chain) slots[i] = undefined;
        chain.length = 0;
      }
    }
    if (op.op === 'key.put') lastKeyPut.set(op.key.id, slots.length);
    chain.push(slots.length);
    slots.push(op);
  }
  return slots.filter((op): op is CacheOp => op !== undefined);
}

/** Merges the last two ops of an entry's chain for as long as they merge (a patch that could not merge may now). */
function collapse(slots: (CacheOp | undefined)[], chain: number[]): void {
  while (chain.length >= 2) {
    const merged = merge(slots[chain[chain.length - 2]]!, slots[chain[chain.length - 1]]!);
    if (merged === null) return;
    slots[chain[chain.length - 2]] = merged;
    slots[chain.pop()!] = undefined;
  }
}

/** The one entry an op writes (besides creating its account's record with defaults), or null for ops left alone. */
function entryOf(op: CacheOp): string | null {
  switch (op.op) {
    case 'account.put':
    case 'account.patch':
      return `a\u0000${op.account}`;
    case 'role.put':
      return `r\u0000${op.account}\u0000${op.role.name}`;
    case 'role.delete':
      return `r\u0000${op.account}\u0000${op.name}`;
    case 'principal.put':
      return `p\u0000${op.account}\u0000${principalKey(op.principal)}`;
    case 'principal.patch':
      return `p\u0000${op.account}\u0000${op.key}`;
    case 'key.put':
      return `k\u0000${op.account}\u0000${op.key.id}`;
    case 'key.patch':
      return `k\u0000${op.account}\u0000${op.keyId}`;
    case 'membership.put':
      return `m\u0000${op.account}\u0000${op.userId}`;
    default:
      return null;
  }
}

/** Ops that replace their entry whatever it held: an earlier op on the entry no longer matters. */
function overwrites(op: CacheOp): boolean {
  return op.op === 'account.put' || op.op === 'role.put' || op.op === 'role.delete' || op.op === 'principal.put' || op.op === 'key.put' || op.op === 'membership.put';
}

/** Ops after which their entry surely exists (or, for role.delete, surely does not): patches of principals and keys may find nothing. */
const createsEntry = (op: CacheOp) => op.op !== 'principal.patch' && op.op !== 'key.patch';

/** One op with the effect of `a` then `b` on their shared entry, or null when there is none (or none worth it). */
function merge(a: CacheOp, b: CacheOp): CacheOp | null {
  if (a.op === 'principal.put' && b.op === 'principal.patch') return { ...a, principal: patchPrincipal(a.principal, b) };
  if (a.op === 'principal.patch' && b.op === 'principal.patch') return mergePatches(a, b);
  if (a.op === 'key.put' && b.op === 'key.patch') return { ...a, key: { ...a.key, status: b.status } };
  if (a.op === 'key.patch' && b.op === 'key.patch') return b;
  if (a.op === 'account.put' && b.op === 'account.patch') return { ...a, record: { ...a.record, status: b.status } };
  if (a.op === 'account.patch' && b.op === 'account.patch') return b;
  return null;
}

/**
 * `a` then `b` as one patch, when one exists. Patching appends added names missing from
 * the list, then filters the removed ones out. Composing two such steps is again one
 * (adds of both, removes of both) unless `b` adds back a name `a` removed: then the name
 * must move to the end of the list, which no single patch can say. A `setRoles` in
 * either patch makes the roles independent of what came before, so those always merge.
 */
export function mergePatches(a: PrincipalPatch, b: PrincipalPatch): PrincipalPatch | null {
  const aRemovesRoles = a.setRoles === undefined && b.setRoles === undefined && intersects(a.removeRoles, b.addRoles);
  if (aRemovesRoles || intersects(a.removeTeams, b.addTeams)) return null;
  const merged: PrincipalPatch = { op: 'principal.patch', account: a.account, key: a.key };
  const status = b.status ?? a.status;
  if (status !== undefined) merged.status = status;
  if (b.setRoles !== undefined) {
    merged.setRoles = [...b.setRoles];
    if (b.addRoles) merged.addRoles = [...b.addRoles];
    if (b.removeRoles) merged.removeRoles = [...b.removeRoles];
  } else if (a.setRoles !== undefined) {
    // Both steps applied to a list known in full: the result is known in full.
    merged.setRoles = edit(edit([...a.setRoles], a.addRoles, a.removeRoles), b.addRoles, b.removeRoles);
  } else {
    const add = union(a.addRoles, b.addRoles, b.removeRoles);
    const remove = union(a.removeRoles, b.removeRoles);
    if (add) merged.addRoles = add;
    if (remove) merged.removeRoles = remove;
  }
  const addTeams = union(a.addTeams, b.addTeams, b.removeTeams);
  const removeTeams = union(a.removeTeams, b.removeTeams);
  if (addTeams) merged.addTeams = addTeams;
  if (removeTeams) merged.removeTeams = removeTeams;
  return merged;
}

/** `patchPrincipal` on a bare list: append the missing added names, then drop the removed ones. */
function edit(list: string[], add: string[] | undefined, remove: string[] | undefined): string[] {
  for (const x of add ?? []) if (!list.includes(x)) list.push(x);
  return remove ? list.filter((x) => !remove.includes(x)) : list;
}

/** `first` then `second`, each name once, in order, leaving out `except`; undefined when nothing is left. */
function union(first: string[] | undefined, second: string[] | undefined, except?: string[]): string[] | undefined {
  if (!first?.length && !second?.length) return undefined;
  const out: string[] = [];
  for (const x of [...(first ?? []), ...(second ?? [])]) if (!out.includes(x) && !except?.includes(x)) out.push(x);
  return out.length > 0 ? out : undefined;
}

const intersects = (xs: string[] | undefined, ys: string[] | undefined) => !!xs && !!ys && xs.some((x) => ys.includes(x));
