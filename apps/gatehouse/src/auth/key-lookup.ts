import { Inject, Injectable } from '@nestjs/common';
import { CACHE_NOT_READY, DomainError } from '@gatehouse/domain';
import { EventStore } from '@gatehouse/event-store';
import { CachedSubject, PermissionCache, ResourceRef, SubjectRef, SubjectsRead } from '@gatehouse/permission-cache';
import { Config } from '../config/config';
import { ProjectionProgress } from '../projector/projection-progress';
import { CONFIG, EVENT_STORE, PERMISSION_CACHE } from '../tokens';

/**
 * Finds a presented key in the cache. A key used right after its creation may not be
 * projected yet, so an unknown key waits once for the projector to reach the store's
 * head before it is called unknown (bounded by the consistency timeout). A cache with no
 * checkpoint over a store with events has lost its data or not built it yet: it must
 * not answer (PERMISSION_CACHE.NOT_READY), neither for a key nor for a check.
 */
@Injectable()
export class KeyLookup {
  constructor(
    @Inject(PERMISSION_CACHE) private readonly cache: PermissionCache,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CONFIG) private readonly config: Config,
    private readonly progress: ProjectionProgress,
  ) {}

  /** The account holding the key, or null. */
  async accountOf(keyId: string): Promise<string | null> {
    const account = await this.cache.accountOfKey(keyId);
    // This read reports no position: whether it could have missed the key is known only by waiting for the head.
    if (account !== null || !(await this.caughtUp(null))) return account;
    return this.cache.accountOfKey(keyId);
  }

  async subject(account: string, keyId: string): Promise<CachedSubject> {
    return (await this.subjects(account, [{ keyId }], [], 0)).subjects[0];
  }

  /**
   * `cache.subjects`, read again once the projector has reached the store's head when
   * the key at `keyAt` is unknown to a cache that was behind it.
   */
  async subjects(account: string, refs: readonly SubjectRef[], resources: readonly ResourceRef[], keyAt: number): Promise<SubjectsRead> {
    const read = await this.cache.subjects(account, refs, resources);
    if (read.subjects[keyAt].key) return read;
    if (!(await this.caughtUp(read.position))) {
      if (read.position === null) await this.assertReady();
      return read;
    }
    const again = await this.cache.subjects(account, refs, resources);
    if (!again.subjects[keyAt].key && again.position === null) await this.assertReady();
    return again;
  }

  /** Throws PERMISSION_CACHE.NOT_READY unless the store is empty too (a cache without a checkpoint is then right). */
  async assertReady(): Promise<void> {
    // A store that cannot say counts as holding events: fail closed.
    const head = await this.store.headPosition().catch(() => -1n);
    if (head === null) return;
    throw new DomainError(
      CACHE_NOT_READY,
      'unavailable',
      'the permission cache holds no data while the event store does (lost, or being rebuilt): retry shortly',
    );
  }

  /**
   * When a read at `position` (null: unknown or empty) was behind the store's head,
   * waits for the cache to reach the head and says so: reading again can tell more.
   *
   * The comparison must be with the position of the read itself. Comparing with the
   * cache's checkpoint read afterwards says "caught up, nothing to wait for" when the
   * projector applied the key between the two reads, and the key was refused though
   * the cache now holds it (the 401 a new key sometimes got on its first use, on Redis).
   */
  private async caughtUp(position: bigint | null): Promise<boolean> {
    const head = await this.store.headPosition().catch(() => null);
    if (head === null || (position !== null && position >= head)) return false;
    await this.progress.waitFor(head, this.config.consistencyTimeoutMs);
    return true;
  }
}
