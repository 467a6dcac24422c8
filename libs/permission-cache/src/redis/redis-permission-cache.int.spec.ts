import { Redis } from 'ioredis';
import { redisUrlOrSkip, uniqueRedisPrefix } from '../../../../test/support/redis';
import { applyEach, describePermissionCacheContract, fireworksHistory, laterHistory } from '../testing/permission-cache.contract';
import { RedisPermissionCache } from './redis-permission-cache';

const url = redisUrlOrSkip('RedisPermissionCache (redis-permission-cache.int.spec.ts)');
const FILE_PREFIX = uniqueRedisPrefix('permission-cache');
let caches = 0;

/** A fresh prefix per cache, so tests start empty and never see each other's keys. */
function makeCache(redis = new Redis(url!)) {
  const cache = new RedisPermissionCache({ redis, prefix: `${FILE_PREFIX}:${++caches}` });
  return { cache, redis };
}

(url ? describe : describe.skip)('RedisPermissionCache', () => {
  describePermissionCacheContract('redis', async () => {
    const { cache } = makeCache();
    return {
      cache,
      cleanup: async () => {
        await cache.clear();
        await cache.close();
      },
    };
  });

  describe('Redis specifics', () => {
    let cache: RedisPermissionCache;
    let redis: Redis;

    beforeEach(async () => {
      ({ cache, redis } = makeCache());
      await applyEach(cache, laterHistory(fireworksHistory()).events);
    });

    afterEach(async () => {
      await cache.clear();
      await cache.close();
    });

    /** Every command ioredis writes to the socket, retries included. */
    function countSentCommands() {
      const sent: string[] = [];
      const original = redis.sendCommand.bind(redis);
      jest.spyOn(redis, 'sendCommand').mockImplementation((command, stream) => {
        sent.push(command.name);
        return original(command, stream);
      });
      return sent;
    }

    it('subject() costs exactly one round trip, by principal and by key', async () => {
      const sent = countSentCommands();
      const before = cache.roundTrips;
      const byPrincipal = await cache.subject('acme', { principal: { type: 'user', id: 'alice' } });
      expect(byPrincipal.view.principal?.roles).toEqual(['inference-user']);
      expect(cache.roundTrips - before).toBe(1);
      expect(sent).toHaveLength(1);
      const byKey = await cache.subject('acme', { keyId: 'key-alice-ro' });
      expect(byKey.view.roles['inference-user']).toBeDefined();
      expect(cache.roundTrips - before).toBe(2);
      expect(sent).toEqual(['evalsha', 'evalsha']);
    });

    it('subjects() costs one round trip for a caller and a whole batch', async () => {
      const sent = countSentCommands();
      const before = cache.roundTrips;
      const refs = [{ keyId: 'key-alice-ro' }, ...['alice', 'bob', 'carol', 'nobody'].map((id) => ({ principal: { type: 'user' as const, id } }))];
      const read = await cache.subjects('acme', refs, [{ type: 'dataset', id: 'd1' }, { type: 'model', id: 'm1' }]);
      expect(read.subjects.map((s) => s.view.principal?.id ?? null)).toEqual(['alice', 'alice', 'bob', null, null]);
      expect(read.resources).toEqual([null, null]);
      expect(cache.roundTrips - before).toBe(1);
      expect(sent).toEqual(['evalsha']);
    });

    it('refuses to write on a checkpoint that vanished (FLUSHALL) until the writer reads the checkpoint again', async () => {
      const at = (await cache.checkpoint())!;
      await redis.del(`${(cache as unknown as { prefix: string }).prefix}:checkpoint`);
      await expect(cache.apply(at + 1n, [{ op: 'account.patch', account: 'acme', status: 'deleted' }])).rejects.toThrow(/checkpoint moved \(expected \d+, found false\)/);
      // Nothing was written: the account is still active, and there is still no checkpoint.
      expect((await cache.subject('acme', { principal: { type: 'user', id: 'alice' } })).view.account?.status).toBe('active');
      expect(await cache.checkpoint()).toBeNull();
      // The writer read the checkpoint (none): a rebuild from the start may write again.
      expect(await cache.apply(1n, [])).toBe(true);
    });

    it('refuses to write on a checkpoint that went back (an older snapshot restored)', async () => {
      const at = (await cache.checkpoint())!;
      await redis.set(`${(cache as unknown as { prefix: string }).prefix}:checkpoint`, String(at - 2n));
      await expect(cache.apply(at + 1n, [])).rejects.toThrow(/checkpoint moved/);
      expect(await cache.checkpoint()).toBe(at - 2n);
      expect(await cache.apply(at - 1n, [])).toBe(true);
    });

    it('a connection that cannot reach Redis is PermissionCacheUnavailableError (PERMISSION_CACHE.UNAVAILABLE), not a raw error', async () => {
      const dead = new RedisPermissionCache({
        redis: new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true }),
        prefix: 'unreachable',
      });
      for (const read of [() => dead.subjects('acme', [{ keyId: 'k' }]), () => dead.checkpoint(), () => dead.apply(1n, [])]) {
        await expect(read()).rejects.toMatchObject({ name: 'PermissionCacheUnavailableError', code: 'PERMISSION_CACHE.UNAVAILABLE', category: 'unavailable' });
      }
      await dead.close().catch(() => undefined);
    });

    it('the first subject() on a fresh connection is one round trip too (EVAL, no NOSCRIPT detour)', async () => {
      const { cache: fresh, redis: freshRedis } = makeCache();
      await fresh.ping();
      const sent: string[] = [];
      const original = freshRedis.sendCommand.bind(freshRedis);
      jest.spyOn(freshRedis, 'sendCommand').mockImplementation((command, stream) => {
        sent.push(command.name);
        return original(command, stream);
      });
      await fresh.subject('acme', { principal: { type: 'user', id: 'alice' } });
      expect(sent).toHaveLength(1);
      await fresh.close();
    });

    it('survives a SCRIPT FLUSH (ioredis resends the script)', async () => {
      await redis.script('FLUSH');
      const view = (await cache.subject('acme', { keyId: 'key-alice' })).view;
      expect(view.key?.status).toBe('revoked');
      expect(await cache.apply(1000n, [{ op: 'account.patch', account: 'acme', status: 'deleted' }])).toBe(true);
    });

    it('lays keys out per account under one hash tag, and re-encodes patched records as proper JSON', async () => {
      const prefix = (cache as unknown as { prefix: string }).prefix;
      const keys = (await redis.keys(`${prefix}:*`)).sort();
      expect(keys).toEqual(
        [
          'checkpoint',
          'keyaccount',
          '{acme}:meta',
          '{acme}:roles',
          '{acme}:principals',
          '{acme}:keys',
          '{acme}:pix', // every principal key, for lookups (lookups/redis-lookups.ts)
          '{globex}:meta',
          '{globex}:roles',
          '{globex}:principals',
          '{globex}:keys',
          '{globex}:pix',
          // The user → accounts index, one hash per user.
          '{u:alice}:accounts',
          '{u:bob}:accounts',
          '{u:carol}:accounts',
        ]
          .map((k) => `${prefix}:${k}`)
          .sort(),
      );
      // Bob was removed: his emptied role list must be stored as [] (cjson alone would write {}).
      const bob = await redis.hget(`${prefix}:{acme}:principals`, 'user:bob');
      expect(bob).toContain('"roles":[]');
      expect(bob).toContain('"teams":[]');
      await cache.apply(1000n, [{ op: 'account.patch', account: 'acme', status: 'deleted' }]);
      expect(await redis.get(`${prefix}:{acme}:meta`)).toContain('"scopeDimensions":{}');
      expect(await redis.get(`${prefix}:checkpoint`)).toBe('1000');
    });

    it('clear() removes only its own prefix', async () => {
      const { cache: neighbour } = makeCache();
      await applyEach(neighbour, fireworksHistory().events);
      await cache.clear();
      expect(await cache.checkpoint()).toBeNull();
      expect(await neighbour.checkpoint()).toBe(fireworksHistory().events.at(-1)!.position);
      expect((await neighbour.subject('acme', { principal: { type: 'user', id: 'alice' } })).view.principal).not.toBeNull();
      await neighbour.clear();
      await neighbour.close();
    });

    it('a reader on another connection never sees half a batch', async () => {
      const reader = new RedisPermissionCache({ redis: new Redis(url!), prefix: (cache as unknown as { prefix: string }).prefix });
      const role = (name: string) => ({ name, grants: { 'dataset:read': ['any' as const] }, scopes: {} });
      let writing = true;
      const writer = (async () => {
        for (let n = 2000n; n < 2300n; n++) {
          await cache.apply(n, [
            { op: 'role.put', account: 'acme', role: role(`r${n}`) },
            { op: 'principal.patch', account: 'acme', key: 'user:alice', setRoles: [`r${n}`] },
          ]);
        }
        writing = false;
      })();
      let reads = 0;
      while (writing) {
        const s = await reader.subject('acme', { principal: { type: 'user', id: 'alice' } });
        reads++;
        if (s.position! >= 2000n) {
          expect(s.view.principal?.roles).toEqual([`r${s.position}`]);
          expect(s.view.roles[`r${s.position}`]).toEqual(role(`r${s.position}`));
        }
      }
      await writer;
      expect(reads).toBeGreaterThan(0);
      await reader.close();
    });

    it('refuses a negative position, a prefix with braces and an ioredis keyPrefix', async () => {
      await expect(cache.apply(-1n, [])).rejects.toThrow(RangeError);
      expect(() => new RedisPermissionCache({ redis, prefix: 'a{b}' })).toThrow(/braces/);
      const prefixed = new Redis(url!, { keyPrefix: 'x:', lazyConnect: true });
      expect(() => new RedisPermissionCache({ redis: prefixed })).toThrow(/keyPrefix/);
      prefixed.disconnect();
    });
  });
});
