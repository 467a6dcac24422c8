/**
 * Comparison of secret hashes without an early exit, so timing does not reveal how
 * many leading characters matched. Hashing itself happens at the edge (node:crypto);
 * the domain only ever sees hashes.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}
