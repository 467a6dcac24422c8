import { CompiledRole, compileRole } from '../access/compiled-role';
import { AccountRecord, MemberStatus, PrincipalRecord, SubjectView } from '../access/evaluator';
import { AccessModel, PrincipalRef, principalKey, RoleDefinition } from '../access/model';
import { AccountEvent } from './account.events';

export interface Member {
  type: 'user' | 'service_account';
  id: string;
  email?: string;
  status: MemberStatus;
  roles: string[];
  teams: string[];
  invitation?: { id: string; secretHash: string; expiresAt: string };
  /** Service accounts have a name; users may have a display name. */
  name?: string;
  displayName?: string;
  /** Bumped each time the same principal joins again; keys remember the one they were minted for. */
  generation: number;
}

export interface InviteLink {
  id: string;
  roles: string[];
  secretHash: string;
  expiresAt: string;
  maxUses?: number;
  uses: number;
  revoked: boolean;
}

export interface ExistingAccount {
  id: string;
  model: AccessModel;
  roles: Map<string, RoleDefinition>;
  compiledRoles: Map<string, CompiledRole>;
  /** By principal key (`user:<id>`). Removed members stay, with status `removed`. */
  members: Map<string, Member>;
  /** Lower-cased email → user id, for members not removed. */
  emails: Map<string, string>;
  teams: Set<string>;
  /** Open invitation id → principal key. */
  invitations: Map<string, string>;
  links: Map<string, InviteLink>;
}

/** Tagged by status so that a command on a missing or deleted account is a compile-checked case. */
export type AccountState =
  | { status: 'none' }
  | ({ status: 'active' } & ExistingAccount)
  | ({ status: 'deleted' } & ExistingAccount);

export const initialAccountState = (): AccountState => ({ status: 'none' });

