import Database from 'better-sqlite3';
import { join } from 'node:path';
import { ROOT_KEY, startGatehouse, TestClock, TestGatehouse } from '../support/gatehouse';

/**
 * The audit log over HTTP against a scripted history with a hand-driven clock: filters,
 * pagination in both orders, exports, checks as of the past, and tamper evidence on the
 * real SQLite file.
 */
describe('audit', () => {
  let gh: TestGatehouse;
  const clock = new TestClock(Date.parse('2026-11-02T09:00:00Z'));
  const A = '/v1/accounts/acme';
  const at: Record<string, string> = {};
  let admin: { id: string; key: string };
  let bob: { id: string };
  let bobKey: { id: string; key: string; revision: string };

  beforeAll(async () => {
    gh = await startGatehouse({ clock });
    const acct = await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'acme', preset: 'fireworks', admins: ['admin@acme.test'] } });
    const k = await gh.http('POST', `${A}/users/${acct.body.admins[0].id}/api-keys`, { key: ROOT_KEY, body: {} });
    admin = { id: acct.body.admins[0].id, key: k.body.key };
    clock.advance(3600_000); // 10:00 Monday
    const inv = await gh.http('POST', `${A}/users`, { key: admin.key, headers: { 'x-correlation-id': 'onboard-bob' }, body: { email: 'bob@acme.test', roles: ['user'] } });
    await gh.http('POST', `${A}/invitations/accept`, { body: { token: inv.body.invitation.token } });
    bob = { id: inv.body.id };
    const created = await gh.http('POST', `${A}/users/${bob.id}/api-keys`, { key: admin.key, body: { name: 'laptop' } });
    bobKey = { id: created.body.id, key: created.body.key, revision: created.body.revision };
    at.keyCreated = created.body.revision;
    clock.advance(24 * 3600_000); // Tuesday 10:00
    at.tuesday = clock.now().toISOString();
    clock.advance(3600_000); // Tuesday 11:00: Bob becomes a contributor only
    await gh.http('POST', `${A}/users/${bob.id}/roles`, { key: admin.key, body: { role: 'contributor' } });
    const demoted = await gh.http('DELETE', `${A}/users/${bob.id}/roles/user`, { key: admin.key });
    at.demoted = demoted.body.revision;
    clock.advance(24 * 3600_000); // Wednesday: the key is revoked
    const revoked = await gh.http('DELETE', `${A}/api-keys/${bobKey.id}`, { key: admin.key });
    at.revoked = revoked.body.revision;
    for (let i = 0; i < 7; i++) {
      clock.advance(60_000);
      await gh.http('POST', '/v1/accounts/acme/teams', { key: ROOT_KEY, body: { name: `t${i}` } });
    }
  });
  afterAll(() => gh.stop());

  const asOf = (principal: object, action: string, when: string, resource?: object) =>
    gh.http('POST', `${A}/audit/check`, { key: admin.key, body: { principal, action, asOf: when, ...(resource ? { resource } : {}) } });

  it('answers "what could this key do last Tuesday at 10:00?" from history', async () => {
    const tuesday = await asOf({ apiKey: bobKey.key }, 'dataset:delete', at.tuesday, { owner: 'someone-else' });
    expect(tuesday.body).toMatchObject({ allowed: true, matched: { role: 'user' } });
    const afterDemotion = await asOf({ apiKey: bobKey.key }, 'dataset:delete', at.demoted, { owner: 'someone-else' });
    expect(afterDemotion.body).toMatchObject({ allowed: false, reason: 'NOT_OWNER' });
    const afterRevocation = await asOf({ apiKey: bobKey.key }, 'dataset:read', at.revoked);
    expect(afterRevocation.body).toMatchObject({ allowed: false, reason: 'KEY_REVOKED', revision: at.revoked });
    const beforeCreation = await asOf({ apiKey: bobKey.key }, 'dataset:read', '2026-11-02T09:30:00Z');
    expect(beforeCreation.body.reason).toBe('KEY_NOT_FOUND');
    // The live answer agrees with the latest history.
    const live = await gh.http('POST', `${A}/check`, { key: admin.key, body: { principal: { apiKey: bobKey.key }, action: 'dataset:read' } });
    expect(live.body.reason).toBe('KEY_REVOKED');
  });

  it('sees a resource named by id with the owner it had registered then, not today', async () => {
    // Bob is a contributor by now: he may delete the datasets he owns, not others'.
    const bobRef = { type: 'user', id: bob.id };
    const resource = { type: 'dataset', id: 'ds-history' };
    const registered = await gh.http('PUT', `${A}/resources/dataset/ds-history`, { key: admin.key, body: { owner: bob.id } });
    expect(registered.status).toBe(201);
    const transferred = await gh.http('POST', `${A}/resources/dataset/ds-history/transfer`, { key: admin.key, body: { owner: admin.id } });
    expect(transferred.status).toBe(200);
    const deleted = await gh.http('DELETE', `${A}/resources/dataset/ds-history`, { key: admin.key });
    expect(deleted.status).toBe(200);
    const before = String(BigInt(registered.body.revision) - 1n);

    const answers = await Promise.all(
      [before, registered.body.revision, transferred.body.revision, deleted.body.revision].map(async (revision) => (await asOf(bobRef, 'dataset:delete', revision, resource)).body),
    );
    expect(answers.map((a) => [a.allowed, a.reason])).toEqual([
      [false, 'NOT_OWNER'], // not registered yet: no owner known
      [true, 'GRANTED'], // Bob's, as registered
      [false, 'NOT_OWNER'], // given to the admin
      [false, 'NOT_OWNER'], // deleted: only what the request says inline
    ]);
    // What the request gives inline still wins over the registry, then as now.
    const inline = await asOf(bobRef, 'dataset:delete', transferred.body.revision, { ...resource, owner: bob.id });
    expect(inline.body).toMatchObject({ allowed: true });
    // The live check agrees with the latest history.
    const live = await gh.http('POST', `${A}/check`, { key: admin.key, body: { principal: bobRef, action: 'dataset:delete', resource } });
    expect(live.body).toMatchObject({ allowed: false, reason: 'NOT_OWNER' });
  });

  it("shows a principal's effective roles and grants as of a time", async () => {
    const tuesday = await gh.http('GET', `${A}/audit/principals/user/${bob.id}?asOf=${encodeURIComponent(at.tuesday)}`, { key: admin.key });
    expect(tuesday.body).toMatchObject({ status: 'active', roles: [{ name: 'user' }] });
    const now = await gh.http('GET', `${A}/audit/principals/user/${bob.id}`, { key: admin.key });
    expect(now.body.roles.map((r: { name: string }) => r.name)).toEqual(['contributor']);
    expect((await gh.http('GET', `${A}/audit/principals/user/${bob.id}?asOf=2026-01-01T00:00:00Z`, { key: admin.key })).status).toBe(404);
  });

  it('filters by actor, target, type, time and revision range', async () => {
    const byType = await gh.http('GET', `${A}/audit?type=RoleAssigned,RoleUnassigned&order=asc`, { key: admin.key });
    expect(byType.body.items.map((e: { type: string }) => e.type)).toEqual(['RoleAssigned', 'RoleUnassigned']);
    const aboutBob = await gh.http('GET', `${A}/audit?target=${bob.id}&order=asc`, { key: admin.key });
    expect(aboutBob.body.items.map((e: { type: string }) => e.type)).toEqual(['UserInvited', 'InvitationAccepted', 'ApiKeyCreated', 'RoleAssigned', 'RoleUnassigned', 'ApiKeyRevoked']);
    const byRoot = await gh.http('GET', `${A}/audit?actor=root&type=TeamCreated`, { key: admin.key });
    expect(byRoot.body.items).toHaveLength(7);
    expect(byRoot.body.items.every((e: { actor: string }) => e.actor === 'root')).toBe(true);
    const byAdminKey = await gh.http('GET', `${A}/audit?actor=user:${admin.id}`, { key: admin.key });
    expect(byAdminKey.body.items.every((e: { actorKeyId: string }) => typeof e.actorKeyId === 'string')).toBe(true);
    const onboarding = byAdminKey.body.items.find((e: { type: string }) => e.type === 'UserInvited');
    expect(onboarding.correlationId).toBe('onboard-bob');
    const wednesday = await gh.http('GET', `${A}/audit?from=2026-11-04T00:00:00Z&order=asc`, { key: admin.key });
    expect(wednesday.body.items[0].type).toBe('ApiKeyRevoked');
    const range = await gh.http('GET', `${A}/audit?fromRevision=${at.demoted}&toRevision=${at.revoked}&order=asc`, { key: admin.key });
    expect(range.body.items.map((e: { position: string }) => e.position)).toEqual([at.demoted, at.revoked]);
  });

  it('pages with cursors in both orders, without duplicates or gaps, at exact boundaries', async () => {
    const all = (await gh.http('GET', `${A}/audit?order=asc&limit=1000`, { key: admin.key })).body.items.map((e: { position: string }) => e.position);
    expect(all.length).toBeGreaterThan(10);
    for (const order of ['asc', 'desc'] as const) {
      for (const limit of [1, 3, all.length, all.length - 1]) {
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const res = await gh.http('GET', `${A}/audit?order=${order}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { key: admin.key });
          expect(res.body.items.length).toBeLessThanOrEqual(limit);
          seen.push(...res.body.items.map((e: { position: string }) => e.position));
          cursor = res.body.nextCursor;
        } while (cursor);
        expect({ order, limit, seen }).toEqual({ order, limit, seen: order === 'asc' ? all : [...all].reverse() });
      }
    }
  });

  it('exports JSON lines and CSV, streamed, never with a secret hash', async () => {
    const jsonl = await gh.http('GET', `${A}/audit/export?format=jsonl`, { key: admin.key });
    expect(String(jsonl.headers['content-type'])).toContain('application/x-ndjson');
    const lines = String(jsonl.body).trim().split('\n').map((l) => JSON.parse(l));
    const all = (await gh.http('GET', `${A}/audit?order=asc&limit=1000`, { key: admin.key })).body.items;
    expect(lines).toEqual(all);
    const csv = await gh.http('GET', `${A}/audit/export?format=csv&type=TeamCreated`, { key: admin.key });
    const rows = String(csv.body).trim().split('\n');
    expect(rows[0]).toBe('position,occurredAt,type,actor,actorKeyId,stream,targets,correlationId,causationId,commandId,data');
    expect(rows).toHaveLength(8);
    expect(rows[1]).toMatch(/^\d+,2026-11-0\dT[^,]+,TeamCreated,root,,account-acme,t0,/);
    expect(String(jsonl.body)).not.toContain('secretHash');
    expect((await gh.http('GET', `${A}/audit/export?format=xml`, { key: admin.key })).status).toBe(400);
  });

  it('needs audit.read: a member without it is refused', async () => {
    const inv = await gh.http('POST', `${A}/users`, { key: admin.key, body: { email: 'nosy@acme.test' } });
    await gh.http('POST', `${A}/invitations/accept`, { body: { token: inv.body.invitation.token } });
    const key = await gh.http('POST', `${A}/users/${inv.body.id}/api-keys`, { key: admin.key, body: {} });
    expect((await gh.http('GET', `${A}/audit`, { key: key.body.key })).status).toBe(403);
    expect((await gh.http('GET', `${A}/audit?order=sideways`, { key: admin.key })).body.code).toBe('REQUEST.INVALID_PARAMETER');
  });

  it('verify passes on an untouched store, and finds an edited or missing event in the SQLite file', async () => {
    const ok = await gh.http('GET', `${A}/audit/verify`, { key: admin.key });
    expect(ok.body).toMatchObject({ valid: true });
    expect(ok.body.events).toBeGreaterThan(10);

    const db = new Database(join(gh.dataDir, 'events.sqlite'));
    const row = db.prepare("SELECT position, data FROM events WHERE type = 'RoleAssigned'").get() as { position: number | bigint; data: string };
    db.prepare('UPDATE events SET data = ? WHERE position = ?').run(row.data.replace('contributor', 'admin'), row.position);
    const edited = await gh.http('GET', `${A}/audit/verify`, { key: admin.key });
    expect(edited.body).toMatchObject({ valid: false, firstBreak: { position: String(row.position), problem: 'HASH_MISMATCH' } });
    db.prepare('UPDATE events SET data = ? WHERE position = ?').run(row.data, row.position);
    expect((await gh.http('GET', `${A}/audit/verify`, { key: admin.key })).body.valid).toBe(true);

    const victim = db.prepare("SELECT position FROM events WHERE type = 'TeamCreated' ORDER BY position LIMIT 1 OFFSET 2").get() as { position: number };
    db.prepare('DELETE FROM events WHERE position = ?').run(victim.position);
    db.close();
    const missing = await gh.http('GET', `${A}/audit/verify`, { key: admin.key });
    expect(missing.body).toMatchObject({ valid: false, firstBreak: { problem: 'MISSING_EVENT' } });
    expect(BigInt(missing.body.firstBreak.position)).toBeGreaterThan(BigInt(victim.position));
  });
});
