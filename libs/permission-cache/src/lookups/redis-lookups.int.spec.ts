import { Redis } from 'ioredis';
import { redisUrlOrSkip, uniqueRedisPrefix } from '../../../../test/support/redis';
import { RedisPermissionCache } from '../redis/redis-permission-cache';
import { describeLookupsContract } from './lookups.contract';

const url = redisUrlOrSkip('Redis resource registry (redis-lookups.int.spec.ts)');
const FILE_PREFIX = uniqueRedisPrefix('lookups');
let n = 0;

(url ? describe : describe.skip)('RedisPermissionCache lookups', () => {
  describeLookupsContract('redis', async () => {
    const cache = new RedisPermissionCache({ redis: new Redis(url!), prefix: `${FILE_PREFIX}:${++n}` });
    return {
      cache,
      cleanup: async () => {
        await cache.clear();
        await cache.close();
      },
    };
  });
});
