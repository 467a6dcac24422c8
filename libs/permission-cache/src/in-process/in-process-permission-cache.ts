import { AccountRecord, CompiledRole, HeldRoles, holdRoleAlone, holdRoles, MemberStatus, PrincipalRecord, principalKey, PrincipalRef, SubjectView } from '@gatehouse/domain';
import { patchPrincipal } from '../apply-op';
import { CachedKey, CachedSubject, CacheOp, PermissionCache, ResourceRef, SubjectRef, SubjectsRead } from '../permission-cache.port';
import { InProcessLookups } from '../lookups/in-process-lookups';
import { CandidateSet, isLookupOp, PrincipalPage, ResourcePage } from '../lookups/lookups.port';
import { ResourceRecord } from '@gatehouse/domain';

interface AccountEntry {
  record: AccountRecord;
  /** Bumped by every role change: views and role sets compiled before it are stale. */
  rolesVersion: number;
  roles: Map<string, CompiledRole>;
  principals: Map<string, PrincipalRecord>;
  /**
   * The view a check reads, per principal, by type then id: a check finds it with one
   * lookup, without building `type:id`, and reads nothing else of the cache.
   */
  users: Map<string, PrincipalView>;
  serviceAccounts: Map<string, PrincipalView>;
  /**
   * Compiled roles per distinct role list (JSON of the names), shared by every principal
   * holding that list: many users hold the same roles. Cleared by every role change.
   */
  roleSets: Map<string, HeldRoles>;
  keys: Map<string, CachedKey>;
}

/**
 * A principal's view, memoized: replaced (never changed) when the principal changes, and
 * rebuilt on the next read once the account's record or roles have moved on. Its compiled
 * roles and what they were compiled from are private fields: views still compare and
 * serialize as the plain data they carry, and a spread copy merely compiles again.
 */
class PrincipalView implements SubjectView {
  readonly account: AccountRecord;
  readonly principal: PrincipalRecord;
  readonly roles: Record<string, CompiledRole | undefined>;
  readonly #held: HeldRoles;
  /** The account's rolesVersion `held` was compiled at (-1: not yet compiled). */
  readonly #rolesVersion: number;

  constructor(account: AccountRecord, principal: PrincipalRecord, held: HeldRoles, rolesVersion: number) {
    this.account = account;
    this.principal = principal;
    this.roles = held.byName;
    this.#held = held;
    this.#rolesVersion = rolesVersion;
  }

  get held(): HeldRoles {
    return this.#held;
  }

  /** Whether it reflects this account record and roles version. */
  current(entry: AccountEntry): boolean {
    return this.#rolesVersion === entry.rolesVersion && this.account === entry.record;
  }
}

/** The view of a principal as seen through one of its API keys. */
class KeyView implements SubjectView {
  readonly account: AccountRecord;
  readonly principal: PrincipalRecord;
  readonly roles: Record<string, CompiledRole | undefined>;
  readonly key: CachedKey;
  readonly #held: HeldRoles;

  constructor(owner: PrincipalView, key: CachedKey) {
    this.account = owner.account;
    this.principal = owner.principal;
    this.roles = owner.roles;
    this.key = key;
    this.#held = owner.held;
  }

  get held(): HeldRoles {
    return this.#held;
  }
}

/** Distinct role lists remembered per account before the memo starts over (bounds churn). */
const MAX_ROLE_SETS = 65_536;
const NOT_COMPILED: HeldRoles = { list: [], byName: {}, tables: [], plans: null, plansEpoch: 0 };

function viewsOf(entry: AccountEntry, type: PrincipalRef['type']): Map<string, PrincipalView> | undefined {
  return type === 'user' ? entry.users : type === 'service_account' ? entry.serviceAccounts : undefined;
}

/**
 * The embedded cache: plain Maps in this process. A check reads it synchronously
 * (zero round trips); `apply` swaps whole records, so a reader never sees half a batch.
 */
