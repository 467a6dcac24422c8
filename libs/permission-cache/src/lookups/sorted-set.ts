/**
 * A sorted set of strings in byte order (for ASCII, JavaScript's `<`): chunks of at
 * most CHUNK sorted strings, so insert and delete move at most CHUNK entries and
 * "the next n after x" costs O(log n + n) however large the set, unlike a sorted array
 * (O(size) per insert, quadratic when a rebuild inserts a million ids) or re-sorting.
 */
const CHUNK = 512;

export class SortedStringSet {
  private chunks: string[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(value: string): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push([value]);
      this.count = 1;
      return true;
    }
    const c = this.chunkFor(value);
    const chunk = this.chunks[c];
    const i = lowerBound(chunk, value);
    if (chunk[i] === value) return false;
    chunk.splice(i, 0, value);
    this.count++;
    if (chunk.length > 2 * CHUNK) this.chunks.splice(c, 1, chunk.slice(0, CHUNK), chunk.slice(CHUNK));
    return true;
  }

  delete(value: string): boolean {
    if (this.chunks.length === 0) return false;
    const c = this.chunkFor(value);
    const chunk = this.chunks[c];
    const i = lowerBound(chunk, value);
    if (chunk[i] !== value) return false;
    chunk.splice(i, 1);
    this.count--;
    if (chunk.length === 0) this.chunks.splice(c, 1);
    return true;
  }

  has(value: string): boolean {
    if (this.chunks.length === 0) return false;
    const chunk = this.chunks[this.chunkFor(value)];
    return chunk[lowerBound(chunk, value)] === value;
  }

  /** Up to `limit` values strictly greater than `after` (all values when null), ascending. */
  after(after: string | null, limit: number): string[] {
    const out: string[] = [];
    if (this.chunks.length === 0 || limit <= 0) return out;
    let c = after === null ? 0 : this.chunkFor(after);
    let i = after === null ? 0 : upperBound(this.chunks[c], after);
    for (; c < this.chunks.length && out.length < limit; c++, i = 0) {
      const chunk = this.chunks[c];
      for (; i < chunk.length && out.length < limit; i++) out.push(chunk[i]);
    }
    return out;
  }

  /** The chunk whose range holds `value`: the last chunk whose first entry is ≤ value (or the first). */
  private chunkFor(value: string): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.chunks[mid][0] <= value) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

function lowerBound(a: string[], v: string): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(a: string[], v: string): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The k-way union of sorted lists, deduplicated, first `limit` values. */
export function mergeSorted(lists: string[][], limit: number): string[] {
  if (lists.length === 1) return lists[0].slice(0, limit);
  const out: string[] = [];
  const at = lists.map(() => 0);
  while (out.length < limit) {
    let best: string | undefined;
    for (let k = 0; k < lists.length; k++) {
      const v = lists[k][at[k]];
      if (v !== undefined && (best === undefined || v < best)) best = v;
    }
    if (best === undefined) break;
    out.push(best);
    for (let k = 0; k < lists.length; k++) if (lists[k][at[k]] === best) at[k]++;
  }
  return out;
}
