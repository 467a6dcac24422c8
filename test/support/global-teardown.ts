import { GlobalWithRedis, REDIS_HANDLE } from './redis-server';

/** Stops the redis-server the global setup started (nothing for an external REDIS_URL). */
export default async function globalTeardown(): Promise<void> {
  const g = globalThis as GlobalWithRedis;
  const handle = g[REDIS_HANDLE];
  delete g[REDIS_HANDLE];
  await handle?.stop();
}
