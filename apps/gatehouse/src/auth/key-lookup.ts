import { Inject, Injectable } from '@nestjs/common';
import { EventStore } from '@gatehouse/event-store';
import { CachedSubject, PermissionCache } from '@gatehouse/permission-cache';
import { Config } from '../config/config';
import { ProjectionProgress } from '../projector/projection-progress';
import { CONFIG, EVENT_STORE, PERMISSION_CACHE } from '../tokens';

/**
 * Finds a presented key in the cache. A key used right after its creation may not be
 * projected yet, so an unknown key waits once for the projector to reach the store's
 * head before it is called unknown (bounded by the consistency timeout).
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
    if (account !== null || !(await this.catchUp(null))) return account;
    return this.cache.accountOfKey(keyId);
  }

  async subject(account: string, keyId: string): Promise<CachedSubject> {
    const subject = await this.cache.subject(account, { keyId });
    if (subject.key || !(await this.catchUp(subject.position))) return subject;
    return this.cache.subject(account, { keyId });
  }

  /** Waits for the cache to reach the head if it is behind; true when it waited. */
  private async catchUp(position: bigint | null): Promise<boolean> {
    const head = await this.store.headPosition().catch(() => null);
    if (head === null || (position !== null && position >= head)) return false;
    const checkpoint = await this.cache.checkpoint();
    if (checkpoint !== null && checkpoint >= head) return false;
    await this.progress.waitFor(head, this.config.consistencyTimeoutMs);
    return true;
  }
}
