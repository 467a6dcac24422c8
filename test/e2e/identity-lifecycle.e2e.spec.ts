import Redis from 'ioredis';
import { redisUrlOrSkip } from '../support/redis';

/** Every key and value this instance wrote to Redis, as text. */
async function dumpRedis(prefix: string): Promise<string> {
  const redis = new Redis(process.env.GATEHOUSE_TEST_REDIS_URL!);
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      const value =
        type === 'hash'
          ? await redis.hgetall(key)
          : type === 'zset'
            ? await redis.zrange(key, 0, -1, 'WITHSCORES')
            : type === 'set'
              ? await redis.smembers(key)
              : type === 'list'
                ? await redis.lrange(key, 0, -1)
                : await redis.get(key);
      out.push(key, JSON.stringify(value));
    }
  } while (cursor !== '0');
  await redis.quit();
  expect(out.length).toBeGreaterThan(10);
  return out.join('\n');
}
import { eventCount, ROOT_KEY, startGatehouse, TestClock, TestGatehouse } from '../support/gatehouse';

/**
 * Issue 4, over HTTP, with the in-process cache and with Redis: who gets in, how, and
 * how they get out. Every denial is checked with the change's revision as `atLeast`, so
 * "immediate" means the first check that passes it.
 */
const caches: ('in-process' | 'redis')[] = ['in-process'];
if (redisUrlOrSkip('identity lifecycle over Redis')) caches.push('redis');

