import type { Redis } from 'ioredis';
import { assertPosition, parsePosition, RelayCheckpointStore } from './relay-checkpoint.port';

/**
 * The checkpoint in Redis (production: the relay may move between instances that share
 * no disk). One string key; SET is atomic and, with the server's persistence, durable.
 */
export class RedisRelayCheckpointStore implements RelayCheckpointStore {
  readonly describe: string;

  /**
   * @param redis the connection; this store owns it when `ownsConnection` is true (close quits it).
   * @param key e.g. `gh:kafka-relay:gatehouse.events:checkpoint`
   */
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly ownsConnection = false,
  ) {
    this.describe = `redis key ${key}`;
  }

  static key(prefix: string, name: string): string {
    return `${prefix}:kafka-relay:${name}:checkpoint`;
  }

  async load(): Promise<bigint | null> {
    const raw = await this.redis.get(this.key);
    return raw === null ? null : parsePosition(raw, this.describe);
  }

  async save(position: bigint): Promise<void> {
    assertPosition(position);
    await this.redis.set(this.key, position.toString());
  }

  async close(): Promise<void> {
    if (this.ownsConnection) await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