export class InProcessPermissionCache implements PermissionCache {
  private accounts = new Map<string, AccountEntry>();
  private keyAccounts = new Map<string, string>();
  private userAccounts = new Map<string, Map<string, MemberStatus>>();
  private readonly keyUse = new Map<string, Map<string, number>>();
  private position: bigint | null = null;
  /** The resource registry and lookup indexes (see lookups/), reading principals and roles from here. */
  private readonly lookups = new InProcessLookups({
    account: (a) => this.accounts.get(a)?.record ?? null,
    principal: (a, key) => this.accounts.get(a)?.principals.get(key),
    role: (a, name) => this.accounts.get(a)?.roles.get(name),
  });

  async apply(position: bigint, ops: CacheOp[]): Promise<boolean> {
    return this.applySync(position, ops);
  }

  /** Synchronous, hence atomic with respect to every reader on the event loop. */
  applySync(position: bigint, ops: CacheOp[]): boolean {
    if (this.position !== null && position <= this.position) return false;
    for (const op of ops) {
      if (isLookupOp(op)) this.lookups.apply(op);
      else this.applyOp(op);
    }
    this.position = position;
    return true;
  }

  async checkpoint(): Promise<bigint | null> {
    return this.position;
  }

  checkpointSync(): bigint | null {
    return this.position;
  }

  async subject(account: string, subject: SubjectRef): Promise<CachedSubject> {
    return this.subjectSync(account, subject);
  }

  // The hot path of embedded checks: one Map lookup finds the principal's memoized view,
  // compiled roles included; only the small answer object is new.
  subjectSync(account: string, subject: SubjectRef): CachedSubject {
    const entry = this.accounts.get(account);
    if ('principal' in subject) {
      const ref = subject.principal;
      const view = entry === undefined ? undefined : this.viewOf(entry, ref.type, ref.id);
      if (view === undefined) return { view: { account: entry?.record ?? null, principal: null, roles: {} }, position: this.position };
      return { view, position: this.position };
    }
    const key = entry?.keys.get(subject.keyId) ?? null;
    const owner = key === null ? undefined : this.viewOf(entry!, key.owner.type, key.owner.id);
    if (owner === undefined) return { view: { account: entry?.record ?? null, principal: null, roles: {}, key }, key, position: this.position };
    return { view: new KeyView(owner, key!), key, position: this.position };
  }

  // Added for the check path (caller, subjects and registered resources in one read): synchronous, so all at one position.
  async subjects(account: string, refs: readonly SubjectRef[], resources: readonly ResourceRef[] = []): Promise<SubjectsRead> {
    return this.subjectsSync(account, refs, resources);
  }

  subjectsSync(account: string, refs: readonly SubjectRef[], resources: readonly ResourceRef[] = []): SubjectsRead {
    return {
      subjects: refs.map((ref) => this.subjectSync(account, ref)),
      resources: resources.map((r) => this.lookups.resource(account, r.type, r.id)),
      position: this.position,
    };
  }

  /** The principal's current view: the memoized one, or a new one when the account's record or roles changed since. */
  private viewOf(entry: AccountEntry, type: PrincipalRef['type'], id: string): PrincipalView | undefined {
    const views = viewsOf(entry, type);
    const view = views?.get(id);
    if (view === undefined || view.current(entry)) return view;
    const fresh = new PrincipalView(entry.record, view.principal, this.heldOf(entry, view.principal.roles), entry.rolesVersion);
    views!.set(id, fresh);
    return fresh;
  }

  /** The roles compiled, shared by every principal holding the same list (see `roleSets`). */
  private heldOf(entry: AccountEntry, names: string[]): HeldRoles {
    // Most principals hold one role: its compiled list lives with the role itself.
    const only = names.length === 1 ? entry.roles.get(names[0]) : undefined;
    if (only !== undefined) return holdRoleAlone(only);
    const setKey = JSON.stringify(names);
    let held = entry.roleSets.get(setKey);
    if (held === undefined) {
      if (entry.roleSets.size >= MAX_ROLE_SETS) entry.roleSets.clear();
      held = holdRoles(names, (name) => entry.roles.get(name));
      entry.roleSets.set(setKey, held);
    }
    return held;
  }

  async accountOfKey(keyId: string): Promise<string | null> {
    return this.keyAccounts.get(keyId) ?? null;
  }

  async keys(account: string): Promise<CachedKey[]> {
    return [...(this.accounts.get(account)?.keys.values() ?? [])];
  }

