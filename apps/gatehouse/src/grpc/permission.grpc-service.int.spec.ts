import { status as Status } from '@grpc/grpc-js';
import { RedisPermissionCache } from '@gatehouse/permission-cache';
import { asRoot, memberWithKey, ROOT_KEY, startGatehouse, TestGatehouse } from '../../../../test/support/gatehouse';
import { GrpcTestClient } from '../../../../test/support/grpc-client';
import { redisUrlOrSkip } from '../../../../test/support/redis';

/**
 * Check and CheckBulk by a caller with an API key cost one cache round trip: the key is
 * read with the check's subjects and verified before evaluation (as POST /check does),
 * not authenticated by a read of its own first. Counted on the Redis cache, where a
 * round trip is a network call; the refusals stay what they were.
 */
(redisUrlOrSkip('gRPC round trips over Redis') ? describe : describe.skip)('gRPC Check over Redis: one round trip for caller and check', () => {
  let gh: TestGatehouse;
  let client: GrpcTestClient;
  let alice: { id: string; key: string };
  let bob: { id: string; key: string };
  let globexKey: string;

  const http = (method: string, url: string, body?: unknown) => asRoot(gh, method, url, body);
  const member = (account: string, email: string, roles: string[]) => memberWithKey(gh, account, email, roles);

  beforeAll(async () => {
    gh = await startGatehouse({ grpc: true, cache: 'redis', env: { GATEHOUSE_CONSISTENCY_TIMEOUT_MS: '3000' } });
    client = new GrpcTestClient(gh.grpcAddress!);
    await http('POST', '/v1/accounts', { id: 'acme', preset: 'fireworks', admins: ['root-admin@acme.test'] });
    await http('POST', '/v1/accounts', { id: 'globex', preset: 'fireworks', admins: ['root-admin@globex.test'] });
    alice = await member('acme', 'alice@acme.test', ['admin']);
    bob = await member('acme', 'bob@acme.test', ['contributor']);
    globexKey = (await member('globex', 'gina@globex.test', ['admin'])).key;
  });
  afterAll(async () => {
    client.close();
    await gh.stop();
  });

  /**
   * Round trips `work` made to Redis, leaving out the server's own periodic traffic: health
   * pings, key-use flushes, the projector's applies and its watchdog's checkpoint reads (a
   * check reads the checkpoint alone only from an empty cache, which this one is not).
   */
  async function roundTripsOf(work: () => Promise<unknown>): Promise<{ trips: number; reads: number }> {
    const cache = gh.cache as RedisPermissionCache;
    const background = ['ping', 'recordKeyUse', 'apply', 'checkpoint'].map((m) => jest.spyOn(cache, m as 'ping'));
    const subjects = jest.spyOn(cache, 'subjects');
    try {
      const before = cache.roundTrips;
      await work();
      const trips = cache.roundTrips - before - background.reduce((n, spy) => n + spy.mock.calls.length, 0);
      return { trips, reads: subjects.mock.calls.length };
    } finally {
      for (const spy of [...background, subjects]) spy.mockRestore();
    }
  }

  const check = (extra: object = {}) => ({ account: 'acme', principal: { user_id: bob.id }, action: 'dataset:create', resource: { type: 'dataset' }, ...extra });

  it('answers a key caller’s Check in one round trip: the caller’s key and the subject in one read', async () => {
    await client.call('Check', check(), { key: alice.key }); // warm: connections, scripts loaded
    const calls = 20;
    const counted = await roundTripsOf(async () => {
      for (let i = 0; i < calls; i++) expect(await client.call('Check', check(), { key: alice.key })).toMatchObject({ allowed: true, reason: 'GRANTED' });
    });
    expect(counted).toEqual({ trips: calls, reads: calls });
  });

  it('answers a key caller’s CheckBulk in one round trip, whatever the items name', async () => {
    const checks = [
      { principal: { user_id: bob.id }, action: 'dataset:create', resource: { type: 'dataset' } },
      { principal: { api_key: bob.key }, action: 'dataset:read' },
      { principal: { user_id: alice.id }, action: 'dataset:delete', resource: { type: 'dataset', owner: bob.id } },
    ];
    const counted = await roundTripsOf(async () => {
      const bulk = await client.call('CheckBulk', { account: 'acme', checks }, { key: alice.key });
      expect(bulk.results.map((r: { answer: { allowed: boolean } }) => r.answer.allowed)).toEqual([true, true, true]);
    });
    expect(counted).toEqual({ trips: 1, reads: 1 });
  });

  it('the root key costs no read beyond the check’s own', async () => {
    expect(await roundTripsOf(() => client.call('Check', check(), { key: ROOT_KEY }))).toEqual({ trips: 1, reads: 1 });
  });

  it('refuses a wrong, unknown or foreign key with UNAUTHENTICATED before evaluating, waiting or validating', async () => {
    const forged = `${alice.key.slice(0, -4)}AAAA`;
    for (const key of [forged, 'gh_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 'not-a-key', globexKey]) {
      // A valid request, one the server would have to wait for, and an invalid one: the key is refused first, alike.
      for (const request of [check(), check({ consistency: { at_least: '999999999' } }), check({ action: 'not an action' })]) {
        const failure = await client.failureOf('Check', request, { key });
        expect({ key, code: Status[failure.code], errorCode: failure.errorCode }).toEqual({ key, code: 'UNAUTHENTICATED', errorCode: 'AUTH.INVALID_CREDENTIALS' });
      }
      for (const request of [{ account: 'acme', checks: [{ action: 'dataset:read' }] }, { account: 'acme', checks: Array.from({ length: 1001 }, () => ({ action: 'dataset:read' })) }]) {
        const failure = await client.failureOf('CheckBulk', request, { key });
        expect({ key, code: Status[failure.code], errorCode: failure.errorCode }).toEqual({ key, code: 'UNAUTHENTICATED', errorCode: 'AUTH.INVALID_CREDENTIALS' });
      }
    }
    // A good key hears what is wrong with the request.
    expect((await client.failureOf('Check', check({ action: 'not an action' }), { key: alice.key })).code).toBe(Status.INVALID_ARGUMENT);
    expect((await client.failureOf('CheckBulk', { account: 'acme', checks: Array.from({ length: 1001 }, () => ({ action: 'dataset:read' })) }, { key: alice.key })).errorCode).toBe('CHECK.TOO_MANY_ITEMS');
  });
});
