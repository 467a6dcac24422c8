/**
 * Where the Kafka relay remembers the last store position the broker acknowledged.
 * Exclusive, like the event store's subscription checkpoint: the relay resumes after it.
 * A lost or stale checkpoint only means events are published again (consumers dedupe
 * by event id); a checkpoint ahead of what was acknowledged would lose events, so
 * `save` is called only after the broker acknowledged, and must be durable when it resolves.
 */
export interface RelayCheckpointStore {
  /** The saved position, or null when the relay never published anything. */
  load(): Promise<bigint | null>;
  save(position: bigint): Promise<void>;
  /** Human-readable location, for logs and /readyz. */
  readonly describe: string;
  close(): Promise<void>;
}

export function assertPosition(position: bigint): void {
  if (position < 0n) throw new RangeError(`relay checkpoint must not be negative, got ${position}`);
}

export function parsePosition(raw: string, where: string): bigint {
  if (!/^\d{1,20}$/.test(raw.trim())) throw new Error(`relay checkpoint in ${where} is corrupt: "${raw.slice(0, 40)}"`);
  return BigInt(raw.trim());
}
