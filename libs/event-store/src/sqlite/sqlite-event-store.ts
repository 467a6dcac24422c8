import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  AppendResult,
  BatchHandler,
  EventPayload,
  checkExpectedRevision,
  EventMetadata,
  EventStore,
  EventStoreUnavailableError,
  ExpectedRevision,
  NewEvent,
  NO_STREAM_REVISION,
  ReadAllOptions,
  ReadStreamResult,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from '../event-store.port';
import { PollingSubscription } from '../polling-subscription';

export interface SqliteEventStoreOptions {
  /** Path of the database file; its directory is created when missing. */
  file: string;
  /** How often idle subscriptions look for appends made by other processes. Default 100 ms. */
  pollIntervalMs?: number;
  /**
   * Checkpoint the write-ahead log from a worker thread (default true) rather than inside
   * an append: a checkpoint syncs the database file to disk, and every commit that
   * happened to trigger one used to wait for that sync on the event loop.
   */
  checkpointInWorker?: boolean;
}

const CHECKPOINT_EVERY_MS = 200;
/** Past this many WAL pages an append checkpoints inline after all (the worker stuck, or starved by readers). */
const INLINE_CHECKPOINT_PAGES = 50_000;

/**
 * The checkpointer: its own connection, in its own thread, so the fsync of a checkpoint
 * never blocks the event loop. PASSIVE: it never waits for (nor blocks) readers and
 * writers, and costs next to nothing when the log holds nothing new.
 */
