import { InProcessPermissionCache } from '../in-process/in-process-permission-cache';
import { describeLookupsContract } from './lookups.contract';
import { mergeSorted, SortedStringSet } from './sorted-set';

describeLookupsContract('in-process', async () => ({ cache: new InProcessPermissionCache(), cleanup: async () => undefined }));

describe('SortedStringSet', () => {
  it('agrees with a sorted array under random inserts and deletes, across chunk splits', () => {
    const set = new SortedStringSet();
    const ref = new Set<string>();
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 20_000; i++) {
      const v = `k${Math.floor(rnd() * 5000)}`;
      if (rnd() < 0.7) expect(set.add(v)).toBe(!ref.has(v)), ref.add(v);
      else expect(set.delete(v)).toBe(ref.has(v)), ref.delete(v);
    }
    const sorted = [...ref].sort();
    expect(set.size).toBe(sorted.length);
    expect(set.after(null, 1e9)).toEqual(sorted);
    expect(set.after(sorted[100], 50)).toEqual(sorted.slice(101, 151));
    expect(set.after('k2', 3)).toEqual(sorted.filter((v) => v > 'k2').slice(0, 3));
    for (const v of sorted.slice(0, 50)) expect(set.has(v)).toBe(true);
    expect(set.has('nope')).toBe(false);
  });

  it('merges sorted lists without duplicates', () => {
    expect(mergeSorted([['a', 'c', 'e'], ['b', 'c', 'f'], []], 10)).toEqual(['a', 'b', 'c', 'e', 'f']);
    expect(mergeSorted([['a', 'c', 'e'], ['b', 'c', 'f']], 3)).toEqual(['a', 'b', 'c']);
  });
});
