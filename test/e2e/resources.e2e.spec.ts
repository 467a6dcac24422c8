import { redisUrlOrSkip } from '../support/redis';
import { eventCount, memberWithKey, ROOT_KEY, startGatehouse, TestGatehouse } from '../support/gatehouse';

/**
 * The resource registry and the two lookups over HTTP (issue 5), on both caches:
 * who may register, update, transfer and delete (Fireworks' own/any grants), checks
 * that name only type and id, and lookups paged across concurrent writes.
 */
const caches: ('in-process' | 'redis')[] = ['in-process'];
if (redisUrlOrSkip('resource registry over Redis')) caches.push('redis');

describe.each(caches)('resource registry and lookups over HTTP (%s cache)', (cache) => {
  let gh: TestGatehouse;
  const A = '/v1/accounts/acme';
  let admin: { id: string; key: string };
  let contributor: { id: string; key: string };
  let viewer: { id: string; key: string };

  const put = (key: string, id: string, body: object) => gh.http('PUT', `${A}/resources/deployment/${id}`, { key, body });
  const lookup = (principal: { id: string }, action: string, extra: object = {}) =>
    gh.http('POST', `${A}/lookup/resources`, { key: ROOT_KEY, body: { principal: { type: 'user', id: principal.id }, action, ...extra } });

  beforeAll(async () => {
    gh = await startGatehouse({ cache });
    const acct = await gh.http('POST', '/v1/accounts', { key: ROOT_KEY, body: { id: 'acme', preset: 'fireworks', admins: ['boss@acme.test'] } });
    expect(acct.status).toBe(201);
    const key = await gh.http('POST', `${A}/users/${acct.body.admins[0].id}/api-keys`, { key: ROOT_KEY, body: {} });
    admin = { id: acct.body.admins[0].id, key: key.body.key };
    contributor = await memberWithKey(gh, 'acme', 'con@acme.test', ['contributor']);
    viewer = await memberWithKey(gh, 'acme', 'view@acme.test', ['inference-user']);
  });
  afterAll(() => gh.stop());

  it('registers, reads, updates, transfers and deletes, each within the writer\'s grants', async () => {
    // Fireworks' contributor may create any deployment but update and delete only its own.
    const mine = await put(contributor.key, 'dep-mine', { owner: contributor.id, tags: { env: ['prod', 'prod', 'dev'] } });
    expect(mine.status).toBe(201);
    expect(mine.body).toMatchObject({ type: 'deployment', id: 'dep-mine', owner: contributor.id, tags: { env: ['dev', 'prod'] } });
    const theirs = await put(contributor.key, 'dep-theirs', { owner: admin.id });
    expect(theirs.status).toBe(201);

    const got = await gh.http('GET', `${A}/resources/deployment/dep-mine`, { key: viewer.key });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ owner: contributor.id, revision: mine.body.revision });

    expect((await put(contributor.key, 'dep-mine', { owner: contributor.id, tags: { env: ['prod'] } })).status).toBe(200);
    const refused = await put(contributor.key, 'dep-theirs', { owner: admin.id, tags: { env: ['prod'] } });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('PERMISSION.DENIED');
    // Writing oneself into ownership is an update of someone else's resource: refused too.
    expect((await put(contributor.key, 'dep-theirs', { owner: contributor.id })).status).toBe(403);
    // Giving one's own away would leave the writer without update rights on it: refused.
    const giveAway = await gh.http('POST', `${A}/resources/deployment/dep-mine/transfer`, { key: contributor.key, body: { owner: admin.id } });
    expect(giveAway.status).toBe(403);
    // An admin may transfer anything.
    const transferred = await gh.http('POST', `${A}/resources/deployment/dep-theirs/transfer`, { key: admin.key, body: { owner: contributor.id } });
    expect(transferred.status).toBe(200);
    expect(transferred.body.owner).toBe(contributor.id);
    // The inference user holds no create grant and no resources.manage.
    expect((await put(viewer.key, 'dep-viewer', { owner: viewer.id })).status).toBe(403);

    const deleted = await gh.http('DELETE', `${A}/resources/deployment/dep-theirs`, { key: contributor.key });
    expect(deleted.status).toBe(200);
    expect((await gh.http('GET', `${A}/resources/deployment/dep-theirs`, { key: admin.key })).status).toBe(404);
    expect((await gh.http('DELETE', `${A}/resources/deployment/dep-theirs`, { key: admin.key })).body.code).toBe('RESOURCE.NOT_FOUND');
    // Registered again after deletion: a new life for the same id.
    expect((await put(admin.key, 'dep-theirs', { owner: admin.id })).status).toBe(201);

    // Every change is on record, in the resource's own stream.
    const audit = await gh.http('GET', `${A}/audit?limit=100`, { key: admin.key });
    const types = (audit.body.items ?? audit.body.events ?? []).map((e: { type: string }) => e.type);
    for (const t of ['ResourceRegistered', 'ResourceUpdated', 'ResourceTransferred', 'ResourceDeleted']) expect(types).toContain(t);
  });

  it('refuses bad input with stable codes and appends nothing', async () => {
    const before = await eventCount(gh.store);
    const cases: [string, string, object | undefined, number, string][] = [
      ['PUT', `${A}/resources/unknown_type/x1`, {}, 400, 'RESOURCE.UNKNOWN_TYPE'],
      ['PUT', `${A}/resources/Deployment/x1`, {}, 400, 'REQUEST.INVALID_PARAMETER'],
      ['PUT', `${A}/resources/deployment/has%20space`, {}, 400, 'REQUEST.INVALID_PARAMETER'],
      ['PUT', `${A}/resources/deployment/${'x'.repeat(129)}`, {}, 400, 'REQUEST.INVALID_PARAMETER'],
      ['PUT', `${A}/resources/deployment/x1`, { owner: 'usr_nobodyaaaa' }, 404, 'RESOURCE.OWNER_NOT_FOUND'],
      ['PUT', `${A}/resources/deployment/x1`, { team: 'no-such-team' }, 404, 'TEAM.NOT_FOUND'],
      ['PUT', `${A}/resources/deployment/x1`, { colour: 'red' }, 400, 'REQUEST.INVALID_BODY'],
      ['PUT', `${A}/resources/deployment/x1`, { tags: { env: 'prod' } }, 400, 'REQUEST.INVALID_BODY'],
      ['POST', `${A}/resources/deployment/never-registered/transfer`, { owner: admin.id }, 404, 'RESOURCE.NOT_FOUND'],
      ['POST', `${A}/resources/deployment/x1/transfer`, {}, 400, 'REQUEST.INVALID_BODY'],
      ['PUT', `/v1/accounts/no-such-account/resources/deployment/x1`, {}, 404, 'ACCOUNT.NOT_FOUND'],
    ];
    for (const [method, url, body, status, code] of cases) {
      const res = await gh.http(method, url, { key: ROOT_KEY, body });
      expect({ url, body, status: res.status, code: res.body.code }).toEqual({ url, body, status, code });
    }
    const badCursor = await lookup(admin, 'deployment:read', { cursor: 'not-a-cursor' });
    expect([badCursor.status, badCursor.body.code]).toEqual([400, 'LOOKUP.INVALID_CURSOR']);
    expect((await lookup(admin, 'deployment:read', { limit: 1001 })).status).toBe(400);
    expect((await lookup(admin, 'deployment', {})).status).toBe(400);
    expect(await eventCount(gh.store)).toBe(before);
  });

  it('lets a check name only type and id, with inline attributes overriding the registry', async () => {
    const reg = await put(admin.key, 'dep-owned', { owner: contributor.id });
    const check = (resource: object) =>
      gh.http('POST', `${A}/check`, {
        key: ROOT_KEY,
        body: { principal: { type: 'user', id: contributor.id }, action: 'deployment:update', resource, consistency: { atLeast: reg.body.revision } },
      });
    expect((await check({ type: 'deployment', id: 'dep-owned' })).body).toMatchObject({ allowed: true, matched: { condition: 'own' } });
    expect((await check({ id: 'dep-owned' })).body.allowed).toBe(true);
    expect((await check({ type: 'deployment', id: 'dep-owned', owner: admin.id })).body.reason).toBe('NOT_OWNER');
    expect((await check({ type: 'deployment', id: 'unregistered' })).body.reason).toBe('NOT_OWNER');
    const moved = await gh.http('POST', `${A}/resources/deployment/dep-owned/transfer`, { key: admin.key, body: { owner: admin.id } });
    const after = await gh.http('POST', `${A}/check`, {
      key: ROOT_KEY,
      body: { principal: { type: 'user', id: contributor.id }, action: 'deployment:update', resource: { id: 'dep-owned' }, consistency: { atLeast: moved.body.revision } },
    });
    expect(after.body.reason).toBe('NOT_OWNER');
    // The batch endpoint resolves registered resources too.
    const bulk = await gh.http('POST', `${A}/checks`, {
      key: ROOT_KEY,
      body: {
        checks: [
          { principal: { type: 'user', id: admin.id }, action: 'deployment:update', resource: { id: 'dep-owned' } },
          { principal: { type: 'user', id: contributor.id }, action: 'deployment:update', resource: { id: 'dep-owned' } },
          { principal: { type: 'user', id: contributor.id }, action: 'deployment:update', resource: { id: 'dep-owned', owner: contributor.id } },
        ],
        consistency: { atLeast: moved.body.revision },
      },
    });
    expect(bulk.body.results.map((r: { allowed: boolean }) => r.allowed)).toEqual([true, false, true]);
  });

  it('LookupResources pages by cursor, answers what checks answer, and is stable under concurrent writes', async () => {
    // 120 deployments, every third owned by the contributor.
    let last = '0';
    for (let i = 0; i < 120; i++) {
      const owner = i % 3 === 0 ? contributor.id : admin.id;
      const res = await put(admin.key, `lk-${String(i).padStart(3, '0')}`, { owner });
      expect(res.status).toBe(201);
      last = res.body.revision;
    }
    const ownedBefore = new Set(Array.from({ length: 40 }, (_, j) => `lk-${String(j * 3).padStart(3, '0')}`));

    // Page through the contributor's updatable deployments 7 at a time while others write.
    const seen: string[] = [];
    let cursor: string | undefined;
    let page = 0;
    const deletedMidway = new Set<string>();
    for (;;) {
      const res = await lookup(contributor, 'deployment:update', { limit: 7, consistency: { atLeast: last }, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      for (const r of res.body.resources) {
        expect(r.owner).toBe(contributor.id);
        seen.push(r.id);
      }
      if (!res.body.nextCursor) break;
      cursor = res.body.nextCursor;
      page++;
      // Between pages: new resources both before and after the cursor, deletions, a transfer.
      const w1 = await put(admin.key, `lk-${String(200 + page).padStart(3, '0')}`, { owner: contributor.id });
      const w2 = await put(admin.key, `lk-000-${page}`, { owner: contributor.id });
      const victim = `lk-${String(117 - page * 3).padStart(3, '0')}`;
      const del = await gh.http('DELETE', `${A}/resources/deployment/${victim}`, { key: admin.key });
      if (del.status === 200) deletedMidway.add(victim);
      last = [w1.body.revision, w2.body.revision, del.body.revision].filter(Boolean).sort((a, b) => Number(BigInt(a) - BigInt(b))).pop();
    }
    expect(new Set(seen).size).toBe(seen.length); // no duplicates
    expect([...seen]).toEqual([...seen].sort()); // byte order
    for (const id of ownedBefore) if (!deletedMidway.has(id)) expect(seen).toContain(id); // nothing that existed throughout is skipped
    for (const id of deletedMidway) {
      // A resource deleted before its page was read is not returned.
      if (seen.includes(id)) expect(id < seen[seen.length - 1]).toBe(true);
    }

    // Same answers as checks, for every registered resource.
    const all = await lookup(contributor, 'deployment:update', { limit: 1000, consistency: { atLeast: last } });
    const ids = new Set(all.body.resources.map((r: { id: string }) => r.id));
    const every = await lookup(admin, 'deployment:update', { limit: 1000, consistency: { atLeast: last } });
    expect(every.body.nextCursor).toBeNull();
    const checks = await gh.http('POST', `${A}/checks`, {
      key: ROOT_KEY,
      body: { checks: every.body.resources.map((r: { id: string }) => ({ principal: { type: 'user', id: contributor.id }, action: 'deployment:update', resource: { id: r.id } })) },
    });
    every.body.resources.forEach((r: { id: string }, i: number) => expect([r.id, checks.body.results[i].allowed]).toEqual([r.id, ids.has(r.id)]));
    // `any` grants see everything; a principal without the grant sees nothing.
    expect(every.body.resources.length).toBeGreaterThan(all.body.resources.length);
    expect((await lookup(viewer, 'deployment:update')).body).toMatchObject({ resources: [], nextCursor: null });
    expect((await lookup(viewer, 'deployment:read', { limit: 1000 })).body.resources.length).toBe(every.body.resources.length);
    // A cursor is bound to its query.
    const p1 = await lookup(admin, 'deployment:read', { limit: 2 });
    const misuse = await lookup(contributor, 'deployment:read', { limit: 2, cursor: p1.body.nextCursor });
    expect([misuse.status, misuse.body.code]).toEqual([400, 'LOOKUP.CURSOR_MISMATCH']);
  });

  it('LookupSubjects lists who may act on a resource, paged, as checks would answer', async () => {
    const reg = await put(admin.key, 'dep-subjects', { owner: contributor.id });
    const subjects = async (action: string, limit: number) => {
      const out: string[] = [];
      let cursor: string | undefined;
      for (;;) {
        const res = await gh.http('POST', `${A}/lookup/subjects`, {
          key: viewer.key,
          body: { resource: { id: 'dep-subjects' }, action, limit, consistency: { atLeast: reg.body.revision }, ...(cursor ? { cursor } : {}) },
        });
        expect(res.status).toBe(200);
        out.push(...res.body.subjects.map((s: { id: string }) => s.id));
        if (!res.body.nextCursor) return out.sort();
        cursor = res.body.nextCursor;
      }
    };
    expect(await subjects('deployment:update', 1)).toEqual([admin.id, contributor.id].sort());
    expect(await subjects('deployment:read', 2)).toEqual([admin.id, contributor.id, viewer.id].sort());
    const mismatch = await gh.http('POST', `${A}/lookup/subjects`, { key: viewer.key, body: { resource: { type: 'model', id: 'x' }, action: 'deployment:read' } });
    expect([mismatch.status, mismatch.body.code]).toEqual([400, 'LOOKUP.RESOURCE_TYPE_MISMATCH']);
  });
});
