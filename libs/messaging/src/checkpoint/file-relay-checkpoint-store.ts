import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { assertPosition, parsePosition, RelayCheckpointStore } from './relay-checkpoint.port';

/**
 * The checkpoint as a small file (embedded mode: next to the SQLite store under
 * GATEHOUSE_DATA_DIR). Written to a temporary file, flushed, then renamed over the old
 * one, so a crash leaves either the old or the new position, never a torn one.
 */
export class FileRelayCheckpointStore implements RelayCheckpointStore {
  readonly describe: string;

  constructor(private readonly file: string) {
    this.describe = `file ${file}`;
  }

  /** One file per relay name (the topic), so pointing the relay at a new topic republishes everything there. */
  static inDirectory(dir: string, name: string): FileRelayCheckpointStore {
    return new FileRelayCheckpointStore(join(dir, `kafka-relay.${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.checkpoint`));
  }

  async load(): Promise<bigint | null> {
    let raw: string;
    try {
      raw = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return parsePosition(raw, this.file);
  }

  async save(position: bigint): Promise<void> {
    assertPosition(position);
    await fs.mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(`${position}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fs.rename(tmp, this.file);
    } catch (error) {
      await fs.rm(tmp, { force: true });
      throw error;
    }
  }

  async close(): Promise<void> {}
}
