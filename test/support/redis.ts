import { randomBytes } from 'node:crypto';

/** Set by the int project's global setup to the shared private redis-server. */
export const REDIS_URL_ENV = 'GATEHOUSE_TEST_REDIS_URL';

/**
 * The URL of the test Redis, or null after a loud warning that `suiteName` did not run.
 * Under CI a missing Redis is an error, never a skip.
 *
 *   const url = redisUrlOrSkip('RedisPermissionCache');
 *   (url ? describe : describe.skip)('RedisPermissionCache', () => { ... });
 */
export function redisUrlOrSkip(suiteName: string): string | null {
  const url = process.env[REDIS_URL_ENV];
  if (url) return url;
  if (process.env.CI === 'true') {
    throw new Error(`${suiteName}: ${REDIS_URL_ENV} is unset under CI; the Redis suite must run (is the int project's global setup in use?)`);
  }
  warnRedisSuitesSkipped(suiteName, `${REDIS_URL_ENV} is unset (install redis-server or set REDIS_URL)`);
  return null;
}

/**
 * A key prefix no other test file (or run) shares: workers run files in parallel against
 * one server, so isolation is by prefix. Braces are left out because they would
 * change the Redis Cluster hash tag of every key.
 */
export function uniqueRedisPrefix(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_.-]/g, '-');
  return `gh-test:${safe}:${process.pid}-${randomBytes(4).toString('hex')}`;
}

export function warnRedisSuitesSkipped(what: string, why: string): void {
  const bar = '!'.repeat(78);
  console.warn(`\n${bar}\n!! ${what} did NOT run: ${why}.\n!! Passing tests here say nothing about the Redis adapter.\n${bar}\n`);
}
