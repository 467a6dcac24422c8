import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { eventCount, ROOT_KEY, startGatehouse, TestGatehouse } from '../support/gatehouse';

/**
 * Secrets (API keys, invitation and invite-link tokens, the root key) are shown once and
 * kept nowhere: not in the SQLite event store, not in the Redis cache, not in a log line
 * at debug level — even when they are sent back in checks, introspection and failed
 * authentications. Only their SHA-256 is stored, and the test finds that hash in the
 * store to prove it searched the right bytes.
 */
describe('secrets are hashed and never logged', () => {
  let gh: TestGatehouse;
  const logs: string[] = [];
  const secrets: string[] = [ROOT_KEY];
  let keyHash: string;

  beforeAll(async () => {
    gh = await startGatehouse({ cache: 'redis', logs });
    const A = '/v1/accounts/vault';
    const keep = <T extends { status: number; body: any }>(res: T, ...fields: string[]): T => {
      if (res.status >= 300) throw new Error(`setup failed: ${JSON.stringify(res.body)}`);
      for (const f of fields) secrets.push(f.split('.').reduce((o, k) => o[k], res.body));
      return res;
    };
    const acct = keep(await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'vault', preset: 'custom', admins: ['admin@vault.test'] } }));
    const adminId = acct.body.admins[0].id;
    const adminKey = keep(await gh.http('POST', `${A}/users/${adminId}/api-keys`, { key: ROOT_KEY, body: { name: 'laptop' } }), 'key').body.key as string;
    keyHash = createHash('sha256').update(adminKey.split('_').slice(2).join('_')).digest('hex');
    const inv = keep(await gh.http('POST', `${A}/users`, { key: adminKey, body: { email: 'bob@vault.test' } }), 'invitation.token');
    keep(await gh.http('POST', `${A}/invitations/accept`, { body: { token: inv.body.invitation.token } }));
    const pending = keep(await gh.http('POST', `${A}/users`, { key: adminKey, body: { email: 'carol@vault.test' } }), 'invitation.token');
    const bobKey = keep(await gh.http('POST', `${A}/users/${inv.body.id}/api-keys`, { key: adminKey, body: { restriction: [{ permission: 'member:read' }] } }), 'key');
    const sa = keep(await gh.http('POST', `${A}/service-accounts`, { key: adminKey, body: { name: 'bot', roles: ['member'] } }));
    const saKey = keep(await gh.http('POST', `${A}/service-accounts/${sa.body.id}/api-keys`, { key: adminKey, body: {} }), 'key');
    const link = keep(await gh.http('POST', `${A}/invite-links`, { key: adminKey, body: { maxUses: 3 } }), 'token');
    keep(await gh.http('POST', `${A}/invite-links/join`, { body: { token: link.body.token, email: 'dave@vault.test' } }));

    // Send every secret back the ways a client or an attacker would, successful or not.
    const [, , bobSecret] = bobKey.body.key.split('_');
    for (const s of [...secrets]) {
      await gh.http('POST', `${A}/check`, { key: adminKey, body: { principal: { apiKey: s }, action: 'member:read' } });
      await gh.http('POST', `${A}/checks`, { key: adminKey, body: { checks: [{ principal: { apiKey: s }, action: 'member:read' }] } });
      await gh.http('POST', '/v1/introspect', { key: ROOT_KEY, body: { apiKey: s } });
      await gh.http('GET', `${A}/users`, { key: s });
      await gh.http('GET', '/v1/accounts/elsewhere/users', { key: s });
      await gh.http('POST', `${A}/audit/check`, { key: adminKey, body: { principal: { apiKey: s }, action: 'member:read', asOf: '5' } });
      await gh.http('POST', `${A}/invitations/accept`, { body: { token: s } });
      await gh.http('POST', `${A}/check`, { key: adminKey, raw: `{"principal":{"apiKey":"${s}"},"action":` }); // malformed JSON echoing a secret
    }
    const forged = `gh_${bobKey.body.id}_${bobSecret.split('').reverse().join('')}`;
    secrets.push(forged);
    await gh.http('GET', `${A}/users`, { key: forged });
    await gh.http('DELETE', `${A}/api-keys/${saKey.body.id}`, { key: adminKey });
    await gh.http('POST', `${A}/users/${pending.body.id}/api-keys`, { key: bobKey.body.key, body: {} });
    await gh.http('POST', `${A}/check`, { key: adminKey, body: { principal: { apiKey: saKey.body.key }, action: 'member:read', consistency: { atLeast: String(await eventCount(gh.store)) } } });
    // Key usage is flushed to the cache every few seconds; stop() flushes what is left.
  }, 120_000);

  afterAll(async () => {
    await gh.stop();
  });

  const parts = (secret: string) => [secret, ...secret.split('_').filter((p) => p.length >= 20)];

  it('minted a key, tokens and links to look for', () => {
    expect(secrets.length).toBeGreaterThanOrEqual(8);
    expect(logs.length).toBeGreaterThan(5); // the app logged at debug level: the search below has something to search
  });

  it('keeps no secret in the event store files (only their SHA-256)', async () => {
    const files = readdirSync(gh.dataDir).map((f) => join(gh.dataDir, f));
    const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
    expect(bytes.includes(keyHash)).toBe(true);
    for (const s of secrets) for (const p of parts(s)) expect({ secret: p.slice(0, 10), stored: bytes.includes(p) }).toEqual({ secret: p.slice(0, 10), stored: false });
  });

  it('keeps no secret in the Redis cache', async () => {
    const redis = new Redis(process.env.GATEHOUSE_TEST_REDIS_URL!, { lazyConnect: true });
    await redis.connect();
    try {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', `${gh.redisPrefix}*`, 'COUNT', 1000);
        keys.push(...batch);
        cursor = next;
      } while (cursor !== '0');
      expect(keys.length).toBeGreaterThan(5);
      let dump = keys.join('\n');
      for (const k of keys) {
        const type = await redis.type(k);
        if (type === 'string') dump += (await redis.getBuffer(k))?.toString('latin1') ?? '';
        else if (type === 'hash') dump += JSON.stringify(await redis.hgetall(k));
        else if (type === 'set') dump += (await redis.smembers(k)).join('\n');
        else if (type === 'zset') dump += (await redis.zrange(k, 0, -1)).join('\n');
        else if (type === 'list') dump += (await redis.lrange(k, 0, -1)).join('\n');
      }
      expect(dump).toContain(keyHash); // the key record is in the cache, by hash
      for (const s of secrets) for (const p of parts(s)) expect({ secret: p.slice(0, 10), cached: dump.includes(p) }).toEqual({ secret: p.slice(0, 10), cached: false });
    } finally {
      redis.disconnect();
    }
  });

  it('logs no secret, at debug level, through successes and failures', () => {
    const text = logs.join('\n');
    for (const s of secrets) for (const p of parts(s)) expect({ secret: p.slice(0, 10), logged: text.includes(p) }).toEqual({ secret: p.slice(0, 10), logged: false });
  });

  it('never shows a secret or its hash again: listings and introspection', async () => {
    const A = '/v1/accounts/vault';
    const admin = secrets[1];
    for (const url of [`${A}/api-keys`, `${A}/invite-links`, `${A}/users`, `${A}/service-accounts`, `${A}/audit?limit=1000`]) {
      const res = await gh.http('GET', url, { key: admin });
      expect({ url, status: res.status }).toEqual({ url, status: 200 });
      const text = JSON.stringify(res.body);
      expect(text).not.toContain(keyHash);
      expect(text).not.toMatch(/secretHash/i);
      for (const s of secrets) for (const p of parts(s)) expect(text.includes(p)).toBe(false);
    }
    const seen = await gh.http('POST', '/v1/introspect', { key: ROOT_KEY, body: { apiKey: admin } });
    expect(seen.body.active).toBe(true);
    expect(JSON.stringify(seen.body)).not.toContain(admin.split('_')[2]);
  });
});
