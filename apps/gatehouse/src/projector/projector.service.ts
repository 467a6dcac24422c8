import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventStore, RecordedEvent, Subscription } from '@gatehouse/event-store';
import { CacheOp, coalesceOps, PermissionCache, projectEvent } from '@gatehouse/permission-cache';
import { Config } from '../config/config';
import { CONFIG, EVENT_STORE, PERMISSION_CACHE } from '../tokens';
import { ProjectionProgress } from './projection-progress';

/**
 * Catching up (a rebuild, a restart behind): few, large, coalesced writes. The page size
 * adapts so that a write carries about CATCH_UP_OPS operations after coalescing: a Redis
 * script blocks the server while it runs, and how much a page coalesces depends on the history.
 */
const CATCH_UP_OPS = 2000;
const CATCH_UP_PAGE = { first: 2000, min: 500, max: 20_000 };
/** Events per delivery once caught up: small batches keep the projection lag low. */
const LIVE_BATCH = 500;
/** How often an idle projector asks the cache whether it still has what was applied (a Redis restarted empty). */
const WATCHDOG_MS = 1000;

/**
 * The cache no longer holds what this projector applied to it: its checkpoint is gone
 * (FLUSHALL, a Redis restarted without persistence) or went back. Only a rebuild repairs it.
 */
export class CacheLostError extends Error {
  constructor(
    readonly expected: bigint,
    readonly found: bigint | null,
  ) {
    super(`the permission cache lost its data: checkpoint ${found === null ? 'missing' : found.toString()}, ${expected.toString()} expected`);
    this.name = 'CacheLostError';
  }
}

// The Redis adapter may refuse a write on a checkpoint other than the one it expects (CHECKPOINT_MOVED): the same loss.
const isCacheLoss = (error: unknown) => error instanceof CacheLostError || (error instanceof Error && /CHECKPOINT_MOVED/.test(error.message));

/**
 * Keeps the permission cache in step with the store. Each batch is applied together with
 * its last position, so a crash at any point resumes without losing or double-applying
 * anything. Far behind the store (a rebuild, a restart after downtime), it reads large
 * pages and coalesces each page's operations, reading the next page while the cache
 * applies the previous one; caught up, it follows a checkpointed subscription.
 *
 * It also notices a cache that lost its data behind its back (the checkpoint missing or
 * behind the last position applied, seen before every write and once a second when idle)
 * and rebuilds it.
 */
