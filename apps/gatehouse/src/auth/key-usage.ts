import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Clock } from '@gatehouse/domain';
import { PermissionCache } from '@gatehouse/permission-cache';
import { CLOCK, PERMISSION_CACHE } from '../tokens';

const FLUSH_MS = 5_000;

/**
 * Last-used times of API keys, kept in memory on the request path and written to the
 * cache every few seconds: knowing when a key was last used must not cost an event (or
 * a round trip) per request.
 */
@Injectable()
export class KeyUsage implements OnModuleInit, OnApplicationShutdown {
  private pending = new Map<string, Record<string, number>>();
  private timer: NodeJS.Timeout | null = null;
  private readonly logger = new Logger('KeyUsage');

  constructor(
    @Inject(PERMISSION_CACHE) private readonly cache: PermissionCache,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  used(account: string, keyId: string): void {
    let uses = this.pending.get(account);
    if (!uses) this.pending.set(account, (uses = {}));
    uses[keyId] = this.clock.now().getTime();
  }

  /** Last-used times for an account's keys, including those not flushed yet. */
  async lastUsed(account: string): Promise<Record<string, number>> {
    return { ...(await this.cache.keyUses(account)), ...(this.pending.get(account) ?? {}) };
  }

  async flush(): Promise<void> {
    const pending = this.pending;
    this.pending = new Map();
    for (const [account, uses] of pending) {
      try {
        await this.cache.recordKeyUse(account, uses);
      } catch (error) {
        this.logger.warn(`could not record key use for account ${account}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
