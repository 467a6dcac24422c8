import { AccountRecord, CompiledRole, PrincipalRecord, principalKey, ResourceRecord } from '@gatehouse/domain';
import { CandidateSet, LookupOp, PrincipalPage, ResourcePage } from './lookups.port';
import { mergeSorted, SortedStringSet } from './sorted-set';

interface TypeEntry {
  records: Map<string, ResourceRecord>;
  all: SortedStringSet;
  byOwner: Map<string, SortedStringSet>;
  byTeam: Map<string, SortedStringSet>;
}

/** What the in-process cache lends its lookup indexes: its own account records, read live. */
export interface InProcessAccountView {
  account(account: string): AccountRecord | null;
  principal(account: string, key: string): PrincipalRecord | undefined;
  role(account: string, name: string): CompiledRole | undefined;
}

/**
 * The registry and lookup indexes of the in-process cache. Applied inside the cache's
 * synchronous `apply`, so a reader never sees a resource without its index entries.
 */
export class InProcessLookups {
  private resources = new Map<string, Map<string, TypeEntry>>();
  private principals = new Map<string, SortedStringSet>();

  constructor(private readonly view: InProcessAccountView) {}

  /** Also indexes principals as they are put (the cache keeps their records). */
  applyPrincipalPut(account: string, principal: PrincipalRecord): void {
    let set = this.principals.get(account);
    if (!set) this.principals.set(account, (set = new SortedStringSet()));
    set.add(principalKey(principal));
  }

  apply(op: LookupOp): void {
    if (op.op === 'resource.put') {
      const entry = this.typeEntry(op.account, op.resource.type);
      this.unindex(entry, entry.records.get(op.resource.id));
      entry.records.set(op.resource.id, op.resource);
      entry.all.add(op.resource.id);
      if (op.resource.owner !== undefined) setOf(entry.byOwner, op.resource.owner).add(op.resource.id);
      if (op.resource.team !== undefined) setOf(entry.byTeam, op.resource.team).add(op.resource.id);
      return;
    }
    const entry = this.resources.get(op.account)?.get(op.type);
    if (!entry) return;
    this.unindex(entry, entry.records.get(op.id));
    entry.records.delete(op.id);
  }

  clear(): void {
    this.resources = new Map();
    this.principals = new Map();
  }

  resource(account: string, type: string, id: string): ResourceRecord | null {
    return this.resources.get(account)?.get(type)?.records.get(id) ?? null;
  }

  resourceCandidates(account: string, type: string, sets: CandidateSet[], after: string | null, limit: number, position: bigint | null): ResourcePage {
    const entry = this.resources.get(account)?.get(type);
    if (!entry || sets.length === 0) return { resources: [], position };
    const lists = sets.map((s) => {
      const set = s.kind === 'all' ? entry.all : s.kind === 'owner' ? entry.byOwner.get(s.owner) : entry.byTeam.get(s.team);
      return set ? set.after(after, limit) : [];
    });
    return { resources: mergeSorted(lists, limit).map((id) => entry.records.get(id)!), position };
  }

  principalCandidates(account: string, after: string | null, limit: number, position: bigint | null): PrincipalPage {
    const keys = this.principals.get(account)?.after(after, limit) ?? [];
    const principals: PrincipalRecord[] = [];
    const roles: Record<string, CompiledRole | undefined> = {};
    for (const key of keys) {
      const p = this.view.principal(account, key);
      if (!p) continue;
      principals.push(p);
      for (const r of p.roles) if (!(r in roles)) roles[r] = this.view.role(account, r);
    }
    return { account: this.view.account(account), principals, roles, position };
  }

  private typeEntry(account: string, type: string): TypeEntry {
    let types = this.resources.get(account);
    if (!types) this.resources.set(account, (types = new Map()));
    let entry = types.get(type);
    if (!entry) types.set(type, (entry = { records: new Map(), all: new SortedStringSet(), byOwner: new Map(), byTeam: new Map() }));
    return entry;
  }

  private unindex(entry: TypeEntry, old: ResourceRecord | undefined): void {
    if (!old) return;
    entry.all.delete(old.id);
    if (old.owner !== undefined) entry.byOwner.get(old.owner)?.delete(old.id);
    if (old.team !== undefined) entry.byTeam.get(old.team)?.delete(old.id);
  }
}

function setOf(map: Map<string, SortedStringSet>, key: string): SortedStringSet {
  let set = map.get(key);
  if (!set) map.set(key, (set = new SortedStringSet()));
  return set;
}