  async accountsOfUser(userId: string): Promise<{ account: string; status: MemberStatus }[]> {
    return [...(this.userAccounts.get(userId) ?? new Map<string, MemberStatus>())].map(([account, status]) => ({ account, status }));
  }

  async recordKeyUse(account: string, uses: Record<string, number>): Promise<void> {
    let map = this.keyUse.get(account);
    if (!map) this.keyUse.set(account, (map = new Map()));
    for (const [keyId, at] of Object.entries(uses)) map.set(keyId, Math.max(at, map.get(keyId) ?? 0));
  }

  async keyUses(account: string): Promise<Record<string, number>> {
    return Object.fromEntries(this.keyUse.get(account) ?? []);
  }

  async clear(): Promise<void> {
    this.accounts = new Map();
    this.keyAccounts = new Map();
    this.userAccounts = new Map();
    this.lookups.clear();
    this.position = null;
  }

  async ping(): Promise<void> {}

  async resource(account: string, type: string, id: string): Promise<ResourceRecord | null> {
    return this.lookups.resource(account, type, id);
  }

  async resourceCandidates(account: string, type: string, sets: CandidateSet[], after: string | null, limit: number): Promise<ResourcePage> {
    return this.lookups.resourceCandidates(account, type, sets, after, limit, this.position);
  }

  async principalCandidates(account: string, after: string | null, limit: number): Promise<PrincipalPage> {
    return this.lookups.principalCandidates(account, after, limit, this.position);
  }

  async close(): Promise<void> {}

  private entry(account: string): AccountEntry {
    let e = this.accounts.get(account);
    if (!e) {
      e = {
        record: { status: 'active', scopeDimensions: {} },
        rolesVersion: 0,
        roles: new Map(),
        principals: new Map(),
        users: new Map(),
        serviceAccounts: new Map(),
        roleSets: new Map(),
        keys: new Map(),
      };
      this.accounts.set(account, e);
    }
    return e;
  }

  /** Records are replaced, never mutated: the principal's view is dropped with the old one, compiled on next read. */
  private putPrincipal(e: AccountEntry, key: string, record: PrincipalRecord): void {
    e.principals.set(key, record);
    viewsOf(e, record.type)?.set(record.id, new PrincipalView(e.record, record, NOT_COMPILED, -1));
  }

  private applyOp(op: Exclude<CacheOp, { op: 'resource.put' | 'resource.delete' }>): void {
    switch (op.op) {
      case 'account.put':
        this.entry(op.account).record = op.record;
        return;
      case 'account.patch': {
        const e = this.entry(op.account);
        e.record = { ...e.record, status: op.status };
        return;
      }
      case 'role.put': {
        const e = this.entry(op.account);
        e.roles.set(op.role.name, op.role);
        e.rolesVersion++;
        e.roleSets.clear();
        return;
      }
      case 'role.delete': {
        const e = this.entry(op.account);
        e.roles.delete(op.name);
        e.rolesVersion++;
        e.roleSets.clear();
        return;
      }
      case 'principal.put':
        this.putPrincipal(this.entry(op.account), principalKey(op.principal), op.principal);
        this.lookups.applyPrincipalPut(op.account, op.principal);
        return;
      case 'principal.patch': {
        const e = this.entry(op.account);
        const current = e.principals.get(op.key);
        if (current) this.putPrincipal(e, op.key, patchPrincipal(current, op));
        return;
      }
      case 'key.put':
        this.entry(op.account).keys.set(op.key.id, op.key);
        this.keyAccounts.set(op.key.id, op.account);
        return;
      case 'membership.put': {
        this.entry(op.account);
        let map = this.userAccounts.get(op.userId);
        if (!map) this.userAccounts.set(op.userId, (map = new Map()));
        map.set(op.account, op.status);
        return;
      }
      case 'key.patch': {
        const e = this.entry(op.account);
        const current = e.keys.get(op.keyId);
        if (current) e.keys.set(op.keyId, { ...current, status: op.status });
        return;
      }
      default: {
        const never: never = op;
        throw new Error(`unknown cache op ${JSON.stringify(never)}`);
      }
    }
  }
}