export function evolveAccount(state: AccountState, event: AccountEvent): AccountState {
  if (event.type === 'AccountCreated') {
    const { model, accountId } = event.data;
    const roles = new Map(model.roles.map((r) => [r.name, r]));
    return {
      status: 'active',
      id: accountId,
      model,
      roles,
      compiledRoles: new Map(model.roles.map((r) => [r.name, compileRole(r)])),
      members: new Map(),
      emails: new Map(),
      teams: new Set(model.teams ?? []),
      invitations: new Map(),
      links: new Map(),
    };
  }
  if (state.status === 'none') return state; // events before creation cannot exist; ignore defensively
  // Evolve mutates a state this fold owns: folding 100k events by copying Maps would be quadratic.
  switch (event.type) {
    case 'UserAdded':
    case 'UserInvited': {
      const { userId, email, roles } = event.data;
      const key = principalKey({ type: 'user', id: userId });
      state.members.set(key, {
        type: 'user',
        id: userId,
        email,
        status: event.type === 'UserAdded' ? 'active' : 'invited',
        roles: [...roles],
        teams: [...(event.data.teams ?? [])],
        invitation: event.type === 'UserInvited' ? event.data.invitation : undefined,
        generation: event.data.generation ?? 1,
      });
      state.emails.set(email.toLowerCase(), userId);
      if (event.type === 'UserInvited') state.invitations.set(event.data.invitation.id, key);
      if (event.type === 'UserAdded' && event.data.linkId) {
        const link = state.links.get(event.data.linkId);
        if (link) link.uses++;
      }
      return state;
    }
    case 'InvitationAccepted': {
      const m = state.members.get(principalKey({ type: 'user', id: event.data.userId }));
      if (m) {
        m.status = 'active';
        m.invitation = undefined;
      }
      state.invitations.delete(event.data.invitationId);
      return state;
    }
    case 'RoleAssigned': {
      const m = state.members.get(principalKey(event.data.principal));
      if (m && !m.roles.includes(event.data.role)) m.roles.push(event.data.role);
      return state;
    }
    case 'RoleUnassigned': {
      const m = state.members.get(principalKey(event.data.principal));
      if (m) m.roles = m.roles.filter((r) => r !== event.data.role);
      return state;
    }
    case 'UserRemoved': {
      const m = state.members.get(principalKey({ type: 'user', id: event.data.userId }));
      if (m) {
        m.status = 'removed';
        m.roles = [];
        m.teams = [];
        if (m.email) state.emails.delete(m.email.toLowerCase());
        if (m.invitation) state.invitations.delete(m.invitation.id);
        m.invitation = undefined;
      }
      return state;
    }
    case 'RoleCreated':
    case 'RoleUpdated':
      state.roles.set(event.data.role.name, event.data.role);
      state.compiledRoles.set(event.data.role.name, compileRole(event.data.role));
      return state;
    case 'RoleDeleted':
      state.roles.delete(event.data.name);
      state.compiledRoles.delete(event.data.name);
      return state;
    case 'CatalogExtended':
      state.model = { ...state.model, catalog: event.data.catalog };
      return state;
    case 'TeamCreated':
      state.teams.add(event.data.team);
      return state;
    case 'TeamDeleted':
      state.teams.delete(event.data.team);
      return state;
    case 'TeamMemberAdded': {
      const m = state.members.get(principalKey(event.data.principal));
      if (m && !m.teams.includes(event.data.team)) m.teams.push(event.data.team);
      return state;
    }
    case 'TeamMemberRemoved': {
      const m = state.members.get(principalKey(event.data.principal));
      if (m) m.teams = m.teams.filter((t) => t !== event.data.team);
      return state;
    }
    case 'UserDeactivated':
    case 'UserReactivated': {
      const m = state.members.get(principalKey({ type: 'user', id: event.data.userId }));
      if (m) m.status = event.type === 'UserDeactivated' ? 'deactivated' : 'active';
      return state;
    }
    case 'UserProfileUpdated': {
      const m = state.members.get(principalKey({ type: 'user', id: event.data.userId }));
      if (m) m.displayName = event.data.displayName;
      return state;
    }
    case 'InviteLinkCreated': {
      const { linkId, roles, secretHash, expiresAt, maxUses } = event.data;
      state.links.set(linkId, { id: linkId, roles, secretHash, expiresAt, ...(maxUses !== undefined ? { maxUses } : {}), uses: 0, revoked: false });
      return state;
    }
    case 'InviteLinkRevoked': {
      const link = state.links.get(event.data.linkId);
      if (link) link.revoked = true;
      return state;
    }
    case 'ServiceAccountCreated': {
      const { serviceAccountId: id, name, roles, generation } = event.data;
      state.members.set(principalKey({ type: 'service_account', id }), {
        type: 'service_account',
        id,
        name,
        status: 'active',
        roles: [...roles],
        teams: [],
        generation: generation ?? 1,
      });
      return state;
    }
    case 'ServiceAccountDeleted': {
      const m = state.members.get(principalKey({ type: 'service_account', id: event.data.serviceAccountId }));
      if (m) {
        m.status = 'removed';
        m.roles = [];
        m.teams = [];
      }
      return state;
    }
    case 'AccountDeleted':
      // The only change of tag after creation: everything else stays for the audit trail.
      return { ...state, status: 'deleted' };
    case 'AccountDefaultsChanged': {
      const { defaultRole, defaultTeam } = event.data;
      const { defaultTeam: _previous, ...rest } = state.model;
      state.model = { ...rest, defaultRole, ...(defaultTeam !== undefined ? { defaultTeam } : {}) };
      return state;
    }
    default:
      return assertNever(event);
  }
}

export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}

export function accountRecord(state: ExistingAccount & { status: 'active' | 'deleted' }): AccountRecord {
  return { status: state.status, scopeDimensions: state.model.catalog.scopeDimensions };
}

export function principalRecord(m: Member): PrincipalRecord {
  return { type: m.type, id: m.id, status: m.status, roles: m.roles, teams: m.teams, generation: m.generation };
}

/** What the evaluator needs about one principal, straight from the authoritative state. */
export function subjectViewOf(state: AccountState, principal: PrincipalRef): SubjectView {
  if (state.status === 'none') return { account: null, principal: null, roles: {} };
  const member = state.members.get(principalKey(principal));
  const roles: Record<string, CompiledRole | undefined> = {};
  for (const r of member?.roles ?? []) roles[r] = state.compiledRoles.get(r);
  return { account: accountRecord(state), principal: member ? principalRecord(member) : null, roles };
}

