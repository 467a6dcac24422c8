import {
  AccountEvent,
  accountSnapshotParts,
  accountSnapshotReader,
  AccountState,
  evolveAccount,
  initialAccountState,
  SNAPSHOT_PART_ENTRIES,
} from '@gatehouse/domain';
import { EventStore, RecordedEvent, Subscription } from '@gatehouse/event-store';

/** Snapshot spacing, in events of an account stream: an as-of answer folds at most this many. */
export const SNAPSHOT_EVERY = 2000n;
/** Memory bound for all snapshots together, in JSON characters. */
export const MAX_SNAPSHOT_CHARS = 256 * 1024 * 1024;
const ACCOUNT_STREAM = 'account-';
const PAGE = 2000;
/**
 * Events per batch of the follower: a batch is read and folded in one go, so it bounds
 * how long checks wait behind the follower's catch-up after a restart (measured on the
 * bench's 100,000-user account: longest stall 19-23 ms at 500, 46-56 ms at 2,000).
 */
const FOLLOW_BATCH = 500;

interface Snapshot {
  revision: bigint;
  position: bigint;
  /** The JSON parts (accountSnapshotParts), made and read with a turn of the event loop between two. */
  parts: string[];
  chars: number;
}

/** Lets pending I/O (requests, checks) run: a snapshot of a large account is made and read part by part. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * In-memory snapshots of account streams, every SNAPSHOT_EVERY events, so that folding an
 * account as of any past position starts from a snapshot at most that many events back.
 *
 * A snapshot holds the whole account: for 100,000 users some 20 MB of JSON, 0.1-0.2 s of
 * CPU to make or read. Made in one piece on the event loop that also answers checks, it
 * stalled them for that long every 2,000 writes, and for seconds after a restart while
 * the follower caught up. It is made and read in parts (accountSnapshotParts) with a turn
 * of the event loop between two, so no check waits for more than one part.
 *
 * Snapshots are left by two hands. `follow()` keeps them up to date from the store's
 * global log in the background, so no request pays for the account's age (after a restart
 * that catch-up runs once, off the request path). `stateAt` folds lazily, leaving the
 * snapshots it passes, for streams the follower has not reached yet or does not keep
 * (it stopped keeping them to stay within memory, or it was never started: CLI, tests).
 */
export class AccountSnapshots {
  /** Account stream → snapshots, ascending by revision. */
  private readonly snapshots = new Map<string, Snapshot[]>();
  private chars = 0;
  /** The follower's folded state of each account stream, at `revision`. */
  private readonly live = new Map<string, { state: AccountState; revision: bigint }>();
  /** Streams the follower stopped keeping (memory): they are folded lazily from then on. */
  private readonly dropped = new Set<string>();
  private subscription: Subscription | null = null;
  /** The last global position the follower applied. */
  private followed: bigint | null = null;

  constructor(
    private readonly store: EventStore,
    private readonly every = SNAPSHOT_EVERY,
    private readonly maxChars = MAX_SNAPSHOT_CHARS,
    private readonly entriesPerPart = SNAPSHOT_PART_ENTRIES,
  ) {}

  /** Starts keeping every account's snapshots up to date from the global log (idempotent). */
  follow(): void {
    if (this.subscription) return;
    // The subscription waits for each batch: the live states do not change while a snapshot of one is being made.
    const sub = this.store.subscribeToAll({ after: null, maxBatch: FOLLOW_BATCH }, async (events) => {
      for (const e of events) {
        const snapshot = this.apply(e);
        if (snapshot) await snapshot;
      }
      this.followed = events[events.length - 1].position;
    });
    this.subscription = sub;
    // Snapshots are an optimization: if following fails, as-of answers fold lazily as before.
    sub.done.catch(() => {
      if (this.subscription === sub) this.subscription = null;
    });
  }

  async stop(): Promise<void> {
    const sub = this.subscription;
    this.subscription = null;
    await sub?.close();
  }

  /** Whether the follower runs, and the last global position it applied (for /readyz). */
  progress(): { following: boolean; position: bigint | null } {
    return { following: this.subscription !== null, position: this.followed };
  }

