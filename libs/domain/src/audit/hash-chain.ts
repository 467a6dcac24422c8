/**
 * Tamper evidence (DESIGN §6): every event records the hash of its stream's previous
 * event and its own hash over (stream, revision, type, data, metadata). Editing,
 * removing or reordering an event breaks the chain at that point; `verifyChain` finds
 * the first break. The hash function is injected: the domain stays free of node:crypto.
 */
export type Hasher = (text: string) => string;

export const GENESIS = '0'.repeat(64);

export interface ChainedEvent {
  streamId: string;
  revision: bigint;
  type: string;
  data: unknown;
  metadata: { prevHash?: string; hash?: string };
}

/** JSON with sorted keys, so equal content always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function eventHash(hasher: Hasher, e: Omit<ChainedEvent, 'metadata'> & { metadata: object }): string {
  const { hash: _own, ...metadata } = e.metadata as Record<string, unknown>;
  return hasher(canonicalJson({ stream: e.streamId, revision: String(e.revision), type: e.type, data: e.data, metadata }));
}

export interface ChainBreak {
  streamId: string;
  revision: bigint;
  position?: bigint;
  problem: 'HASH_MISMATCH' | 'PREVIOUS_HASH_MISMATCH' | 'MISSING_EVENT' | 'UNCHAINED_EVENT';
}

/**
 * Walks events in store order and returns the first break, or null. Each stream's events
 * must come with contiguous revisions from 0 (a gap means an event went missing).
 */
export function verifyChain(hasher: Hasher, events: Iterable<ChainedEvent & { position?: bigint }>, heads = new Map<string, { revision: bigint; hash: string }>()): ChainBreak | null {
  for (const e of events) {
    const head = heads.get(e.streamId);
    const at = { streamId: e.streamId, revision: e.revision, ...(e.position !== undefined ? { position: e.position } : {}) };
    const expectedRevision = head ? head.revision + 1n : 0n;
    if (e.revision !== expectedRevision) return { ...at, problem: 'MISSING_EVENT' };
    if (e.metadata.hash === undefined || e.metadata.prevHash === undefined) return { ...at, problem: 'UNCHAINED_EVENT' };
    if (e.metadata.prevHash !== (head?.hash ?? GENESIS)) return { ...at, problem: 'PREVIOUS_HASH_MISMATCH' };
    if (eventHash(hasher, e) !== e.metadata.hash) return { ...at, problem: 'HASH_MISMATCH' };
    heads.set(e.streamId, { revision: e.revision, hash: e.metadata.hash });
  }
  return null;
}
