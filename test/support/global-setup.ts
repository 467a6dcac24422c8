import { GlobalWithRedis, REDIS_HANDLE, startRedisServer } from './redis-server';
import { REDIS_URL_ENV, warnRedisSuitesSkipped } from './redis';

/**
 * jest `int` project: one private redis-server shared by every test file. Its URL goes
 * into the environment, which the workers inherit; each file isolates itself with its
 * own key prefix.
 */
export default async function globalSetup(): Promise<void> {
  const handle = await startRedisServer();
  if (!handle) {
    delete process.env[REDIS_URL_ENV];
    warnRedisSuitesSkipped('every Redis integration suite', 'redis-server is not installed and REDIS_URL is unset');
    return;
  }
  (globalThis as GlobalWithRedis)[REDIS_HANDLE] = handle;
  process.env[REDIS_URL_ENV] = handle.url;
}
