import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { redisUrlOrSkip, uniqueRedisPrefix } from '../../../../test/support/redis';
import { describeRelayCheckpointStoreContract } from '../testing/relay-checkpoint.contract';
import { FileRelayCheckpointStore } from './file-relay-checkpoint-store';
import { RedisRelayCheckpointStore } from './redis-relay-checkpoint-store';

describeRelayCheckpointStoreContract('file', {
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-relay-checkpoint-'));
    return {
      store: FileRelayCheckpointStore.inDirectory(dir, 'gatehouse.events'),
      reopen: async () => FileRelayCheckpointStore.inDirectory(dir, 'gatehouse.events'),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
});

describe('FileRelayCheckpointStore specifics', () => {
  it('writes through a temporary file and leaves only the checkpoint behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-relay-checkpoint-'));
    const store = FileRelayCheckpointStore.inDirectory(dir, 'gatehouse.events');
    for (let i = 0n; i < 50n; i++) await store.save(i);
    expect(readdirSync(dir)).toEqual(['kafka-relay.gatehouse.events.checkpoint']);
    expect(readFileSync(join(dir, 'kafka-relay.gatehouse.events.checkpoint'), 'utf8')).toBe('49\n');
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports a corrupt file instead of starting over from zero silently', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-relay-checkpoint-'));
    const file = join(dir, 'cp');
    writeFileSync(file, 'not a number');
    await expect(new FileRelayCheckpointStore(file).load()).rejects.toThrow(/corrupt/);
    rmSync(dir, { recursive: true, force: true });
  });
});

const url = redisUrlOrSkip('RedisRelayCheckpointStore (relay-checkpoint.int.spec.ts)');
const PREFIX = uniqueRedisPrefix('relay-checkpoint');
let n = 0;

(url ? describe : describe.skip)('Redis adapter', () => {
  describeRelayCheckpointStoreContract('redis', {
    async open() {
      const key = RedisRelayCheckpointStore.key(`${PREFIX}:${++n}`, 'gatehouse.events');
      const admin = new Redis(url!);
      return {
        store: new RedisRelayCheckpointStore(new Redis(url!), key, true),
        reopen: async () => new RedisRelayCheckpointStore(new Redis(url!), key, true),
        cleanup: async () => {
          await admin.del(key);
          await admin.quit();
        },
      };
    },
  });
});
