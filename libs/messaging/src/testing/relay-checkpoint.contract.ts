import { RelayCheckpointStore } from '../checkpoint/relay-checkpoint.port';

/**
 * The behaviour every RelayCheckpointStore adapter must have. `open` returns a store at
 * a fresh location; `reopen` a second instance at the same location (a restarted process).
 */
export interface RelayCheckpointStoreFactory {
  open(): Promise<{ store: RelayCheckpointStore; reopen: () => Promise<RelayCheckpointStore>; cleanup: () => Promise<void> }>;
}

export function describeRelayCheckpointStoreContract(name: string, factory: RelayCheckpointStoreFactory): void {
  describe(`RelayCheckpointStore contract: ${name}`, () => {
    let store: RelayCheckpointStore;
    let reopen: () => Promise<RelayCheckpointStore>;
    let cleanup: () => Promise<void>;
    const others: RelayCheckpointStore[] = [];

    beforeEach(async () => {
      ({ store, reopen, cleanup } = await factory.open());
    });
    afterEach(async () => {
      for (const o of others.splice(0)) await o.close();
      await store.close();
      await cleanup();
    });

    const again = async () => {
      const s = await reopen();
      others.push(s);
      return s;
    };

    it('starts with no checkpoint', async () => {
      expect(await store.load()).toBeNull();
    });

    it('returns what was saved last, also to a new instance at the same place (a restart)', async () => {
      await store.save(0n);
      expect(await store.load()).toBe(0n);
      await store.save(41n);
      await store.save(42n);
      expect(await store.load()).toBe(42n);
      expect(await (await again()).load()).toBe(42n);
    });

    it('keeps positions beyond 2^53 exact (EventStoreDB commit positions are 64-bit)', async () => {
      const big = 2n ** 63n - 7n;
      await store.save(big);
      expect(await (await again()).load()).toBe(big);
    });

    it('refuses a negative position and keeps the previous one', async () => {
      await store.save(5n);
      await expect(store.save(-1n)).rejects.toThrow(RangeError);
      expect(await store.load()).toBe(5n);
    });

    it('settles concurrent saves on one of the saved values, never a torn one', async () => {
      const values = Array.from({ length: 20 }, (_, i) => BigInt(1000 + i * 111_111));
      await Promise.all(values.map((v) => store.save(v)));
      expect(values).toContain(await store.load());
    });

    it('describes where it keeps the checkpoint', () => {
      expect(store.describe.length).toBeGreaterThan(0);
    });
  });
}
