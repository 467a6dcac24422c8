import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@gatehouse/domain';
import { PermissionCache } from '@gatehouse/permission-cache';
import { PERMISSION_CACHE } from '../tokens';

/**
 * Read-your-writes: lets a check wait until the cache has applied a revision.
 * The projector in this process nudges waiters; a projector elsewhere (several API
 * instances sharing Redis) is noticed by polling the cache's checkpoint.
 */
@Injectable()
export class ProjectionProgress {
  private waiters = new Set<() => void>();

  constructor(@Inject(PERMISSION_CACHE) private readonly cache: PermissionCache) {}

  advanced(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const w of waiters) w();
  }

  /**
   * Read-your-writes for a request carrying `consistency.atLeast`: waits up to `timeoutMs`
   * (the server's timeout, or the caller's own deadline if sooner), else refuses with
   * CONSISTENCY.NOT_YET_APPLIED (retryable). Shared by checks and lookups.
   */
  async reach(atLeast: string | undefined, timeoutMs: number): Promise<void> {
    if (atLeast === undefined) return;
    const waitMs = Math.max(0, timeoutMs);
    if (!(await this.waitFor(BigInt(atLeast), waitMs))) {
      throw new DomainError('CONSISTENCY.NOT_YET_APPLIED', 'not_ready', `the permission cache has not reached revision ${atLeast} within ${waitMs} ms: retry`, {
        atLeast,
      });
    }
  }

  /** Resolves true once the checkpoint is at or past `position`, false after `timeoutMs`. */
  async waitFor(position: bigint, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const checkpoint = await this.cache.checkpoint();
      if (checkpoint !== null && checkpoint >= position) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 10));
        const waiter = () => done();
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(waiter);
      });
    }
  }
}