@Injectable()
export class ProjectorService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Projector');
  private subscription: Subscription | null = null;
  /** The catch-up loop in progress, if any. */
  private catchingUp: Promise<void> | null = null;
  /** Bumped to stop whatever loop or subscription is running (stop, rebuild, restart). */
  private generation = 0;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private failures = 0;
  /** The checkpoint this projector last saw the cache at: the cache must never be found behind it. */
  private lastApplied: bigint | null = null;
  /** Rebuilds started because the cache was found to have lost its data. */
  cacheLosses = 0;
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
    if (!this.config.roles.projector) return;
    await this.start();
    this.watchdog = setInterval(() => void this.checkCache(), WATCHDOG_MS);
    this.watchdog.unref();
  }

  // Before the store and cache close (they close in onApplicationShutdown).
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.watchdog) clearInterval(this.watchdog);
    await this.halt();
  }

  get running(): boolean {
    return this.subscription !== null || this.catchingUp !== null;
  }

  /** Applies one batch; exported for tests (applying events already applied changes nothing). */
  async applyBatch(events: RecordedEvent[]): Promise<void> {
    const ops: CacheOp[] = [];
    for (const e of events) for (const op of projectEvent(e)) ops.push(op);
    await this.write(events[events.length - 1].position, coalesceOps(ops), events.length);
  }

  /**
   * Drops the cache and replays the whole store into it. Checks answered meanwhile see
   * a cache that knows less than the store: they deny (fail closed), never allow on stale data.
   */
  async rebuild(): Promise<void> {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    await this.halt();
    await this.clearForRebuild(true);
    this.launch(null);
  }

  /** Clears the cache for a replay from position zero; `track` reports it as a rebuild (status, progress). */
  private async clearForRebuild(track: boolean): Promise<void> {
    if (track) {
      const head = (await this.store.headPosition()) ?? 0n;
      this.rebuildStart = Date.now();
      this.rebuildProgress = { startedAt: new Date().toISOString(), total: head.toString(), applied: 0, eventsPerSecond: 0 };
      if (head === 0n) this.rebuildProgress.finishedAt = this.rebuildProgress.startedAt;
    }
    this.lastApplied = null;
    await this.cache.clear();
  }

  /** Resumes from the cache's checkpoint, or rebuilds when the cache has lost what it had. */
  private async start(): Promise<void> {
    const checkpoint = await this.cache.checkpoint();
    if (this.lastApplied !== null && (checkpoint === null || checkpoint < this.lastApplied)) {
      return this.rebuildLost(new CacheLostError(this.lastApplied, checkpoint));
    }
    // No checkpoint: nothing in the cache can be trusted (a clear or a rebuild cut short, a flushed Redis).
    if (checkpoint === null && (await this.store.headPosition()) !== null) await this.clearForRebuild(false);
    this.lastApplied = checkpoint;
    this.launch(checkpoint);
  }

  private async rebuildLost(loss: Error): Promise<void> {
    this.cacheLosses++;
    this.logger.warn(`${loss.message}: rebuilding it`);
    await this.clearForRebuild(true);
    this.launch(null);
  }

  /** Catches up from `after` in large pages, then follows the store. */
  private launch(after: bigint | null): void {
    const generation = ++this.generation;
    const run = this.catchUp(after, generation).then(
      (position) => {
        if (generation !== this.generation || this.stopped) return;
        this.subscribe(position, generation);
      },
      (error: unknown) => this.failed(error, generation),
    );
    const tracked: Promise<void> = run.finally(() => {
      if (this.catchingUp === tracked) this.catchingUp = null;
    });
    this.catchingUp = tracked;
  }

  /**
   * Reads page N+1 (and turns it into coalesced ops) while the cache applies page N: with
   * Redis the two overlap, one on each side of the socket. Returns the position reached.
   */
  private async catchUp(after: bigint | null, generation: number): Promise<bigint | null> {
    let position = after;
    let pageSize = CATCH_UP_PAGE.first;
    const read = (from: bigint | null) => (this.store.readAllPayloads ?? this.store.readAll).call(this.store, { after: from, maxCount: pageSize });
    let page = await read(position);
    let inFlight: Promise<void> | null = null;
    while (page.length > 0 && generation === this.generation) {
      const last = page[page.length - 1].position;
      const ops: CacheOp[] = [];
      for (const e of page) for (const op of projectEvent(e)) ops.push(op);
      const coalesced = coalesceOps(ops);
      pageSize = Math.round(Math.min(CATCH_UP_PAGE.max, Math.max(CATCH_UP_PAGE.min, (page.length * CATCH_UP_OPS) / Math.max(1, coalesced.length))));
      if (inFlight) await inFlight;
      if (generation !== this.generation) break;
      inFlight = this.write(last, coalesced, page.length);
      // Its failure is taken by the next await; meanwhile it must not count as unhandled.
      inFlight.catch(() => undefined);
      position = last;
      page = await read(position);
      // A rebuild must not starve requests (the in-process cache applies synchronously).
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (inFlight) await inFlight;
    return position;
  }

  private subscribe(after: bigint | null, generation: number): void {
    const sub = this.store.subscribeToAll({ after, maxBatch: LIVE_BATCH }, (events) => this.applyBatch(events));
    this.subscription = sub;
    sub.done.then(
      () => undefined,
      (error: unknown) => {
        if (this.subscription === sub) this.subscription = null;
        this.failed(error, generation);
      },
    );
  }

  /**
   * One atomic write of ops and checkpoint. The checkpoint is read in the same pipeline,
   * just before: finding it missing or behind what this projector applied means the cache
   * lost its data, and this write landed on an empty cache; the caller rebuilds.
   */
  private async write(position: bigint, ops: CacheOp[], events: number): Promise<void> {
    const [checkpoint, applied] = await Promise.all([this.cache.checkpoint(), this.cache.apply(position, ops)]);
    if (this.lastApplied !== null && (checkpoint === null || checkpoint < this.lastApplied)) throw new CacheLostError(this.lastApplied, checkpoint);
    const reached = applied ? position : checkpoint;
    if (reached !== null && (this.lastApplied === null || reached > this.lastApplied)) this.lastApplied = reached;
    this.failures = 0;
    this.progress.advanced();
    const rebuild = this.rebuildProgress;
    if (rebuild && !rebuild.finishedAt && applied) {
      rebuild.applied += events;
      const seconds = (Date.now() - this.rebuildStart) / 1000;
      rebuild.eventsPerSecond = seconds > 0 ? Math.round(rebuild.applied / seconds) : 0;
      if (position >= BigInt(rebuild.total)) rebuild.finishedAt = new Date().toISOString();
    }
  }

  /** The idle check: a cache that lost its data while nothing was written is rebuilt all the same. */
  private async checkCache(): Promise<void> {
    if (this.stopped || this.lastApplied === null || this.catchingUp !== null || this.subscription === null) return;
    const expected = this.lastApplied;
    const checkpoint = await this.cache.checkpoint().catch(() => undefined);
    if (checkpoint === undefined || this.lastApplied !== expected) return; // unreachable (the subscription notices), or moved on meanwhile
    if (checkpoint === null || checkpoint < expected) this.failed(new CacheLostError(expected, checkpoint), this.generation);
  }

  private failed(error: unknown, generation: number): void {
    if (generation !== this.generation || this.stopped) return;
    this.generation++;
    this.lastError = error instanceof Error ? error.message : String(error);
    if (isCacheLoss(error)) {
      // Straight to a rebuild, whatever the checkpoint says now (the write that noticed may have set it):
      // every moment the cache stays empty, checks deny.
      void this.halt().then(() => this.restart(0, error as Error));
      return;
    }
    this.failures++;
    const delay = Math.min(30_000, 100 * 2 ** Math.min(this.failures, 8));
    this.logger.error(`projection failed (${this.lastError}); restarting in ${delay} ms`);
    void this.halt().then(() => this.restart(delay));
  }

  private restart(delay: number, loss?: Error): void {
    if (this.stopped) return;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopped) return;
      (loss ? this.rebuildLost(loss) : this.start()).catch((error: unknown) => {
        this.lastError = error instanceof Error ? error.message : String(error);
        this.failures++;
        // A rebuild that could not even clear the cache is still owed.
        this.restart(Math.min(30_000, 100 * 2 ** Math.min(this.failures, 8)), loss);
      });
    }, delay);
  }

  /** Stops the loop and the subscription, waiting for the write in flight: nothing lands after this. */
  private async halt(): Promise<void> {
    this.generation++;
    const sub = this.subscription;
    this.subscription = null;
    await Promise.all([sub?.close(), this.catchingUp?.catch(() => undefined)]);
  }
}
