import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventStore, RecordedEvent, Subscription } from '@gatehouse/event-store';
import { CacheOp, PermissionCache, projectEvent } from '@gatehouse/permission-cache';
import { Config } from '../config/config';
import { CONFIG, EVENT_STORE, PERMISSION_CACHE } from '../tokens';
import { ProjectionProgress } from './projection-progress';

/**
 * Keeps the permission cache in step with the store through a checkpointed
 * subscription: each delivered batch is applied together with its last position,
 * so a crash at any point resumes without losing or double-applying anything.
 */
@Injectable()
export class ProjectorService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Projector');
  private subscription: Subscription | null = null;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  lastError: string | null = null;
  /** The latest rebuild's progress, for `gatehouse projection status`. */
  rebuildProgress: { startedAt: string; total: string; applied: number; eventsPerSecond: number; finishedAt?: string } | null = null;
  private rebuildStart = 0;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PERMISSION_CACHE) private readonly cache: PermissionCache,
    @Inject(CONFIG) private readonly config: Config,
    private readonly progress: ProjectionProgress,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.roles.projector) await this.start();
  }

  // Before the store and cache close (they close in onApplicationShutdown).
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await this.subscription?.close();
  }

  get running(): boolean {
    return this.subscription !== null;
  }

  /** Applies one batch; exported for the rebuild tool and tests. */
  async applyBatch(events: RecordedEvent[]): Promise<void> {
    const ops: CacheOp[] = [];
    for (const e of events) for (const op of projectEvent(e)) ops.push(op);
    await this.cache.apply(events[events.length - 1].position, ops);
    this.failures = 0;
    this.progress.advanced();
    const rebuild = this.rebuildProgress;
    if (rebuild && !rebuild.finishedAt) {
      rebuild.applied += events.length;
      const seconds = (Date.now() - this.rebuildStart) / 1000;
      rebuild.eventsPerSecond = seconds > 0 ? Math.round(rebuild.applied / seconds) : 0;
      if (events[events.length - 1].position >= BigInt(rebuild.total)) rebuild.finishedAt = new Date().toISOString();
    }
  }

  /**
   * Drops the cache and replays the whole store into it. Checks answered meanwhile see
   * a cache that knows less than the store: they deny (fail closed), never allow on stale data.
   */
  async rebuild(): Promise<void> {
    await this.subscription?.close();
    this.subscription = null;
    const head = (await this.store.headPosition()) ?? 0n;
    this.rebuildStart = Date.now();
    this.rebuildProgress = { startedAt: new Date().toISOString(), total: head.toString(), applied: 0, eventsPerSecond: 0 };
    if (head === 0n) this.rebuildProgress.finishedAt = this.rebuildProgress.startedAt;
    await this.cache.clear();
    await this.start();
  }

  private async start(): Promise<void> {
    const after = await this.cache.checkpoint();
    const sub = this.store.subscribeToAll({ after, maxBatch: 500 }, (events) => this.applyBatch(events));
    this.subscription = sub;
    sub.done.then(
      () => undefined,
      (error: unknown) => {
        if (this.subscription === sub) this.subscription = null;
        this.lastError = error instanceof Error ? error.message : String(error);
        this.failures++;
        const delay = Math.min(30_000, 100 * 2 ** Math.min(this.failures, 8));
        this.logger.error(`subscription failed (${this.lastError}); restarting in ${delay} ms`);
        if (!this.stopped) this.restartTimer = setTimeout(() => void this.start().catch(() => this.retryLater()), delay);
      },
    );
  }

  private retryLater(): void {
    this.failures++;
    if (!this.stopped) this.restartTimer = setTimeout(() => void this.start().catch(() => this.retryLater()), 1000);
  }
}
