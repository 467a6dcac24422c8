import { EventStore, RecordedEvent, Subscription } from '@gatehouse/event-store';
import { RelayCheckpointStore } from '../checkpoint/relay-checkpoint.port';
import { EventMessage, SkipReason, toEventMessage } from '../event-message';

/** Sends messages and resolves only once the broker acknowledged all of them (acks=all). */
export interface EventPublisher {
  publish(messages: EventMessage[]): Promise<void>;
  close(): Promise<void>;
}

export interface MessagingLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface EventRelayOptions {
  store: EventStore;
  publisher: EventPublisher;
  checkpoints: RelayCheckpointStore;
  logger: MessagingLogger;
  /** Largest batch read from the store and sent in one produce call. */
  maxBatch?: number;
  /** Retry delays: doubling from `initialMs` up to `maxMs`. */
  backoff?: { initialMs: number; maxMs: number };
}

export type RelayStatus = 'stopped' | 'starting' | 'running' | 'retrying';

class RelayStopped extends Error {}

/**
 * Every stored event to Kafka, through a checkpointed subscription (DESIGN §5): a batch
 * is published, the broker acknowledges it, and only then does the checkpoint move. A
 * crash between the two republishes the batch (at least once; consumers dedupe by event
 * id), never skips it. While the broker is down the batch in hand is retried with
 * backoff, holding the subscription where it is: nothing is lost, nothing overtakes
 * (one batch in flight at a time keeps each account's order), and the rest of the
 * service, which never waits for the relay, keeps serving.
 */
export class EventRelay {
  status: RelayStatus = 'stopped';
  /** Last position the broker acknowledged (and the checkpoint store holds). */
  checkpoint: bigint | null = null;
  lastError: string | null = null;
  readonly counters = { published: 0, batches: 0, failures: 0, skipped: { identity_stream: 0, unknown_type: 0 } as Record<SkipReason, number> };

  private subscription: Subscription | null = null;
  private stopped = true;
  private restartTimer: NodeJS.Timeout | null = null;
  private wakeSleeper: (() => void) | null = null;
  private readonly waiters = new Set<() => void>();
  private readonly maxBatch: number;
  private readonly backoff: { initialMs: number; maxMs: number };

  constructor(private readonly options: EventRelayOptions) {
    this.maxBatch = options.maxBatch ?? 500;
    // A capped, short backoff: an attempt against a down broker is cheap, and catching up promptly matters.
    this.backoff = options.backoff ?? { initialMs: 200, maxMs: 5000 };
  }

  /** Starts in the background: a broker or store that is down is retried, never thrown at the caller. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.status = 'starting';
    void this.subscribe(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.wakeSleeper?.();
    await this.subscription?.close();
    this.subscription = null;
    this.status = 'stopped';
    this.notify();
  }

  /** Store positions not yet acknowledged by Kafka (with SQLite, the number of events). */
  async lag(): Promise<{ head: bigint; checkpoint: bigint; lag: bigint }> {
    const head = (await this.options.store.headPosition()) ?? 0n;
    const checkpoint = this.checkpoint ?? 0n;
    return { head, checkpoint, lag: head > checkpoint ? head - checkpoint : 0n };
  }

  /** Resolves true once everything up to `position` was acknowledged, false after `timeoutMs`. */
  async waitFor(position: bigint, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.checkpoint === null || this.checkpoint < position) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 50));
        const waiter = () => done();
        const waiters = this.waiters;
        function done() {
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve();
        }
        waiters.add(waiter);
      });
    }
    return true;
  }

  private async subscribe(failures: number): Promise<void> {
    if (this.stopped) return;
    try {
      this.checkpoint = await this.options.checkpoints.load();
    } catch (error) {
      return this.restartLater(failures + 1, error, 'loading the checkpoint');
    }
    const sub = this.options.store.subscribeToAll({ after: this.checkpoint, maxBatch: this.maxBatch }, (events) => this.relay(events));
    this.subscription = sub;
    this.status = 'running';
    sub.done.then(
      () => undefined,
      (error: unknown) => {
        if (this.subscription === sub) this.subscription = null;
        if (!(error instanceof RelayStopped)) this.restartLater(failures + 1, error, 'the store subscription');
      },
    );
  }

  private restartLater(failures: number, error: unknown, what: string): void {
    if (this.stopped) return;
    this.status = 'retrying';
    this.lastError = `${what}: ${errorText(error)}`;
    const delay = this.delay(failures);
    this.options.logger.error(`relay: ${this.lastError}; restarting in ${delay} ms`);
    this.restartTimer = setTimeout(() => void this.subscribe(failures), delay);
  }

  private async relay(events: RecordedEvent[]): Promise<void> {
    const messages: EventMessage[] = [];
    const skipped: SkipReason[] = [];
    for (const event of events) {
      const outcome = toEventMessage(event);
      if ('skip' in outcome) {
        skipped.push(outcome.skip);
        if (outcome.skip === 'unknown_type') this.options.logger.warn(`relay: event ${event.id} of unknown type ${event.type} not published`);
      } else messages.push(outcome.message);
    }
    const last = events[events.length - 1].position;
    if (messages.length > 0) await this.untilDone('publishing to Kafka', () => this.options.publisher.publish(messages));
    await this.untilDone('saving the checkpoint', () => this.options.checkpoints.save(last));
    this.checkpoint = last;
    this.counters.published += messages.length;
    this.counters.batches++;
    for (const s of skipped) this.counters.skipped[s]++;
    this.notify();
  }

  /** Retries `work` with backoff until it succeeds or the relay stops. */
  private async untilDone(what: string, work: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (this.stopped) throw new RelayStopped('relay stopped');
      try {
        await work();
        if (attempt > 0) this.options.logger.log(`relay: ${what} succeeded again after ${attempt} failed attempts`);
        this.status = 'running';
        this.lastError = null;
        return;
      } catch (error) {
        if (this.stopped) throw new RelayStopped('relay stopped');
        this.counters.failures++;
        this.status = 'retrying';
        this.lastError = `${what}: ${errorText(error)}`;
        const delay = this.delay(attempt + 1);
        // The first failure and then every tenth: an outage must not flood the log.
        if (attempt % 10 === 0) this.options.logger.warn(`relay: ${this.lastError}; retrying in ${delay} ms (attempt ${attempt + 1})`);
        await this.sleep(delay);
      }
    }
  }

  private delay(failures: number): number {
    const base = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** Math.min(failures - 1, 16));
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakeSleeper = null;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakeSleeper = wake;
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error);
}
