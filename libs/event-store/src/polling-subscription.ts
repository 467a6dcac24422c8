import { BatchHandler, ReadAllOptions, RecordedEvent, SubscribeOptions, Subscription } from './event-store.port';

/**
 * A catch-up subscription for stores without push delivery (SQLite, in-memory).
 * It reads in batches until caught up, then sleeps until `wake()` (called by the
 * same process after an append) or the poll interval elapses (another process
 * may share the SQLite file).
 */
export class PollingSubscription implements Subscription {
  readonly done: Promise<void>;
  private closed = false;
  private wakeUp: (() => void) | null = null;
  private resolveDone!: () => void;
  private rejectDone!: (e: unknown) => void;

  constructor(
    private readonly readAll: (o: ReadAllOptions) => Promise<RecordedEvent[]>,
    options: SubscribeOptions,
    private readonly handler: BatchHandler,
    private readonly pollIntervalMs: number,
    private readonly onClose: (s: PollingSubscription) => void,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // A rejection nobody awaits must not crash the process; owners observe `done`.
    this.done.catch(() => undefined);
    void this.run(options.after, options.maxBatch ?? 500);
  }

  wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake();
    await this.done.catch(() => undefined);
  }

  private async run(after: bigint | null, maxBatch: number): Promise<void> {
    let checkpoint = after;
    try {
      while (!this.closed) {
        const batch = await this.readAll({ after: checkpoint, maxCount: maxBatch });
        if (this.closed) break;
        if (batch.length > 0) {
          await this.handler(batch);
          checkpoint = batch[batch.length - 1].position;
          // A long catch-up (a rebuild) must not starve requests: give the event loop a turn per batch.
          await new Promise<void>((resolve) => setImmediate(resolve));
          continue;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.pollIntervalMs);
          this.wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      this.resolveDone();
    } catch (error) {
      this.rejectDone(error);
    } finally {
      this.onClose(this);
    }
  }
}
