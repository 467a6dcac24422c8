import fc from 'fast-check';
import { AccountRecord, CompiledRole, compileRole, MemberStatus, PrincipalRecord, principalKey } from '@gatehouse/domain';
import { patchPrincipal } from './apply-op';
import { InProcessPermissionCache } from './in-process/in-process-permission-cache';
import { CachedKey, CacheOp } from './permission-cache.port';
import { coalesceOps, mergePatches } from './projection';

/**
 * coalesceOps must be invisible: a batch applied as it is and the same batch coalesced
 * leave the very same cache, whatever was in it before, list order included.
 */

/** The cache as the port documents it, in plain Maps: the oracle both sides are applied to. */
class Model {
  accounts = new Map<string, { record: AccountRecord; roles: Map<string, CompiledRole>; principals: Map<string, PrincipalRecord>; keys: Map<string, CachedKey> }>();
  keyAccount = new Map<string, string>();
  userAccounts = new Map<string, Map<string, MemberStatus>>();

  private entry(account: string) {
    let e = this.accounts.get(account);
    if (!e) this.accounts.set(account, (e = { record: { status: 'active', scopeDimensions: {} }, roles: new Map(), principals: new Map(), keys: new Map() }));
    return e;
  }

  apply(ops: CacheOp[]): this {
    for (const op of ops) {
      const e = this.entry(op.account);
      switch (op.op) {
        case 'account.put':
          e.record = op.record;
          break;
        case 'account.patch':
          e.record = { ...e.record, status: op.status };
          break;
        case 'role.put':
          e.roles.set(op.role.name, op.role);
          break;
        case 'role.delete':
          e.roles.delete(op.name);
          break;
        case 'principal.put':
          e.principals.set(principalKey(op.principal), op.principal);
          break;
        case 'principal.patch': {
          const p = e.principals.get(op.key);
          if (p) e.principals.set(op.key, patchPrincipal(p, op));
          break;
        }
        case 'key.put':
          e.keys.set(op.key.id, op.key);
          this.keyAccount.set(op.key.id, op.account);
          break;
        case 'key.patch': {
          const k = e.keys.get(op.keyId);
          if (k) e.keys.set(op.keyId, { ...k, status: op.status });
          break;
        }
        case 'membership.put': {
          let m = this.userAccounts.get(op.userId);
          if (!m) this.userAccounts.set(op.userId, (m = new Map()));
          m.set(op.account, op.status);
          break;
        }
        default:
          break;
      }
    }
    return this;
  }

  /**
   * Everything, as JSON, in order: the order of lists and of entries in maps is part of
   * the state (small Redis hashes keep it too). Accounts are sorted: each is its own set
   * of keys, in no order.
   */
  dump(): string {
    const sorted = (m: Map<string, unknown>) => [...m];
    return JSON.stringify({
      accounts: [...this.accounts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([a, e]) => {
        const x = e as Model['accounts'] extends Map<string, infer V> ? V : never;
        return [a, x.record, sorted(x.roles), sorted(x.principals), sorted(x.keys)];
      }),
      keyAccount: sorted(this.keyAccount),
      userAccounts: sorted(this.userAccounts).map(([u, m]) => [u, sorted(m as Map<string, unknown>)]),
    });
  }
}

const ACCOUNTS = ['a1', 'a2'];
const PRINCIPALS = [
  { type: 'user' as const, id: 'u1' },
  { type: 'user' as const, id: 'u2' },
  { type: 'service_account' as const, id: 's1' },
];
const ROLES = ['r1', 'r2', 'r3', 'r4'];
const TEAMS = ['t1', 't2', 't3'];
const STATUSES: MemberStatus[] = ['invited', 'active', 'deactivated', 'removed'];

const names = (pool: string[]) => fc.uniqueArray(fc.constantFrom(...pool), { maxLength: 3 });
/** Present one time in `1 + absent`: a patch that sets the roles makes every merge trivially exact, so it is kept rare. */
const optional = <T>(arb: fc.Arbitrary<T>, absent = 1) => fc.oneof({ weight: 1, arbitrary: arb }, { weight: absent, arbitrary: fc.constant(undefined) });

const principalPatch = fc.record(
  {
    account: fc.constantFrom(...ACCOUNTS),
    principal: fc.constantFrom(...PRINCIPALS),
    status: optional(fc.constantFrom(...STATUSES)),
    setRoles: optional(fc.array(fc.constantFrom(...ROLES), { maxLength: 3 }), 6),
    addRoles: optional(names(ROLES)),
    removeRoles: optional(names(ROLES)),
    addTeams: optional(names(TEAMS)),
    removeTeams: optional(names(TEAMS)),
  },
  { requiredKeys: ['account', 'principal'] },
).map(({ principal, ...rest }): CacheOp => {
  const op: Extract<CacheOp, { op: 'principal.patch' }> = { op: 'principal.patch', account: rest.account, key: principalKey(principal) };
  for (const k of ['status', 'setRoles', 'addRoles', 'removeRoles', 'addTeams', 'removeTeams'] as const) {
    if (rest[k] !== undefined) (op as Record<string, unknown>)[k] = rest[k];
  }
  return op;
});