const CHECKPOINTER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
const checkpoint = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} };
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
 * Append new entries, never edit old ones: files in the field already ran them.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE events (
     position INTEGER PRIMARY KEY AUTOINCREMENT,
     stream_id TEXT NOT NULL,
     revision INTEGER NOT NULL,
     id TEXT NOT NULL UNIQUE,
     type TEXT NOT NULL,
     data TEXT NOT NULL,
     metadata TEXT NOT NULL,
     UNIQUE (stream_id, revision)
   ) STRICT`,
];

/** A row in the column order of the SELECTs below; read in raw (array) mode to save an object per row. */
type EventRow = [position: bigint, streamId: string, revision: bigint, id: string, type: string, data: string, metadata: string];

const COLUMNS = 'position, stream_id, revision, id, type, data, metadata';

/**
 * The single-node production store: one SQLite file in WAL mode. Positions are the
 * AUTOINCREMENT rowid, assigned under SQLite's write lock, so commit order and position
 * order agree even with several processes writing the same file.
 */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly pollIntervalMs: number;
  private readonly subscriptions = new Set<PollingSubscription>();
  private closed = false;
  private checkpointer: Worker | null = null;

  private readonly selectStreamRevision: Database.Statement<[string]>;
  private readonly selectStream: Database.Statement<[string, bigint]>;
  private readonly selectStreamPage: Database.Statement<[string, bigint, number]>;
  private readonly selectAll: Database.Statement<[bigint, number]>;
  private readonly selectAllPayloads: Database.Statement<[bigint, number]>;
  private readonly selectHead: Database.Statement<[]>;
  private readonly insertEvent: Database.Statement<[string, bigint, string, string, string, string]>;
  private readonly selectPing: Database.Statement<[]>;
  private readonly appendTx: Database.Transaction<(stream: string, events: NewEvent[], expected: ExpectedRevision) => AppendResult>;
  private readonly readStreamTx: Database.Transaction<(stream: string, from: bigint, maxCount?: number) => ReadStreamResult>;

  constructor(options: SqliteEventStoreOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? 100;
    mkdirSync(dirname(options.file), { recursive: true });
    this.db = new Database(options.file);
    try {
      this.db.pragma('busy_timeout = 5000');
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      // Revisions and positions are bigint in the port: read every INTEGER as bigint.
      this.db.defaultSafeIntegers(true);
      migrate(this.db);
    } catch (error) {
      this.db.close();
      throw error;
    }
    if (options.checkpointInWorker ?? true) this.startCheckpointer(options.file);

    this.selectStreamRevision = this.db.prepare('SELECT MAX(revision) FROM events WHERE stream_id = ?').pluck();
    this.selectStream = this.db.prepare(`SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision`).raw();
    this.selectStreamPage = this.db.prepare(`SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?`).raw();
    this.selectAll = this.db.prepare(`SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`).raw();
    this.selectAllPayloads = this.db.prepare('SELECT position, stream_id, revision, type, data FROM events WHERE position > ? ORDER BY position LIMIT ?').raw();
    this.selectHead = this.db.prepare('SELECT MAX(position) FROM events').pluck();
    this.selectPing = this.db.prepare('SELECT 1 FROM events LIMIT 1').pluck();
    this.insertEvent = this.db.prepare('INSERT INTO events (stream_id, revision, id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)');

    this.appendTx = this.db.transaction((stream, events, expected) => {
      const actual = this.streamRevision(stream);
      checkExpectedRevision(stream, expected, actual);
      if (events.length === 0) return { nextRevision: actual, position: this.head() ?? 0n };
      let revision = actual;
      const positions: bigint[] = [];
      for (const e of events) {
        revision += 1n;
        const info = this.insertEvent.run(stream, revision, e.id, e.type, JSON.stringify(e.data ?? null), JSON.stringify(e.metadata));
        positions.push(BigInt(info.lastInsertRowid));
      }
      return { nextRevision: revision, position: positions[positions.length - 1], positions };
    });

    // One read transaction, so the revision matches the events even if another process appends in between.
    this.readStreamTx = this.db.transaction((stream, from, maxCount) => {
      if (maxCount !== undefined) {
        const page = maxCount <= 0 ? [] : (this.selectStreamPage.all(stream, from, maxCount) as EventRow[]);
        return { revision: this.streamRevision(stream), events: page.map(toRecorded) };
      }
      const rows = this.selectStream.all(stream, from) as EventRow[];
      const revision = rows.length > 0 ? rows[rows.length - 1][2] : this.streamRevision(stream);
      return { revision, events: rows.map(toRecorded) };
    });
  }

  async readStream(stream: string, options: { fromRevision?: bigint; maxCount?: number } = {}): Promise<ReadStreamResult> {
    return this.run(() => this.readStreamTx(stream, options.fromRevision ?? 0n, options.maxCount));
  }

  async appendToStream(stream: string, events: NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    // BEGIN IMMEDIATE takes the write lock before reading the revision, so the check and the insert are one step.
    const result = this.run(() => this.appendTx.immediate(stream, events, options.expectedRevision));
    if (events.length > 0) for (const s of this.subscriptions) s.wake();
    return result;
  }

  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    // SQLite reads a negative LIMIT as "no limit".
    if (options.maxCount <= 0) return [];
    return this.run(() => (this.selectAll.all(options.after ?? 0n, options.maxCount) as EventRow[]).map(toRecorded));
  }

  async readAllPayloads(options: ReadAllOptions): Promise<EventPayload[]> {
    if (options.maxCount <= 0) return [];
    return this.run(() =>
      (this.selectAllPayloads.all(options.after ?? 0n, options.maxCount) as [bigint, string, bigint, string, string][]).map((row) => ({
        position: row[0],
        streamId: row[1],
        revision: row[2],
        type: row[3],
        data: JSON.parse(row[4]) as unknown,
      })),
    );
  }

  async headPosition(): Promise<bigint | null> {
    return this.run(() => this.head());
  }

  subscribeToAll(options: SubscribeOptions, handler: BatchHandler): Subscription {
    this.ensureOpen();
    const sub = new PollingSubscription((o) => this.readAll(o), options, handler, this.pollIntervalMs, (s) => this.subscriptions.delete(s));
    this.subscriptions.add(sub);
    return sub;
  }

  async ping(): Promise<void> {
    this.run(() => this.selectPing.get());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    const checkpointer = this.checkpointer;
    this.checkpointer = null;
    if (checkpointer) {
      const exited = new Promise<void>((resolve) => checkpointer.once('exit', () => resolve()));
      checkpointer.postMessage('close');
      // A checkpointer stuck on the disk must not hold the close forever.
      const timer = setTimeout(() => void checkpointer.terminate(), 5000);
      await exited;
      clearTimeout(timer);
    }
    this.db.close();
  }

  /** Moves WAL checkpoints off the event loop; without a worker, SQLite's automatic checkpoints stay on. */
  private startCheckpointer(file: string): void {
    try {
      const worker = new Worker(CHECKPOINTER, {
        eval: true,
        workerData: { file, driver: require.resolve('better-sqlite3'), everyMs: CHECKPOINT_EVERY_MS },
      });
      worker.unref();
      // Should the worker die, appends checkpoint again themselves.
      const fallback = () => {
        if (this.closed) return;
        this.checkpointer = null;
        this.db.pragma('wal_autocheckpoint = 1000');
      };
      worker.once('error', fallback);
      worker.once('exit', fallback);
      this.db.pragma(`wal_autocheckpoint = ${INLINE_CHECKPOINT_PAGES}`);
      this.checkpointer = worker;
    } catch {
      // No worker threads here: keep SQLite's automatic checkpoints.
    }
  }

  private streamRevision(stream: string): bigint {
    return (this.selectStreamRevision.get(stream) as bigint | null) ?? NO_STREAM_REVISION;
  }

  private head(): bigint | null {
    return this.selectHead.get() as bigint | null;
  }

  private ensureOpen(): void {
    if (this.closed) throw new EventStoreUnavailableError('the SQLite event store is closed');
  }

  /** A locked database (another process holding the write lock past busy_timeout) is a retry-later condition. */
  private run<T>(work: () => T): T {
    this.ensureOpen();
    try {
      return work();
    } catch (error) {
      const code = sqliteCode(error);
      if (/^SQLITE_(BUSY|LOCKED)/.test(code)) {
        throw new EventStoreUnavailableError(`SQLite event store is locked: ${(error as Error).message}`, error);
      }
      // The file or its disk failing (read-only, full, I/O errors): nothing was written, and a retry later may succeed.
      if (/^SQLITE_(READONLY|IOERR|FULL|CANTOPEN)/.test(code)) {
        throw new EventStoreUnavailableError(`SQLite event store cannot write: ${(error as Error).message}`, error);
      }
      throw error;
    }
  }
}

/**
 * The SQLite result code of a driver error, or ''. By its code, not its class: the native
 * addon keeps the error class of the first copy of the driver loaded in the process, so
 * `instanceof` fails wherever modules are loaded more than once (jest's registries, realms).
 */
function sqliteCode(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : '';
}

function migrate(db: Database.Database): void {
  // IMMEDIATE: two processes opening a new file at once must not both run the migrations.
  db.transaction(() => {
    const version = Number(db.pragma('user_version', { simple: true }));
    if (version > MIGRATIONS.length) {
      throw new Error(`event store schema version ${version} is newer than this build knows (${MIGRATIONS.length})`);
    }
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]);
    if (version !== MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}

function toRecorded(row: EventRow): RecordedEvent {
  return {
    position: row[0],
    streamId: row[1],
    revision: row[2],
    id: row[3],
    type: row[4],
    data: JSON.parse(row[5]) as unknown,
    metadata: JSON.parse(row[6]) as EventMetadata,
  };
}