  /** Resolves once the follower has applied the log up to `position` (for benchmarks and tests). */
  async followedTo(position: bigint, timeoutMs = 600_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while ((this.followed ?? 0n) < position) {
      if (!this.subscription || Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return true;
  }

  /** How many snapshots the stream has, and their size (for benchmarks and tests). */
  stats(stream: string): { snapshots: number; chars: number } {
    const list = this.snapshots.get(stream) ?? [];
    return { snapshots: list.length, chars: list.reduce((n, s) => n + s.chars, 0) };
  }

  /**
   * The account stream folded up to global position `limit`, from the nearest snapshot at
   * or before it, leaving snapshots on the way where there are none yet.
   */
  async stateAt(stream: string, limit: bigint): Promise<AccountState> {
    const best = this.nearest(stream, limit);
    let state = best ? await this.read(best) : initialAccountState();
    let from = best ? best.revision + 1n : 0n;
    // Positions grow by at least one per event, so no more than this many events can be due.
    let due = limit - (best ? best.position : 0n);
    while (due > 0n) {
      const maxCount = due < BigInt(PAGE) ? Number(due) : PAGE;
      const { events } = await this.store.readStream(stream, { fromRevision: from, maxCount });
      for (const e of events) {
        if (e.position > limit) return state;
        state = evolveAccount(state, { type: e.type, data: e.data } as AccountEvent);
        // evolveAccount changes `state` in place: the fold waits until the snapshot of it is made.
        if ((e.revision + 1n) % this.every === 0n) await this.remember(stream, e, state);
      }
      if (events.length < maxCount) return state;
      const last = events[events.length - 1];
      from = last.revision + 1n;
      due = limit - last.position;
    }
    return state;
  }

  /** Applies one event of the log; a promise when it leaves a snapshot, which the caller waits for before the next event. */
  private apply(e: RecordedEvent): Promise<void> | undefined {
    if (!e.streamId.startsWith(ACCOUNT_STREAM) || this.dropped.has(e.streamId)) return;
    let live = this.live.get(e.streamId);
    if (!live) this.live.set(e.streamId, (live = { state: initialAccountState(), revision: -1n }));
    if (e.revision <= live.revision) return; // delivered again
    if (e.revision !== live.revision + 1n) {
      // A gap cannot happen with a log read in order; should it, stop trusting this stream.
      this.drop(e.streamId);
      return;
    }
    // evolveAccount updates the state in place: this one belongs to the follower alone.
    live.state = evolveAccount(live.state, { type: e.type, data: e.data } as AccountEvent);
    live.revision = e.revision;
    if ((e.revision + 1n) % this.every === 0n) return this.remember(e.streamId, e, live.state);
    return undefined;
  }

  /** The latest snapshot at or before `limit` (binary search: positions grow with revisions). */
  private nearest(stream: string, limit: bigint): Snapshot | undefined {
    const list = this.snapshots.get(stream);
    if (!list) return undefined;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid].position <= limit) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? list[lo - 1] : undefined;
  }

  /** The snapshot's state, its parts read with a turn of the event loop between two. */
  private async read(snapshot: Snapshot): Promise<AccountState> {
    const reader = accountSnapshotReader();
    for (let i = 0; i < snapshot.parts.length; i++) {
      if (i > 0) await nextTurn();
      reader.read(snapshot.parts[i]);
    }
    return reader.state();
  }

  private async remember(stream: string, at: RecordedEvent, state: AccountState): Promise<void> {
    if (this.snapshots.get(stream)?.some((s) => s.revision === at.revision)) return;
    const parts: string[] = [];
    let chars = 0;
    for (const part of accountSnapshotParts(state, this.entriesPerPart)) {
      if (parts.length > 0) await nextTurn();
      parts.push(part);
      chars += part.length;
    }
    // From here on synchronous: another fold may have left the same snapshot while this one was made.
    let list = this.snapshots.get(stream);
    if (!list) this.snapshots.set(stream, (list = []));
    // Ascending by revision; the follower appends, a lazy fold may fill a hole before the end.
    let i = list.length;
    while (i > 0 && list[i - 1].revision > at.revision) i--;
    if (i > 0 && list[i - 1].revision === at.revision) return;
    list.splice(i, 0, { revision: at.revision, position: at.position, parts, chars });
    this.chars += chars;
    // Bounded memory: drop the oldest streams' snapshots first; they are rebuilt on demand.
    for (const key of this.snapshots.keys()) {
      if (this.chars <= this.maxChars) break;
      if (key !== stream) this.drop(key);
    }
    // One account alone past the bound (a snapshot holds the whole account, so an account
    // of 100,000 users and 60 snapshots would otherwise keep hundreds of megabytes): thin
    // its own snapshots, each time dropping the one whose neighbours lie closest together,
    // so those left stay about evenly spaced and the longest fold stays as short as the
    // memory allows. The newest is kept: it is what current as-of answers start from.
    while (this.chars > this.maxChars && list.length > 1) {
      let victim = 0;
      let narrowest = list.length > 1 ? list[1].revision : 0n;
      for (let k = 1; k < list.length - 1; k++) {
        const gap = list[k + 1].revision - list[k - 1].revision;
        if (gap < narrowest) {
          narrowest = gap;
          victim = k;
        }
      }
      this.chars -= list[victim].chars;
      list.splice(victim, 1);
    }
  }

  private drop(stream: string): void {
    this.chars -= this.stats(stream).chars;
    this.snapshots.delete(stream);
    this.live.delete(stream);
    this.dropped.add(stream);
  }
}
