import { compileRole, PrincipalRecord, ResourceRecord } from '@gatehouse/domain';
import { CacheOp, PermissionCache } from '../permission-cache.port';
import { CandidateSet } from './lookups.port';

/**
 * The registry and lookup behaviour every PermissionCache adapter must share: the
 * in-process adapter and Redis run these same tests (STYLE: one contract per port).
 */
export function describeLookupsContract(name: string, make: () => Promise<{ cache: PermissionCache; cleanup(): Promise<void> }>): void {
  describe(`resource registry and lookup indexes (${name})`, () => {
    let cache: PermissionCache;
    let cleanup: () => Promise<void>;
    let position = 0n;
    const apply = (...ops: CacheOp[]) => cache.apply(++position, ops);

    beforeEach(async () => {
      ({ cache, cleanup } = await make());
      position = 0n;
      await apply({ op: 'account.put', account: 'acme', record: { status: 'active', scopeDimensions: {} } });
    });
    afterEach(() => cleanup());

    const ds = (id: string, owner?: string, team?: string, tags: Record<string, string[]> = {}): ResourceRecord => ({
      type: 'dataset',
      id,
      ...(owner ? { owner } : {}),
      ...(team ? { team } : {}),
      tags,
    });
    const put = (r: ResourceRecord, account = 'acme'): CacheOp => ({ op: 'resource.put', account, resource: r });
    const ids = async (sets: CandidateSet[], after: string | null = null, limit = 100) =>
      (await cache.resourceCandidates('acme', 'dataset', sets, after, limit)).resources.map((r) => r.id);

    it('stores a registered resource and answers it by type and id, tags and all', async () => {
      await apply(put(ds('d1', 'alice', 'ml', { env: ['prod'] })));
      expect(await cache.resource('acme', 'dataset', 'd1')).toEqual(ds('d1', 'alice', 'ml', { env: ['prod'] }));
      expect(await cache.resource('acme', 'dataset', 'd2')).toBeNull();
      expect(await cache.resource('acme', 'model', 'd1')).toBeNull();
      expect(await cache.resource('globex', 'dataset', 'd1')).toBeNull();
    });

    it('pages all resources of a type in byte order, strictly after the cursor', async () => {
      await apply(...['b', 'a', 'B', 'a-1', 'a.2', 'c', '0'].map((id) => put(ds(id))));
      expect(await ids([{ kind: 'all' }])).toEqual(['0', 'B', 'a', 'a-1', 'a.2', 'b', 'c']);
      expect(await ids([{ kind: 'all' }], null, 3)).toEqual(['0', 'B', 'a']);
      expect(await ids([{ kind: 'all' }], 'a', 3)).toEqual(['a-1', 'a.2', 'b']);
      expect(await ids([{ kind: 'all' }], 'a0', 3)).toEqual(['b', 'c']);
      expect(await ids([{ kind: 'all' }], 'c')).toEqual([]);
    });

    it('merges owner and team sets without duplicates', async () => {
      await apply(put(ds('d1', 'alice', 'ml')), put(ds('d2', 'bob', 'ml')), put(ds('d3', 'alice')), put(ds('d4', 'bob', 'ops')), put(ds('d5')));
      expect(await ids([{ kind: 'owner', owner: 'alice' }])).toEqual(['d1', 'd3']);
      expect(await ids([{ kind: 'team', team: 'ml' }])).toEqual(['d1', 'd2']);
      expect(await ids([{ kind: 'owner', owner: 'alice' }, { kind: 'team', team: 'ml' }, { kind: 'team', team: 'ops' }])).toEqual([
        'd1',
        'd2',
        'd3',
        'd4',
      ]);
      expect(await ids([{ kind: 'owner', owner: 'alice' }, { kind: 'team', team: 'ml' }], 'd1', 2)).toEqual(['d2', 'd3']);
      expect(await ids([{ kind: 'owner', owner: 'nobody' }])).toEqual([]);
      expect(await ids([])).toEqual([]);
    });

    /** Every page of `sets` by `limit`, each after the last id of the one before, concatenated. */
    const allPages = async (sets: CandidateSet[], limit: number) => {
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page = await ids(sets, after, limit);
        if (page.length === 0) return seen;
        seen.push(...page);
        after = page[page.length - 1];
      }
    };

    it('merges sets in byte order, whatever the locale would say: case, punctuation, prefixes, ids alike in their first 12 bytes', async () => {
      const placed: [string, string, string][] = [
        ['a', 'alice', 'ops'],
        ['B', 'bob', 'ml'],
        ['a-1', 'bob', 'ops'],
        ['a.2', 'alice', 'ml'],
        ['a0', 'bob', 'ml'],
        ['ab', 'alice', 'x'],
        ['abcdefghijk', 'bob', 'ops'],
        ['abcdefghijkl', 'bob', 'ml'],
        ['abcdefghijkl-x', 'alice', 'ops'],
        ['abcdefghijklM', 'bob', 'ops'],
        ['abcdefghijklm', 'bob', 'ml'],
        ['abcdefghijklm0', 'alice', 'ml'],
        ['0', 'bob', 'ops'],
        ['Z9', 'alice', 'x'],
        ['z', 'bob', 'x'],
      ];
      await apply(...placed.map(([id, owner, team]) => put(ds(id, owner, team))));
      const sets: CandidateSet[] = [{ kind: 'team', team: 'ops' }, { kind: 'owner', owner: 'alice' }, { kind: 'team', team: 'ml' }];
      const expected = ['0', 'B', 'Z9', 'a', 'a-1', 'a.2', 'a0', 'ab', 'abcdefghijk', 'abcdefghijkl', 'abcdefghijkl-x', 'abcdefghijklM', 'abcdefghijklm', 'abcdefghijklm0'];
      expect(await ids(sets)).toEqual(expected);
      for (const limit of [1, 2, 3, 5]) expect(await allPages(sets, limit)).toEqual(expected);
      expect(await ids(sets, 'abcdefghijkl', 2)).toEqual(['abcdefghijkl-x', 'abcdefghijklM']);
    });

    it('pages the union of many sets in order without skipping or repeating', async () => {
      // Ids alike in their first 16 bytes, in 1 owner set and 5 team sets that overlap.
      const all = Array.from({ length: 1200 }, (_, i) => `resource-shared-${String((i * 7919) % 1200).padStart(5, '0')}`);
      for (let i = 0; i < all.length; i += 400) {
        await apply(...all.slice(i, i + 400).map((id, j) => put(ds(id, (i + j) % 3 === 0 ? 'alice' : 'bob', `t${(i + j) % 7}`))));
      }
      const sets: CandidateSet[] = [{ kind: 'owner', owner: 'alice' }, ...[0, 1, 2, 3, 4].map((t): CandidateSet => ({ kind: 'team', team: `t${t}` }))];
      const expected = all.filter((_, i) => i % 3 === 0 || i % 7 < 5).sort();
      expect(await allPages(sets, 7)).toEqual(expected);
      expect(await allPages(sets, 128)).toEqual(expected);
      expect(await ids(sets, null, 1000)).toEqual(expected.slice(0, 1000));
    });

    it('moves a resource between indexes when its owner or team changes, and forgets it when deleted', async () => {
      await apply(put(ds('d1', 'alice', 'ml')));
      await apply(put(ds('d1', 'bob', 'ops')));
      expect(await ids([{ kind: 'owner', owner: 'alice' }])).toEqual([]);
      expect(await ids([{ kind: 'team', team: 'ml' }])).toEqual([]);
      expect(await ids([{ kind: 'owner', owner: 'bob' }])).toEqual(['d1']);
      expect(await ids([{ kind: 'team', team: 'ops' }])).toEqual(['d1']);
      await apply({ op: 'resource.delete', account: 'acme', type: 'dataset', id: 'd1' });
      expect(await cache.resource('acme', 'dataset', 'd1')).toBeNull();
      expect(await ids([{ kind: 'all' }])).toEqual([]);
      expect(await ids([{ kind: 'owner', owner: 'bob' }])).toEqual([]);
      // Deleting what is not there changes nothing.
      await apply({ op: 'resource.delete', account: 'acme', type: 'dataset', id: 'd1' });
      expect(await ids([{ kind: 'all' }])).toEqual([]);
    });

    it('ignores a replayed (older) batch: an old version never comes back', async () => {
      await cache.apply(10n, [put(ds('d1', 'alice'))]);
      await cache.apply(11n, [put(ds('d1', 'bob'))]);
      expect(await cache.apply(10n, [put(ds('d1', 'alice'))])).toBe(false);
      expect((await cache.resource('acme', 'dataset', 'd1'))?.owner).toBe('bob');
      expect(await ids([{ kind: 'owner', owner: 'alice' }])).toEqual([]);
      position = 11n;
    });

    it('reports the checkpoint it read with a page', async () => {
      await apply(put(ds('d1')));
      expect((await cache.resourceCandidates('acme', 'dataset', [{ kind: 'all' }], null, 10)).position).toBe(position);
    });

    it('pages principals by key with the roles they hold', async () => {
      const admin = compileRole({ name: 'admin', grants: [{ permission: '*', condition: 'any' }], scopes: {} });
      const viewer = compileRole({ name: 'viewer', grants: [{ permission: 'dataset:read', condition: 'any' }], scopes: {} });
      const p = (type: PrincipalRecord['type'], id: string, roles: string[]): CacheOp => ({
        op: 'principal.put',
        account: 'acme',
        principal: { type, id, status: 'active', roles, teams: [] },
      });
      await apply({ op: 'role.put', account: 'acme', role: admin }, { op: 'role.put', account: 'acme', role: viewer });
      await apply(p('user', 'carol', ['viewer']), p('user', 'alice', ['admin']), p('service_account', 'bot', []), p('user', 'bob', ['viewer']));
      // A patch keeps the principal in the index, with its new roles.
      await apply({ op: 'principal.patch', account: 'acme', key: 'user:bob', addRoles: ['admin'] });
      const first = await cache.principalCandidates('acme', null, 2);
      expect(first.principals.map((x) => `${x.type}:${x.id}`)).toEqual(['service_account:bot', 'user:alice']);
      expect(Object.keys(first.roles).sort()).toEqual(['admin']);
      expect(first.account).toEqual({ status: 'active', scopeDimensions: {} });
      const second = await cache.principalCandidates('acme', 'user:alice', 10);
      expect(second.principals.map((x) => `${x.id}:${x.roles.join('+')}`)).toEqual(['bob:viewer+admin', 'carol:viewer']);
      expect(second.roles.viewer).toEqual(viewer);
      expect((await cache.principalCandidates('globex', null, 10)).principals).toEqual([]);
    });

    it('is emptied by clear', async () => {
      await apply(put(ds('d1', 'alice')));
      await cache.clear();
      expect(await cache.resource('acme', 'dataset', 'd1')).toBeNull();
      expect(await ids([{ kind: 'all' }])).toEqual([]);
    });

    it('pages a large set in order without skipping or repeating', async () => {
      const all = Array.from({ length: 1500 }, (_, i) => `r${String((i * 7919) % 1500).padStart(5, '0')}`);
      for (let i = 0; i < all.length; i += 500) await apply(...all.slice(i, i + 500).map((id) => put(ds(id, i % 2 ? 'alice' : 'bob'))));
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page = await ids([{ kind: 'all' }], after, 128);
        if (page.length === 0) break;
        seen.push(...page);
        after = page[page.length - 1];
      }
      expect(seen).toEqual([...all].sort());
    });
  });
}
