import { AccountRecord, CompiledRole, GrantIndex, indexSubjectGrants, MemberStatus, PrincipalRecord, principalKey } from '@gatehouse/domain';
import { patchPrincipal } from '../apply-op';
import { CachedKey, CachedSubject, CacheOp, PermissionCache, SubjectRef } from '../permission-cache.port';

interface AccountEntry {
  record: AccountRecord;
  /** Bumped by every role change, invalidating the memoized grant indexes. */
  rolesVersion: number;
  roles: Map<string, CompiledRole>;
  principals: Map<string, PrincipalRecord>;
  keys: Map<string, CachedKey>;
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
  /**
   * Grant indexes of recently checked principals (LRU). Valid while the principal's
   * record object and its account's roles version are unchanged; records are replaced,
   * never mutated, on every change.
   */
  private readonly indexes = new Map<
    string,
    { record: PrincipalRecord; rolesVersion: number; roles: Record<string, CompiledRole | undefined>; index: GrantIndex }
  >();
  private static readonly MAX_INDEXES = 10_000;

  async apply(position: bigint, ops: CacheOp[]): Promise<boolean> {
    return this.applySync(position, ops);
  }

  /** Synchronous, hence atomic with respect to every reader on the event loop. */
  applySync(position: bigint, ops: CacheOp[]): boolean {
    if (this.position !== null && position <= this.position) return false;
    for (const op of ops) this.applyOp(op);
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

  subjectSync(account: string, subject: SubjectRef): CachedSubject {
    const entry = this.accounts.get(account);
    let key: CachedKey | null | undefined;
    let principalRef = 'principal' in subject ? principalKey(subject.principal) : undefined;
    if ('keyId' in subject) {
      key = entry?.keys.get(subject.keyId) ?? null;
      principalRef = key ? principalKey(key.owner) : undefined;
    }
    const principal = (principalRef && entry?.principals.get(principalRef)) || null;
    const { roles, index } = principal && entry ? this.rolesOf(account, entry, principal) : { roles: {}, index: undefined };
    return {
      view: { account: entry?.record ?? null, principal, roles, ...(index ? { index } : {}), ...(key !== undefined ? { key } : {}) },
      ...(key !== undefined ? { key } : {}),
      position: this.position,
    };
  }

  /** The principal's roles and their merged grant index, memoized (see `indexes`). */
  private rolesOf(account: string, entry: AccountEntry, principal: PrincipalRecord) {
    const memoKey = `${account}\u0000${principal.type}:${principal.id}`;
    const memo = this.indexes.get(memoKey);
    if (memo && memo.record === principal && memo.rolesVersion === entry.rolesVersion) return memo;
    const roles: Record<string, CompiledRole | undefined> = {};
    for (const r of principal.roles) roles[r] = entry.roles.get(r);
    const fresh = { record: principal, rolesVersion: entry.rolesVersion, roles, index: indexSubjectGrants(principal, roles) };
    this.indexes.delete(memoKey);
    this.indexes.set(memoKey, fresh);
    if (this.indexes.size > InProcessPermissionCache.MAX_INDEXES) this.indexes.delete(this.indexes.keys().next().value as string);
    return fresh;
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
    this.indexes.clear();
    this.position = null;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}

  private entry(account: string): AccountEntry {
    let e = this.accounts.get(account);
    if (!e) {
      e = { record: { status: 'active', scopeDimensions: {} }, rolesVersion: 0, roles: new Map(), principals: new Map(), keys: new Map() };
      this.accounts.set(account, e);
    }
    return e;
  }

  private applyOp(op: CacheOp): void {
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
        return;
      }
      case 'role.delete': {
        const e = this.entry(op.account);
        e.roles.delete(op.name);
        e.rolesVersion++;
        return;
      }
      case 'principal.put':
        this.entry(op.account).principals.set(principalKey(op.principal), op.principal);
        return;
      case 'principal.patch': {
        const e = this.entry(op.account);
        const current = e.principals.get(op.key);
        if (current) e.principals.set(op.key, patchPrincipal(current, op));
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