describe.each(caches)('identity lifecycle (%s cache)', (cache) => {
  let gh: TestGatehouse;
  const clock = new TestClock(Date.parse('2026-11-23T10:00:00Z'));
  const secrets: string[] = [];
  const logs: string[] = [];
  const A = '/v1/accounts/acme';
  let admin: { id: string; key: string };

  const remember = <T extends string | undefined>(secret: T): T => {
    if (secret) secrets.push(secret);
    return secret;
  };
  async function join(account: string, email: string, roles: string[] = []) {
    const inv = await gh.http('POST', `/v1/accounts/${account}/users`, { key: ROOT_KEY, body: { email, ...(roles.length ? { roles } : {}) } });
    expect(inv.status).toBe(201);
    remember(inv.body.invitation.token);
    const ok = await gh.http('POST', `/v1/accounts/${account}/invitations/accept`, { body: { token: inv.body.invitation.token } });
    expect(ok.status).toBe(200);
    const key = await gh.http('POST', `/v1/accounts/${account}/users/${inv.body.id}/api-keys`, { key: ROOT_KEY, body: {} });
    expect(key.status).toBe(201);
    // No waiting for the key's revision: a key must work on its first use (key-lookup.unit.spec.ts holds the race).
    return { id: inv.body.id as string, key: remember(key.body.key as string), keyId: key.body.id as string };
  }
  const checkKey = (account: string, apiKey: string, action: string, atLeast?: string) =>
    gh.http('POST', `/v1/accounts/${account}/check`, {
      key: ROOT_KEY,
      body: { principal: { apiKey }, action, ...(atLeast ? { consistency: { atLeast } } : {}) },
    });

  beforeAll(async () => {
    gh = await startGatehouse({ cache, clock, logs });
    const acct = await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'acme', preset: 'fireworks', admins: ['admin@acme.test'] } });
    const key = await gh.http('POST', `${A}/users/${acct.body.admins[0].id}/api-keys`, { key: ROOT_KEY, body: {} });
    admin = { id: acct.body.admins[0].id, key: remember(key.body.key) };
    await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'globex', preset: 'fireworks', admins: [] } });
  });
  afterAll(() => gh.stop());

  it('one global user per email, several accounts; membership in one grants nothing in the other', async () => {
    const inAcme = await join('acme', 'multi@x.test', ['user']);
    const inGlobex = await join('globex', 'MULTI@x.test', ['inference-user']);
    expect(inGlobex.id).toBe(inAcme.id);
    // The acme key is worthless in globex, even though the user is a member there.
    expect((await checkKey('globex', inAcme.key, 'deployment:infer')).body.reason).toBe('KEY_NOT_FOUND');
    expect((await checkKey('acme', inAcme.key, 'dataset:delete')).body.allowed).toBe(true);
    expect((await checkKey('globex', inGlobex.key, 'dataset:delete')).body.reason).toBe('NO_GRANT');
    const mine = await gh.http('GET', '/v1/me/accounts', { key: inAcme.key });
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((i: { account: string; roles: string[] }) => [i.account, i.roles]).sort()).toEqual([
      ['acme', ['user']],
      ['globex', ['inference-user']],
    ]);
  });

  it('deactivation denies the member and every key at once; reactivation restores them', async () => {
    const m = await join('acme', 'deact@x.test', ['contributor']);
    const off = await gh.http('POST', `${A}/users/${m.id}/deactivate`, { key: admin.key });
    expect(off.body).toMatchObject({ status: 'deactivated' });
    expect((await checkKey('acme', m.key, 'dataset:create', off.body.revision)).body.reason).toBe('PRINCIPAL_DEACTIVATED');
    expect((await gh.http('GET', `${A}/users`, { key: m.key })).status).toBe(401);
    const on = await gh.http('POST', `${A}/users/${m.id}/reactivate`, { key: admin.key });
    expect(on.body.status).toBe('active');
    expect((await checkKey('acme', m.key, 'dataset:create', on.body.revision)).body.allowed).toBe(true);
    expect((await gh.http('POST', `${A}/users/${m.id}/reactivate`, { key: admin.key })).body.status).toBe('active');
    const self = await gh.http('POST', `${A}/users/${admin.id}/deactivate`, { key: admin.key });
    expect(self.body.code).toBe('ADMIN.LAST_ADMIN');
  });

  it('removal ends the membership and its keys, and they stay dead if the same person is invited again', async () => {
    const m = await join('acme', 'gone@x.test', ['user']);
    const removed = await gh.http('DELETE', `${A}/users/${m.id}`, { key: admin.key });
    expect(removed.body.status).toBe('removed');
    expect((await checkKey('acme', m.key, 'dataset:read', removed.body.revision)).body.reason).toBe('PRINCIPAL_REMOVED');
    const again = await join('acme', 'gone@x.test', ['user']);
    expect(again.id).toBe(m.id);
    expect((await checkKey('acme', m.key, 'dataset:read')).body.reason).toBe('KEY_REVOKED');
    expect((await checkKey('acme', again.key, 'dataset:read')).body.allowed).toBe(true);
    expect((await gh.http('GET', `${A}/users`, { key: m.key })).status).toBe(401);
  });

  it('an expired key is denied by checks and by authentication, with no waiting (injected clock)', async () => {
    const m = await join('acme', 'expiry@x.test', ['user']);
    const soon = new Date(clock.now().getTime() + 60_000).toISOString();
    const k = await gh.http('POST', `${A}/users/${m.id}/api-keys`, { key: m.key, body: { expiresAt: soon } });
    remember(k.body.key);
    expect((await checkKey('acme', k.body.key, 'dataset:read', k.body.revision)).body.allowed).toBe(true);
    clock.advance(61_000);
    expect((await checkKey('acme', k.body.key, 'dataset:read')).body.reason).toBe('KEY_EXPIRED');
    expect((await gh.http('GET', `${A}/users`, { key: k.body.key })).status).toBe(401);
  });

  it('restricted keys carry a subset of their owner\'s permissions', async () => {
    const m = await join('acme', 'restricted@x.test', ['user']);
    const k = await gh.http('POST', `${A}/users/${m.id}/api-keys`, { key: m.key, body: { restriction: [{ permission: 'dataset:read' }] } });
    remember(k.body.key);
    expect(k.body.restricted).toBe(true);
    expect((await checkKey('acme', k.body.key, 'dataset:read', k.body.revision)).body.allowed).toBe(true);
    expect((await checkKey('acme', k.body.key, 'dataset:delete')).body.reason).toBe('KEY_RESTRICTED');
    // Acting with the restricted key is restricted too: it cannot mint a wider key for its owner.
    const wider = await gh.http('POST', `${A}/users/${m.id}/api-keys`, { key: k.body.key, body: {} });
    expect(wider.status).toBe(403);
  });

  it('invite links: join with the link\'s role, single account, revocable, use-limited, no escalation', async () => {
    const link = await gh.http('POST', `${A}/invite-links`, { key: admin.key, body: { roles: ['contributor'], maxUses: 2 } });
    expect(link.status).toBe(201);
    expect(remember(link.body.token)).toMatch(/^ghl_/);
    const joined = await gh.http('POST', `${A}/invite-links/join`, { body: { token: link.body.token, email: 'via-link@x.test' } });
    expect(joined.status).toBe(201);
    expect(joined.body).toMatchObject({ status: 'active', roles: ['contributor'] });
    // The same person joining twice gets the first answer, not a second use.
    const again = await gh.http('POST', `${A}/invite-links/join`, { body: { token: link.body.token, email: 'via-link@x.test' } });
    expect(again.body.id).toBe(joined.body.id);
    expect((await gh.http('POST', `${A}/invite-links/join`, { body: { token: link.body.token, email: 'second@x.test' } })).status).toBe(201);
    const third = await gh.http('POST', `${A}/invite-links/join`, { body: { token: link.body.token, email: 'third@x.test' } });
    expect(third.body.code).toBe('INVITE_LINK.USED_UP');
    const elsewhere = await gh.http('POST', '/v1/accounts/globex/invite-links/join', { body: { token: link.body.token, email: 'x@x.test' } });
    expect(elsewhere.body.code).toBe('INVITE_LINK.INVALID');

    const open = await gh.http('POST', `${A}/invite-links`, { key: admin.key, body: {} });
    remember(open.body.token);
    const revoked = await gh.http('DELETE', `${A}/invite-links/${open.body.id}`, { key: admin.key });
    expect(revoked.status).toBe(200);
    expect((await gh.http('POST', `${A}/invite-links/join`, { body: { token: open.body.token, email: 'late@x.test' } })).body.code).toBe('INVITE_LINK.REVOKED');

    const listed = await gh.http('GET', `${A}/invite-links`, { key: admin.key });
    expect(listed.body.items.map((l: { id: string; uses: number; revoked: boolean }) => [l.id, l.uses, l.revoked])).toEqual(
      expect.arrayContaining([
        [link.body.id, 2, false],
        [open.body.id, 0, true],
      ]),
    );
    // A member without user:create may not create links at all; nobody may hand out more than they hold.
    const member = await join('acme', 'linker@x.test', ['user']);
    expect((await gh.http('POST', `${A}/invite-links`, { key: member.key, body: { roles: ['user'] } })).status).toBe(403);
  });

  it('SSO first login creates the member with the default role; later logins are recorded; history is paged newest first', async () => {
    const first = await gh.http('POST', `${A}/sso/login`, { key: ROOT_KEY, body: { email: 'sso@x.test', sourceAddress: '10.0.0.1', userAgent: 'okta' } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ created: true, status: 'active', roles: ['user'] });
    for (let i = 0; i < 4; i++) {
      clock.advance(1000);
      const next = await gh.http('POST', `${A}/sso/login`, { key: ROOT_KEY, body: { email: 'sso@x.test', sourceAddress: `10.0.0.${i + 2}` } });
      expect(next.body.created).toBe(false);
    }
    const page1 = await gh.http('GET', `${A}/users/${first.body.id}/logins?limit=3`, { key: admin.key });
    expect(page1.body.items.map((l: { sourceAddress: string }) => l.sourceAddress)).toEqual(['10.0.0.5', '10.0.0.4', '10.0.0.3']);
    expect(page1.body.items[0]).toMatchObject({ method: 'sso' });
    const page2 = await gh.http('GET', `${A}/users/${first.body.id}/logins?limit=3&cursor=${page1.body.nextCursor}`, { key: admin.key });
    expect(page2.body.items.map((l: { sourceAddress: string }) => l.sourceAddress)).toEqual(['10.0.0.2', '10.0.0.1']);
    expect(page2.body.nextCursor).toBeNull();
    // An invited member is activated by their first SSO login.
    const inv = await gh.http('POST', `${A}/users`, { key: admin.key, body: { email: 'pending@x.test' } });
    remember(inv.body.invitation.token);
    const sso = await gh.http('POST', `${A}/sso/login`, { key: admin.key, body: { email: 'pending@x.test' } });
    expect(sso.body).toMatchObject({ id: inv.body.id, status: 'active', created: false });
    // Logins by password or key are recorded the same way.
    const rec = await gh.http('POST', `${A}/users/${inv.body.id}/logins`, { key: admin.key, body: { method: 'password', userAgent: 'curl' } });
    expect(rec.status).toBe(201);
    expect((await gh.http('POST', `${A}/users/${inv.body.id}/logins`, { key: admin.key, body: { method: 'carrier-pigeon' } })).status).toBe(400);
  });

  it('service accounts hold roles; only admins mint their keys; deleting one kills its keys', async () => {
    const sa = await gh.http('POST', `${A}/service-accounts`, { key: admin.key, body: { name: 'ci-bot', roles: ['contributor'] } });
    expect(sa.status).toBe(201);
    expect(sa.body.id).toMatch(/^sa_/);
    const member = await join('acme', 'sa-tester@x.test', ['user']);
    expect((await gh.http('POST', `${A}/service-accounts/${sa.body.id}/api-keys`, { key: member.key, body: {} })).status).toBe(403);
    const key = await gh.http('POST', `${A}/service-accounts/${sa.body.id}/api-keys`, { key: admin.key, body: {} });
    expect(key.status).toBe(201);
    remember(key.body.key);
    expect((await checkKey('acme', key.body.key, 'dataset:create', key.body.revision)).body.allowed).toBe(true);
    const promoted = await gh.http('POST', `${A}/service-accounts/${sa.body.id}/roles`, { key: admin.key, body: { role: 'user' } });
    expect(promoted.body.roles).toEqual(['contributor', 'user']);
    const check = await gh.http('POST', `${A}/check`, {
      key: ROOT_KEY,
      body: { principal: { type: 'service_account', id: sa.body.id }, action: 'dataset:delete', resource: { owner: 'someone' }, consistency: { atLeast: promoted.body.revision } },
    });
    expect(check.body.allowed).toBe(true);
    const list = await gh.http('GET', `${A}/service-accounts`, { key: member.key });
    expect(list.body.items.map((s: { name: string }) => s.name)).toContain('ci-bot');
    const deleted = await gh.http('DELETE', `${A}/service-accounts/${sa.body.id}`, { key: admin.key });
    expect((await checkKey('acme', key.body.key, 'dataset:read', deleted.body.revision)).body.reason).toBe('PRINCIPAL_REMOVED');
  });

  it('key listings: own keys for a member, all for an admin, last-used times, never a secret', async () => {
    const m = await join('acme', 'lister@x.test', ['user']);
    await gh.http('GET', `${A}/users`, { key: m.key }); // a use
    const own = await gh.http('GET', `${A}/api-keys`, { key: m.key });
    expect(own.body.items.map((k: { owner: { id: string } }) => k.owner.id)).toEqual([m.id]);
    expect(own.body.items[0].lastUsedAt).toBeDefined();
    const all = await gh.http('GET', `${A}/api-keys`, { key: admin.key });
    expect(all.body.items.length).toBeGreaterThan(5);
    const filtered = await gh.http('GET', `${A}/api-keys?owner=${m.id}`, { key: admin.key });
    expect(filtered.body.items.map((k: { id: string }) => k.id)).toEqual([m.keyId]);
  });

  it('introspection: for root and callers of the same account; another account learns nothing', async () => {
    const m = await join('acme', 'intro@x.test', ['contributor']);
    const byRoot = await gh.http('POST', '/v1/introspect', { key: ROOT_KEY, body: { apiKey: m.key } });
    expect(byRoot.body).toMatchObject({ active: true, account: 'acme', principal: { type: 'user', id: m.id }, roles: ['contributor'], status: 'active' });
    const bySibling = await gh.http('POST', '/v1/introspect', { key: admin.key, body: { apiKey: m.key } });
    expect(bySibling.body.active).toBe(true);
    const outsider = await join('globex', 'outsider@x.test', ['user']);
    const byOutsider = await gh.http('POST', '/v1/introspect', { key: outsider.key, body: { apiKey: m.key } });
    expect(byOutsider.body).toEqual({ active: false });
    await gh.http('DELETE', `${A}/api-keys/${m.keyId}`, { key: admin.key });
    const revoked = await gh.http('POST', '/v1/introspect', { key: ROOT_KEY, body: { apiKey: m.key } });
    expect(revoked.body).toMatchObject({ active: false, reason: 'KEY_REVOKED' });
    expect((await gh.http('POST', '/v1/introspect', { body: { apiKey: m.key } })).status).toBe(401);
  });

  it('profile updates: by the user themselves or an admin, not by another member', async () => {
    const m = await join('acme', 'profile@x.test', ['user']);
    const other = await join('acme', 'nosy@x.test', ['user']);
    expect((await gh.http('PATCH', `${A}/users/${m.id}`, { key: m.key, body: { displayName: 'Pat' } })).status).toBe(200);
    expect((await gh.http('PATCH', `${A}/users/${m.id}`, { key: other.key, body: { displayName: 'Mallory' } })).status).toBe(403);
    expect((await gh.http('PATCH', `${A}/users/${m.id}`, { key: admin.key, body: { displayName: 'Patricia' } })).status).toBe(200);
  });

  it('no secret appears in any event, cache entry, listing or log line', async () => {
    expect(secrets.length).toBeGreaterThan(20);
    const events = JSON.stringify(await gh.store.readAll({ after: null, maxCount: 100_000 }), (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    const listings = JSON.stringify([
      (await gh.http('GET', `${A}/users`, { key: admin.key })).body,
      (await gh.http('GET', `${A}/api-keys`, { key: admin.key })).body,
      (await gh.http('GET', `${A}/invite-links`, { key: admin.key })).body,
      (await gh.http('GET', `${A}/service-accounts`, { key: admin.key })).body,
    ]);
    const cacheDump = gh.redisPrefix ? await dumpRedis(gh.redisPrefix) : JSON.stringify(await Promise.all(['acme', 'globex'].map((a) => gh.cache.keys(a))));
    expect(logs.length).toBeGreaterThan(0);
    const logText = logs.join('\n');
    for (const secret of secrets) {
      // The part after the id; base64url secrets may themselves contain '_'.
      const secretPart = /^gh[il]?_[a-z2-7]+_(.+)$/.exec(secret)![1];
      expect(secretPart.length).toBeGreaterThanOrEqual(43);
      for (const [where, text] of [['events', events], ['listings', listings], ['cache', cacheDump], ['logs', logText]] as const) {
        expect({ where, leaked: text.includes(secretPart) }).toEqual({ where, leaked: false });
      }
    }
    expect(listings).not.toContain('secretHash');
  });

  it('deleting the account denies every check and key in it at once, in one event', async () => {
    const m = await join('globex', 'last@x.test', ['user']);
    const before = await eventCount(gh.store);
    const deleted = await gh.http('DELETE', '/v1/accounts/globex', { key: ROOT_KEY });
    expect(deleted.status).toBe(200);
    expect(await eventCount(gh.store)).toBe(before + 1n);
    expect((await checkKey('globex', m.key, 'dataset:read', deleted.body.revision)).body.reason).toBe('ACCOUNT_DELETED');
    expect((await gh.http('GET', '/v1/accounts/globex/users', { key: m.key })).status).toBe(401);
    expect((await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'globex', preset: 'fireworks' } })).body.code).toBe('ACCOUNT.ALREADY_EXISTS');
    // Fireworks admins cannot delete their account: only the platform root key may.
    expect((await gh.http('DELETE', A, { key: admin.key })).status).toBe(403);
  });
});