export function isActiveAdmin(state: ExistingAccount, m: Member): boolean {
  return m.status === 'active' && m.roles.some((r) => state.model.adminRoles.includes(r));
}

/** Entries of one collection per snapshot part: one part is serialized or parsed in a few ms. */
export const SNAPSHOT_PART_ENTRIES = 2000;

type SnapshotHead = { status: 'none' } | { status: 'active' | 'deleted'; id: string; model: ExistingAccount['model']; teams: string[]; links: InviteLink[] };
type SnapshotSlice = ['roles', RoleDefinition[]] | ['members', Member[]] | ['emails', [string, string][]] | ['invitations', [string, string][]];

/**
 * A plain-JSON copy of an account's state, for snapshots (folding from a snapshot instead
 * of from the first event keeps as-of answers cheap however old the account), as a
 * sequence of parts made one at a time: first the account without its large
 * collections, then slices of at most `perPart` roles, members, emails or invitations.
 * An account of 100,000 users is a 20 MB snapshot, about 0.1-0.2 s of JSON.stringify in
 * one piece: made in parts, its maker can let other work run between them. The state
 * must not change until the last part is made.
 */
export function* accountSnapshotParts(state: AccountState, perPart = SNAPSHOT_PART_ENTRIES): Generator<string> {
  if (state.status === 'none') {
    yield JSON.stringify({ status: 'none' } satisfies SnapshotHead);
    return;
  }
  yield JSON.stringify({ status: state.status, id: state.id, model: state.model, teams: [...state.teams], links: [...state.links.values()] } satisfies SnapshotHead);
  yield* slices('roles', state.roles.values(), perPart);
  yield* slices('members', state.members.values(), perPart);
  yield* slices('emails', state.emails.entries(), perPart);
  yield* slices('invitations', state.invitations.entries(), perPart);
}

function* slices(name: SnapshotSlice[0], entries: Iterable<unknown>, perPart: number): Generator<string> {
  let batch: unknown[] = [];
  for (const entry of entries) {
    batch.push(entry);
    if (batch.length >= perPart) {
      yield JSON.stringify([name, batch]);
      batch = [];
    }
  }
  if (batch.length > 0) yield JSON.stringify([name, batch]);
}

/** Reads snapshot parts, in order, one at a time (its caller may let other work run between them); `state()` once all are read. */
export interface AccountSnapshotReader {
  read(part: string): void;
  state(): AccountState;
}

export function accountSnapshotReader(): AccountSnapshotReader {
  let head: SnapshotHead | null = null;
  const roles: RoleDefinition[] = [];
  const members: Member[] = [];
  const emails: [string, string][] = [];
  const invitations: [string, string][] = [];
  return {
    read(part) {
      if (head === null) {
        head = JSON.parse(part) as SnapshotHead;
        return;
      }
      const [name, items] = JSON.parse(part) as SnapshotSlice;
      const into: unknown[] = name === 'roles' ? roles : name === 'members' ? members : name === 'emails' ? emails : invitations;
      for (const item of items) into.push(item);
    },
    state() {
      const h = head as SnapshotHead | null;
      if (h === null) throw new Error('an account snapshot has at least one part');
      if (h.status === 'none') return { status: 'none' };
      return {
        status: h.status,
        id: h.id,
        model: h.model,
        roles: new Map(roles.map((r) => [r.name, r])),
        compiledRoles: new Map(roles.map((r) => [r.name, compileRole(r)])),
        members: new Map(members.map((m) => [principalKey({ type: m.type, id: m.id }), m])),
        emails: new Map(emails),
        teams: new Set(h.teams),
        invitations: new Map(invitations),
        links: new Map(h.links.map((l) => [l.id, l])),
      };
    },
  };
}

/** The whole snapshot as one string, its parts one per line (JSON has no raw newline). */
export function accountToSnapshot(state: AccountState): string {
  return [...accountSnapshotParts(state)].join('\n');
}

export function accountFromSnapshot(snapshot: string): AccountState {
  const reader = accountSnapshotReader();
  for (const part of snapshot.split('\n')) reader.read(part);
  return reader.state();
}
