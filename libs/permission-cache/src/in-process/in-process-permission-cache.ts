import { AccountRecord, CompiledRole, PrincipalRecord, principalKey } from '@gatehouse/domain';
import { patchPrincipal } from '../apply-op';
import { CachedKey, CachedSubject, CacheOp, PermissionCache, SubjectRef } from '../permission-cache.port';

interface AccountEntry {
  record: AccountRecord;
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
  private position: bigint | null = null;

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
    const roles: Record<string, CompiledRole | undefined> = {};
    let key: CachedKey | null | undefined;
    let principalRef = 'principal' in subject ? principalKey(subject.principal) : undefined;
    if ('keyId' in subject) {
      key = entry?.keys.get(subject.keyId) ?? null;
      principalRef = key ? principalKey(key.owner) : undefined;
    }
    const principal = (principalRef && entry?.principals.get(principalRef)) || null;
    if (principal && entry) for (const r of principal.roles) roles[r] = entry.roles.get(r);
    return {
      view: { account: entry?.record ?? null, principal, roles, ...(key !== undefined ? { key } : {}) },
      ...(key !== undefined ? { key } : {}),
      position: this.position,
    };
  }

  async accountOfKey(keyId: string): Promise<string | null> {
    return this.keyAccounts.get(keyId) ?? null;
  }

  async clear(): Promise<void> {
    this.accounts = new Map();
    this.keyAccounts = new Map();
    this.position = null;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}

  private entry(account: string): AccountEntry {
    let e = this.accounts.get(account);
    if (!e) {
      e = { record: { status: 'active', scopeDimensions: {} }, roles: new Map(), principals: new Map(), keys: new Map() };
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
      case 'role.put':
        this.entry(op.account).roles.set(op.role.name, op.role);
        return;
      case 'role.delete':
        this.entry(op.account).roles.delete(op.name);
        return;
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
