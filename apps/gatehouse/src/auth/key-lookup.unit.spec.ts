import { EventStore } from '@gatehouse/event-store';
import { CacheOp, InProcessPermissionCache, ResourceRef, SubjectRef } from '@gatehouse/permission-cache';
import { Config } from '../config/config';
import { ProjectionProgress } from '../projector/projection-progress';
import { KeyLookup } from './key-lookup';

const ACME = 'acme';
const alice = { type: 'user' as const, id: 'alice' };
const setup: CacheOp[] = [
  { op: 'account.put', account: ACME, record: { status: 'active', scopeDimensions: {} } },
  { op: 'principal.put', account: ACME, principal: { ...alice, status: 'active', roles: [], teams: [] } },
];
const keyCreated: CacheOp[] = [{ op: 'key.put', account: ACME, key: { id: 'k1', status: 'active', owner: alice, secretHash: 'ab' } }];

/**
 * The projector applies the key's batch right after the lookup's first read answered,
 * before anything else the lookup does: what a shared Redis connection made likely
 * (read, apply and the next command queued back to back).
 */
class ProjectorBetweenReads extends InProcessPermissionCache {
  private next: (() => void) | null = null;
  applyAfterNextRead(position: bigint, ops: CacheOp[]): void {
    this.next = () => void this.applySync(position, ops);
  }
  private fire(): void {
    const next = this.next;
    this.next = null;
    next?.();
  }
  override async subjects(account: string, refs: readonly SubjectRef[], resources: readonly ResourceRef[] = []) {
    const read = await super.subjects(account, refs, resources);
    this.fire();
    return read;
  }
  override async accountOfKey(keyId: string) {
    const account = await super.accountOfKey(keyId);
    this.fire();
    return account;
  }
}

function lookupOver(cache: InProcessPermissionCache, head: () => bigint | null, consistencyTimeoutMs = 2_000) {
  const store = { headPosition: async () => head() } as unknown as EventStore;
  return new KeyLookup(cache, store, { consistencyTimeoutMs } as Config, new ProjectionProgress(cache));
}

describe('KeyLookup', () => {
  it('finds a key the projector applied between the first read and the catch-up (the first-use 401 race)', async () => {
    const cache = new ProjectorBetweenReads();
    cache.applySync(1n, setup);
    cache.applyAfterNextRead(2n, keyCreated);
    const found = await lookupOver(cache, () => 2n).subject(ACME, 'k1');
    expect(found.key?.id).toBe('k1');
    expect(found.position).toBe(2n);
  });

  it('the same race for a key presented outside any account', async () => {
    const cache = new ProjectorBetweenReads();
    cache.applySync(1n, setup);
    cache.applyAfterNextRead(2n, keyCreated);
    expect(await lookupOver(cache, () => 2n).accountOf('k1')).toBe(ACME);
  });

  it('waits for a projector that is behind, then finds the key', async () => {
    const cache = new InProcessPermissionCache();
    cache.applySync(1n, setup);
    const progress = new ProjectionProgress(cache);
    const lookup = new KeyLookup(cache, { headPosition: async () => 2n } as unknown as EventStore, { consistencyTimeoutMs: 2_000 } as Config, progress);
    const pending = lookup.subject(ACME, 'k1');
    setTimeout(() => {
      cache.applySync(2n, keyCreated);
      progress.advanced();
    }, 20);
    expect((await pending).key?.id).toBe('k1');
  });

  it('calls a key unknown at once when the cache is at the head', async () => {
    const cache = new InProcessPermissionCache();
    cache.applySync(2n, setup);
    const head = jest.fn(() => 2n);
    const subject = await lookupOver(cache, head).subject(ACME, 'nope');
    expect(subject.key).toBeNull();
    expect(head).toHaveBeenCalledTimes(1);
  });

  it('refuses to answer from a cache without a checkpoint over a store with events (PERMISSION_CACHE.NOT_READY)', async () => {
    const cache = new InProcessPermissionCache();
    await expect(lookupOver(cache, () => 5n, 30).subject(ACME, 'k1')).rejects.toMatchObject({ code: 'PERMISSION_CACHE.NOT_READY', category: 'unavailable' });
    // An empty store: an empty cache is right, and the key is simply unknown.
    expect((await lookupOver(cache, () => null).subject(ACME, 'k1')).key).toBeNull();
  });
});