const cacheOp: fc.Arbitrary<CacheOp> = fc.oneof(
  { weight: 6, arbitrary: principalPatch },
  {
    weight: 2,
    arbitrary: fc
      .record({ account: fc.constantFrom(...ACCOUNTS), p: fc.constantFrom(...PRINCIPALS), status: fc.constantFrom(...STATUSES), roles: fc.array(fc.constantFrom(...ROLES), { maxLength: 3 }), teams: names(TEAMS) })
      .map(({ account, p, status, roles, teams }): CacheOp => ({ op: 'principal.put', account, principal: { ...p, status, roles, teams, generation: 1 } })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ account: fc.constantFrom(...ACCOUNTS), id: fc.constantFrom('k1', 'k2'), owner: fc.constantFrom(...PRINCIPALS) })
      .map(({ account, id, owner }): CacheOp => ({ op: 'key.put', account, key: { id, status: 'active', owner, secretHash: `h-${id}` } })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ account: fc.constantFrom(...ACCOUNTS), id: fc.constantFrom('k1', 'k2'), status: fc.constantFrom('active' as const, 'revoked' as const) })
      .map(({ account, id, status }): CacheOp => ({ op: 'key.patch', account, keyId: id, status })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ account: fc.constantFrom(...ACCOUNTS), name: fc.constantFrom(...ROLES), del: fc.boolean() })
      .map(({ account, name, del }): CacheOp =>
        del ? { op: 'role.delete', account, name } : { op: 'role.put', account, role: compileRole({ name, grants: [{ permission: `${name}:read`, condition: 'any' }], scopes: {} }) },
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ account: fc.constantFrom(...ACCOUNTS), patch: fc.boolean(), status: fc.constantFrom('active' as const, 'deleted' as const) })
      .map(({ account, patch, status }): CacheOp => (patch ? { op: 'account.patch', account, status } : { op: 'account.put', account, record: { status, scopeDimensions: {} } })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ account: fc.constantFrom(...ACCOUNTS), userId: fc.constantFrom('u1', 'u2'), status: fc.constantFrom(...STATUSES) })
      .map(({ account, userId, status }): CacheOp => ({ op: 'membership.put', account, userId, status })),
  },
);

describe('coalesceOps', () => {
  it('leaves the same cache as the ops one by one, from any starting cache (property)', () => {
    fc.assert(
      fc.property(fc.array(cacheOp, { maxLength: 30 }), fc.array(cacheOp, { maxLength: 60 }), (before, batch) => {
        const plain = new Model().apply(before).apply(batch);
        const coalesced = new Model().apply(before).apply(coalesceOps(batch));
        expect(coalesced.dump()).toBe(plain.dump());
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with the in-process adapter too', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cacheOp, { maxLength: 20 }), fc.array(cacheOp, { maxLength: 40 }), async (before, batch) => {
        const plain = new InProcessPermissionCache();
        const coalesced = new InProcessPermissionCache();
        await plain.apply(1n, before);
        await coalesced.apply(1n, before);
        await plain.apply(2n, batch);
        await coalesced.apply(2n, coalesceOps(batch));
        for (const account of ACCOUNTS) {
          for (const p of PRINCIPALS) {
            const a = await plain.subject(account, { principal: p });
            const b = await coalesced.subject(account, { principal: p });
            expect(JSON.stringify(b.view)).toBe(JSON.stringify(a.view));
          }
          expect(JSON.stringify(await coalesced.keys(account))).toBe(JSON.stringify(await plain.keys(account)));
        }
        for (const u of ['u1', 'u2']) expect(await coalesced.accountsOfUser(u)).toEqual(await plain.accountsOfUser(u));
      }),
      { numRuns: 500 },
    );
  });

  it('writes each member about once per batch when roles come and go', () => {
    const ops: CacheOp[] = [];
    for (let k = 0; k < 10_000; k++) {
      const key = `user:u${(k >> 1) % 1000}`;
      ops.push(k % 2 === 0 ? { op: 'principal.patch', account: 'big', key, addRoles: ['contributor'] } : { op: 'principal.patch', account: 'big', key, removeRoles: ['contributor'] });
    }
    const out = coalesceOps(ops);
    expect(out.length).toBeLessThanOrEqual(2000);
    expect(new Model().apply([{ op: 'principal.put', account: 'big', principal: { type: 'user', id: 'u1', status: 'active', roles: ['user', 'contributor'], teams: [] } }]).apply(out).dump()).toBe(
      new Model().apply([{ op: 'principal.put', account: 'big', principal: { type: 'user', id: 'u1', status: 'active', roles: ['user', 'contributor'], teams: [] } }]).apply(ops).dump(),
    );
  });

  it('keeps a role that is removed and then added again as two steps: it moves to the end of the list', () => {
    const a: Extract<CacheOp, { op: 'principal.patch' }> = { op: 'principal.patch', account: 'x', key: 'user:u', removeRoles: ['r1'] };
    const b: Extract<CacheOp, { op: 'principal.patch' }> = { op: 'principal.patch', account: 'x', key: 'user:u', addRoles: ['r1'] };
    expect(mergePatches(a, b)).toBeNull();
    expect(coalesceOps([a, b])).toEqual([a, b]);
  });

  it('folds patches into a put of the same batch and drops what a later put replaces', () => {
    const put: CacheOp = { op: 'principal.put', account: 'x', principal: { type: 'user', id: 'u', status: 'invited', roles: ['r1'], teams: [] } };
    expect(
      coalesceOps([
        { op: 'principal.put', account: 'x', principal: { type: 'user', id: 'u', status: 'active', roles: [], teams: [] } },
        put,
        { op: 'principal.patch', account: 'x', key: 'user:u', status: 'active', addRoles: ['r2'] },
        { op: 'principal.patch', account: 'x', key: 'user:u', addTeams: ['t'] },
      ]),
    ).toEqual([{ op: 'principal.put', account: 'x', principal: { type: 'user', id: 'u', status: 'active', roles: ['r1', 'r2'], teams: ['t'] } }]);
  });
});