describe('seed admins from configuration (GATEHOUSE_SEED_ADMINS)', () => {
  it('join at account creation, and at startup for existing accounts, idempotently', async () => {
    const first = await startGatehouse({ env: { GATEHOUSE_SEED_ADMINS: 'seeded:helm@x.test' } });
    const acct = await first.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'seeded', preset: 'adaptive', admins: [] } });
    expect(acct.body.admins.map((a: { email: string }) => a.email)).toEqual(['helm@x.test']);
    await first.stop({ keepData: true });

    // Restart with a second seed admin: added at startup; the first is not touched again.
    const second = await startGatehouse({ dataDir: first.dataDir, env: { GATEHOUSE_SEED_ADMINS: 'seeded:helm@x.test,seeded:ops@x.test,nowhere:x@x.test' } });
    const before = await eventCount(second.store);
    const users = await second.http('GET', '/v1/accounts/seeded/users', { key: ROOT_KEY });
    expect(users.body.items.map((u: { email: string; roles: string[]; teams: string[] }) => [u.email, u.roles, u.teams]).sort()).toEqual([
      ['helm@x.test', ['admin'], ['admin', 'default']],
      ['ops@x.test', ['admin'], ['admin', 'default']],
    ]);
    await second.stop({ keepData: true });
    const third = await startGatehouse({ dataDir: first.dataDir, env: { GATEHOUSE_SEED_ADMINS: 'seeded:helm@x.test,seeded:ops@x.test' } });
    expect(await eventCount(third.store)).toBe(before);
    await third.stop();
  });

  it('configured seed admins join at creation beside the request\'s admins; SSO newcomers get the default role', async () => {
    const gh = await startGatehouse({ env: { GATEHOUSE_SEED_ADMINS: 'late:boss@x.test' } });
    await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'late', preset: 'firefly', admins: ['first@x.test'] } });
    const users = await gh.http('GET', '/v1/accounts/late/users', { key: ROOT_KEY });
    expect(users.body.items.map((u: { email: string }) => u.email).sort()).toEqual(['boss@x.test', 'first@x.test']);
    const sso = await gh.http('POST', '/v1/accounts/late/sso/login', { key: ROOT_KEY, body: { email: 'new@x.test' } });
    expect(sso.body.roles).toEqual(['viewer']);
    await gh.stop();
  });
});
