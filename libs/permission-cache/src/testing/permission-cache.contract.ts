import {
  accountStream,
  apiKeyStream,
  CheckRequest,
  compileRole,
  evaluate,
  GatehouseEvent,
  GatehouseEventType,
  PrincipalRecord,
  PrincipalRef,
  presetModel,
} from '@gatehouse/domain';
import { RecordedEvent } from '@gatehouse/event-store';
import { CachedKey, PermissionCache, SubjectRef } from '../permission-cache.port';
import { projectEvent } from '../projection';

/**
 * The one behaviour every PermissionCache adapter must have (STYLE: one contract suite
 * per port). The in-process adapter is the reference; Redis runs the same tests.
 */
export interface PermissionCacheUnderTest {
  cache: PermissionCache;
  cleanup(): Promise<void>;
}

const NOW = Date.parse('2030-01-01T00:00:00Z');
const ACME = 'acme';
const GLOBEX = 'globex';
const alice: PrincipalRef = { type: 'user', id: 'alice' };
const bob: PrincipalRef = { type: 'user', id: 'bob' };
const carol: PrincipalRef = { type: 'user', id: 'carol' };
const deleteAnyDataset: CheckRequest = { action: 'dataset:delete', resource: { type: 'dataset', id: 'ds-1', owner: 'someone-else' } };
const readDataset: CheckRequest = { action: 'dataset:read', resource: { type: 'dataset', id: 'ds-1' } };

type EventData<T extends GatehouseEventType> = Extract<GatehouseEvent, { type: T }>['data'];

/** Recorded events as an event store would deliver them: global positions, per-stream revisions. */
export class History {
  readonly events: RecordedEvent[] = [];
  private readonly revisions = new Map<string, bigint>();

  constructor(private position = 0n) {}

  add<T extends GatehouseEventType>(type: T, data: EventData<T>): RecordedEvent {
    const d = data as { accountId: string; keyId?: string };
    const streamId = d.keyId !== undefined && type.startsWith('ApiKey') ? apiKeyStream(d.keyId) : accountStream(d.accountId);
    const revision = (this.revisions.get(streamId) ?? -1n) + 1n;
    this.revisions.set(streamId, revision);
    this.position += 1n;
    const n = this.events.length + 1;
    const event: RecordedEvent = {
      id: `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
      type,
      data,
      metadata: {
        actor: 'root',
        account: d.accountId,
        commandId: `cmd-${n}`,
        correlationId: `corr-${n}`,
        causationId: `cmd-${n}`,
        occurredAt: new Date(NOW - 86_400_000 + n * 1000).toISOString(),
        schemaVersion: 1,
      },
      streamId,
      revision,
      position: this.position,
    };
    this.events.push(event);
    return event;
  }
}

/** Applies each event at its own position, as a projector fed one event at a time would. */
export async function applyEach(cache: PermissionCache, events: RecordedEvent[]): Promise<boolean[]> {
  const applied: boolean[] = [];
  for (const e of events) applied.push(await cache.apply(e.position, projectEvent(e)));
  return applied;
}

/** Applies events as batches: all their ops in one step, at the last event's position. */
export async function applyBatches(cache: PermissionCache, events: RecordedEvent[], size: number): Promise<void> {
  for (let i = 0; i < events.length; i += size) {
    const batch = events.slice(i, i + size);
    await cache.apply(batch[batch.length - 1].position, batch.flatMap(projectEvent));
  }
}

const invited = (accountId: string, userId: string, roles: string[]): EventData<'UserInvited'> => ({
  accountId,
  userId,
  email: `${userId}@example.com`,
  roles,
  invitation: { id: `inv-${userId}`, secretHash: `sha256-inv-${userId}`, expiresAt: '2030-02-01T00:00:00.000Z' },
});

/** Two Fireworks accounts with members in every state and keys of every kind. */
export function fireworksHistory(history = new History()): History {
  history.add('AccountCreated', { accountId: ACME, model: presetModel('fireworks') });
  history.add('UserInvited', invited(ACME, 'alice', ['user']));
  history.add('InvitationAccepted', { accountId: ACME, userId: 'alice', invitationId: 'inv-alice' });
  history.add('UserInvited', invited(ACME, 'bob', ['contributor']));
  history.add('ApiKeyCreated', { accountId: ACME, keyId: 'key-alice', owner: alice, name: 'ci', secretHash: 'sha256-a' });
  history.add('ApiKeyCreated', {
    accountId: ACME,
    keyId: 'key-alice-ro',
    owner: alice,
    name: 'read only',
    secretHash: 'sha256-b',
    expiresAt: '2031-01-01T00:00:00.123Z',
    restriction: [{ permission: 'dataset:read', condition: 'any' }],
  });
  history.add('RoleAssigned', { accountId: ACME, principal: alice, role: 'inference-user' });
  history.add('AccountCreated', { accountId: GLOBEX, model: presetModel('fireworks') });
  history.add('UserInvited', invited(GLOBEX, 'carol', ['admin']));
  history.add('InvitationAccepted', { accountId: GLOBEX, userId: 'carol', invitationId: 'inv-carol' });
  history.add('ApiKeyCreated', { accountId: GLOBEX, keyId: 'key-carol', owner: carol, name: 'ops', secretHash: 'sha256-c' });
  return history;
}

/** What happens next: a role taken away, a key revoked, a member removed. */
export function laterHistory(history: History): History {
  history.add('RoleUnassigned', { accountId: ACME, principal: alice, role: 'user' });
  history.add('ApiKeyRevoked', { accountId: ACME, keyId: 'key-alice', owner: alice });
  history.add('UserRemoved', { accountId: ACME, userId: 'bob' });
  return history;
}

const OBSERVED: [string, SubjectRef][] = [
  [ACME, { principal: alice }],
  [ACME, { principal: bob }],
  [ACME, { principal: carol }],
  [ACME, { keyId: 'key-alice' }],
  [ACME, { keyId: 'key-alice-ro' }],
  [ACME, { keyId: 'key-carol' }],
  [GLOBEX, { principal: carol }],
  [GLOBEX, { keyId: 'key-carol' }],
  ['initech', { principal: alice }],
];

async function observe(cache: PermissionCache) {
  const subjects = [];
  for (const [account, ref] of OBSERVED) subjects.push(await cache.subject(account, ref));
  const keyAccounts = [];
  for (const keyId of ['key-alice', 'key-alice-ro', 'key-carol', 'key-none']) keyAccounts.push(await cache.accountOfKey(keyId));
  return { subjects, keyAccounts, checkpoint: await cache.checkpoint() };
}

const principal = (id: string, roles: string[], status: PrincipalRecord['status'] = 'active'): PrincipalRecord => ({
  type: 'user',
  id,
  status,
  roles,
  teams: [],
});

const role = (name: string, permission = 'dataset:read') => compileRole({ name, grants: [{ permission, condition: 'any' }], scopes: {} });

const cachedKey = (id: string, owner: PrincipalRef, extra: Partial<CachedKey> = {}): CachedKey => ({
  id,
  status: 'active',
  owner,
  secretHash: `sha256-${id}`,
  ...extra,
});

export function describePermissionCacheContract(name: string, make: () => Promise<PermissionCacheUnderTest>): void {
  describe(`PermissionCache contract: ${name}`, () => {
    let cache: PermissionCache;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ cache, cleanup } = await make());
    });

    afterEach(async () => {
      await cleanup();
    });

    const check = async (account: string, ref: SubjectRef, request: CheckRequest) =>
      evaluate((await cache.subject(account, ref)).view, request, NOW);

    describe('an empty cache', () => {
      it('has no checkpoint and knows no account, principal or key', async () => {
        expect(await cache.checkpoint()).toBeNull();
        expect(await cache.accountOfKey('key-alice')).toBeNull();
        const byPrincipal = await cache.subject(ACME, { principal: alice });
        expect(byPrincipal).toEqual({ view: { account: null, principal: null, roles: {} }, position: null });
        expect('key' in byPrincipal.view).toBe(false);
        const byKey = await cache.subject(ACME, { keyId: 'key-alice' });
        expect(byKey).toEqual({ view: { account: null, principal: null, roles: {}, key: null }, key: null, position: null });
        expect(evaluate(byKey.view, readDataset, NOW).reason).toBe('ACCOUNT_NOT_FOUND');
      });
    });

    describe('checks through real domain events', () => {
      beforeEach(async () => {
        await applyEach(cache, fireworksHistory().events);
      });

      it('lets a member with role `user` delete any dataset', async () => {
        const decision = await check(ACME, { principal: alice }, deleteAnyDataset);
        expect(decision).toMatchObject({ allowed: true, reason: 'GRANTED', matched: { role: 'user', grant: 'dataset:delete' } });
      });

      it('denies an invited member until the invitation is accepted', async () => {
        expect((await check(ACME, { principal: bob }, readDataset)).reason).toBe('PRINCIPAL_INVITED');
        const history = fireworksHistory();
        const accepted = history.add('InvitationAccepted', { accountId: ACME, userId: 'bob', invitationId: 'inv-bob' });
        await applyEach(cache, [accepted]);
        expect(await check(ACME, { principal: bob }, readDataset)).toMatchObject({ allowed: true, matched: { role: 'contributor' } });
      });

      it("answers a key with its owner's roles, and a restricted key within its restriction", async () => {
        expect((await check(ACME, { keyId: 'key-alice' }, deleteAnyDataset)).allowed).toBe(true);
        expect((await check(ACME, { keyId: 'key-alice-ro' }, deleteAnyDataset)).reason).toBe('KEY_RESTRICTED');
        expect((await check(ACME, { keyId: 'key-alice-ro' }, readDataset)).allowed).toBe(true);
        const ro = await cache.subject(ACME, { keyId: 'key-alice-ro' });
        expect(ro.key).toEqual({
          id: 'key-alice-ro',
          status: 'active',
          owner: alice,
          secretHash: 'sha256-b',
          expiresAt: Date.parse('2031-01-01T00:00:00.123Z'),
          restriction: { 'dataset:read': ['any'] },
        });
        expect(ro.view.key).toEqual(ro.key);
        expect(ro.view.principal).toEqual(principal('alice', ['user', 'inference-user']));
      });

      it('after RoleUnassigned the member can no longer delete datasets but keeps her other role', async () => {
        await applyEach(cache, laterHistory(fireworksHistory()).events);
        expect((await check(ACME, { principal: alice }, deleteAnyDataset)).reason).toBe('NO_GRANT');
        expect(await check(ACME, { principal: alice }, readDataset)).toMatchObject({ allowed: true, matched: { role: 'inference-user' } });
      });

      it('denies a revoked key KEY_REVOKED while the owner keeps access', async () => {
        await applyEach(cache, laterHistory(fireworksHistory()).events);
        expect((await check(ACME, { keyId: 'key-alice' }, readDataset)).reason).toBe('KEY_REVOKED');
        expect((await cache.subject(ACME, { keyId: 'key-alice' })).key?.status).toBe('revoked');
        expect((await check(ACME, { principal: alice }, readDataset)).allowed).toBe(true);
      });

      it('denies a removed member PRINCIPAL_REMOVED and drops every role', async () => {
        await applyEach(cache, laterHistory(fireworksHistory()).events);
        const bobView = (await cache.subject(ACME, { principal: bob })).view;
        expect(bobView.principal).toEqual(principal('bob', [], 'removed'));
        expect(bobView.roles).toEqual({});
        expect(evaluate(bobView, readDataset, NOW).reason).toBe('PRINCIPAL_REMOVED');
      });

      it("does not show one account's key or member in another account", async () => {
        const foreignKey = await cache.subject(ACME, { keyId: 'key-carol' });
        expect(foreignKey.view.key).toBeNull();
        expect(foreignKey.key).toBeNull();
        expect(foreignKey.view.principal).toBeNull();
        expect(evaluate(foreignKey.view, readDataset, NOW).reason).toBe('KEY_NOT_FOUND');
        expect((await check(ACME, { principal: carol }, readDataset)).reason).toBe('PRINCIPAL_NOT_FOUND');
        expect((await check(GLOBEX, { keyId: 'key-carol' }, deleteAnyDataset)).matched?.role).toBe('admin');
        expect(await cache.accountOfKey('key-carol')).toBe(GLOBEX);
        expect(await cache.accountOfKey('key-alice')).toBe(ACME);
      });

      it('returns only the roles the principal holds', async () => {
        const view = (await cache.subject(ACME, { principal: alice })).view;
        expect(Object.keys(view.roles).sort()).toEqual(['inference-user', 'user']);
        expect(view.roles.user).toEqual(compileRole(presetModel('fireworks').roles.find((r) => r.name === 'user')!));
      });

      it('reports the checkpoint it read with every subject', async () => {
        const last = fireworksHistory().events.at(-1)!.position;
        expect(await cache.checkpoint()).toBe(last);
        expect((await cache.subject(ACME, { principal: alice })).position).toBe(last);
        expect((await cache.subject(ACME, { keyId: 'nope' })).position).toBe(last);
      });
    });

    describe('subjects: many subjects in one read', () => {
      beforeEach(async () => {
        await applyEach(cache, laterHistory(fireworksHistory()).events);
      });

      it('answers each ref as subject() does, in order, duplicates and unknowns included', async () => {
        const refs: SubjectRef[] = [
          { keyId: 'key-alice-ro' },
          { principal: alice },
          { principal: bob },
          { keyId: 'key-carol' }, // another account's key
          { keyId: 'nope' },
          { principal: { type: 'service_account', id: 'nobody' } },
          { principal: alice },
        ];
        const last = laterHistory(fireworksHistory()).events.at(-1)!.position;
        const many = await cache.subjects(ACME, refs);
        const one = [];
        for (const ref of refs) one.push(await cache.subject(ACME, ref));
        expect(many).toEqual({ subjects: one, resources: [], position: last });
        expect(many.subjects.map((s) => 'key' in s)).toEqual([true, false, false, true, true, false, false]);
        expect(await cache.subjects(ACME, [])).toEqual({ subjects: [], resources: [], position: last });
        expect((await cache.subjects('initech', [{ principal: alice }, { keyId: 'key-alice' }])).subjects).toEqual([
          { view: { account: null, principal: null, roles: {} }, position: last },
          { view: { account: null, principal: null, roles: {}, key: null }, key: null, position: last },
        ]);
      });

      it('reads a thousand subjects holding thousands of distinct roles', async () => {
        const roles = Array.from({ length: 3000 }, (_, i) => role(`r${i}`));
        const members = Array.from({ length: 1000 }, (_, i) => principal(`m${i}`, [`r${3 * i}`, `r${3 * i + 1}`, `r${3 * i + 2}`, 'missing']));
        await cache.apply(1000n, [...roles.map((r) => ({ op: 'role.put' as const, account: ACME, role: r })), ...members.map((p) => ({ op: 'principal.put' as const, account: ACME, principal: p }))]);
        const read = (await cache.subjects(ACME, members.map((p) => ({ principal: { type: 'user' as const, id: p.id } })))).subjects;
        expect(read).toHaveLength(1000);
        read.forEach((s, i) => {
          expect(s.position).toBe(1000n);
          expect(s.view.principal?.id).toBe(`m${i}`);
          expect(Object.keys(s.view.roles).sort()).toEqual([`r${3 * i}`, `r${3 * i + 1}`, `r${3 * i + 2}`, 'missing'].sort());
          expect(s.view.roles[`r${3 * i + 1}`]).toEqual(role(`r${3 * i + 1}`));
          expect(s.view.roles.missing).toBeUndefined();
        });
      });

      it('reads every subject at one position, never across a batch', async () => {
        const writes: Promise<boolean>[] = [];
        const reads: Promise<Awaited<ReturnType<PermissionCache['subjects']>>>[] = [];
        for (let n = 100n; n < 140n; n++) {
          writes.push(
            cache.apply(n, [
              { op: 'principal.patch', account: ACME, key: 'user:alice', setRoles: n % 2n === 0n ? ['user'] : ['inference-user'] },
              { op: 'key.patch', account: ACME, keyId: 'key-alice-ro', status: n % 2n === 0n ? 'active' : 'revoked' },
            ]),
          );
          reads.push(cache.subjects(ACME, [{ keyId: 'key-alice-ro' }, { principal: alice }]));
        }
        await Promise.all(writes);
        for (const { subjects: [byKey, byId] } of await Promise.all(reads)) {
          expect(byKey.position).toBe(byId.position);
          if (byKey.position! < 100n) continue;
          const even = byKey.position! % 2n === 0n;
          expect(byKey.key?.status).toBe(even ? 'active' : 'revoked');
          expect(byId.view.principal?.roles).toEqual(even ? ['user'] : ['inference-user']);
          expect(byKey.view.principal).toEqual(byId.view.principal);
        }
      });
    });

    describe('subjects: the registered resources of the same read', () => {
      it('reads the resources asked for, in order, null where none is registered, at the subjects\' position', async () => {
        const dataset = { type: 'dataset', id: 'd1', owner: 'alice', team: 'ml', tags: { env: ['prod'] } };
        const model = { type: 'model', id: 'm1', tags: {} };
        await cache.apply(1n, [
          { op: 'account.put', account: ACME, record: { status: 'active', scopeDimensions: {} } },
          { op: 'principal.put', account: ACME, principal: principal('alice', []) },
          { op: 'resource.put', account: ACME, resource: dataset },
          { op: 'resource.put', account: ACME, resource: model },
          { op: 'resource.put', account: GLOBEX, resource: { type: 'dataset', id: 'd2', tags: {} } },
        ]);
        const read = await cache.subjects(ACME, [{ principal: alice }], [
          { type: 'model', id: 'm1' },
          { type: 'dataset', id: 'd2' }, // another account's
          { type: 'dataset', id: 'd1' },
          { type: 'deployment', id: 'd1' },
        ]);
        expect(read.resources).toEqual([model, null, dataset, null]);
        expect(read.position).toBe(1n);
        expect(read.subjects[0].view.principal?.id).toBe('alice');
      });
    });

    describe('idempotence', () => {
      it('ignores a position already applied, whatever its ops', async () => {
        expect(await cache.apply(5n, [{ op: 'account.put', account: ACME, record: { status: 'active', scopeDimensions: {} } }])).toBe(true);
        expect(await cache.apply(5n, [{ op: 'account.patch', account: ACME, status: 'deleted' }])).toBe(false);
        expect(await cache.apply(4n, [{ op: 'account.patch', account: ACME, status: 'deleted' }])).toBe(false);
        expect((await cache.subject(ACME, { principal: alice })).view.account?.status).toBe('active');
        expect(await cache.checkpoint()).toBe(5n);
      });

      it('replaying a whole event sequence a second time changes nothing', async () => {
        const events = laterHistory(fireworksHistory()).events;
        expect((await applyEach(cache, events)).every(Boolean)).toBe(true);
        const first = await observe(cache);
        expect((await applyEach(cache, events)).some(Boolean)).toBe(false);
        expect(await observe(cache)).toStrictEqual(first);
      });

      it('a rebuild from zero in batches yields the same views as one event at a time', async () => {
        const events = laterHistory(fireworksHistory()).events;
        await applyEach(cache, events);
        const oneByOne = await observe(cache);
        await cache.clear();
        await applyBatches(cache, events, 4);
        expect(await observe(cache)).toStrictEqual(oneByOne);
      });
    });

    describe('checkpoint', () => {
      it('only moves forward', async () => {
        expect(await cache.apply(10n, [])).toBe(true);
        expect(await cache.apply(7n, [])).toBe(false);
        expect(await cache.checkpoint()).toBe(10n);
        expect(await cache.apply(11n, [])).toBe(true);
        expect(await cache.checkpoint()).toBe(11n);
      });

      it('compares by value, not as text: 100 is past 99', async () => {
        expect(await cache.apply(99n, [])).toBe(true);
        expect(await cache.apply(100n, [])).toBe(true);
        expect(await cache.apply(99n, [])).toBe(false);
        expect(await cache.checkpoint()).toBe(100n);
      });

      it('compares positions beyond 2^53 exactly', async () => {
        const big = 2n ** 53n; // as doubles, big and big + 1n are the same number
        expect(await cache.apply(big, [])).toBe(true);
        expect(await cache.apply(big + 1n, [{ op: 'account.put', account: ACME, record: { status: 'active', scopeDimensions: {} } }])).toBe(true);
        expect(await cache.checkpoint()).toBe(big + 1n);
        expect(await cache.apply(big + 1n, [])).toBe(false);
        expect(await cache.apply(big, [])).toBe(false);
        const u64max = 2n ** 64n - 1n;
        expect(await cache.apply(u64max, [])).toBe(true);
        expect(await cache.apply(u64max - 1n, [])).toBe(false);
        expect(await cache.apply(10n ** 20n, [])).toBe(true);
        expect((await cache.subject(ACME, { principal: alice })).position).toBe(10n ** 20n);
      });
    });

    describe('every op', () => {
      it('account.put and account.patch: the patch keeps the scope dimensions, empty lists included', async () => {
        const scopeDimensions = { systems: ['dataset', 'model'], regions: [] as string[] };
        await cache.apply(1n, [{ op: 'account.put', account: ACME, record: { status: 'active', scopeDimensions } }]);
        expect((await cache.subject(ACME, { principal: alice })).view.account).toEqual({ status: 'active', scopeDimensions });
        await cache.apply(2n, [{ op: 'account.patch', account: ACME, status: 'deleted' }]);
        const account = (await cache.subject(ACME, { principal: alice })).view.account;
        expect(account).toEqual({ status: 'deleted', scopeDimensions });
        expect(Array.isArray(account?.scopeDimensions.regions)).toBe(true);
        await cache.apply(3n, [{ op: 'account.put', account: GLOBEX, record: { status: 'active', scopeDimensions: {} } }]);
        await cache.apply(4n, [{ op: 'account.patch', account: GLOBEX, status: 'deleted' }]);
        expect((await cache.subject(GLOBEX, { principal: alice })).view.account).toStrictEqual({ status: 'deleted', scopeDimensions: {} });
      });

      it('an op on an unknown account creates it with the default record', async () => {
        await cache.apply(1n, [{ op: 'role.put', account: ACME, role: role('reader') }]);
        expect((await cache.subject(ACME, { principal: alice })).view.account).toStrictEqual({ status: 'active', scopeDimensions: {} });
        await cache.apply(2n, [{ op: 'account.patch', account: GLOBEX, status: 'deleted' }]);
        expect((await cache.subject(GLOBEX, { principal: alice })).view.account).toStrictEqual({ status: 'deleted', scopeDimensions: {} });
        // Even a patch of something missing touches the account, as the reference adapter does.
        await cache.apply(3n, [{ op: 'key.patch', account: 'initech', keyId: 'nope', status: 'revoked' }]);
        expect((await cache.subject('initech', { keyId: 'nope' })).view.account).toStrictEqual({ status: 'active', scopeDimensions: {} });
      });

      it('role.put replaces a role and role.delete removes it; a held but undefined role reads as undefined', async () => {
        await cache.apply(1n, [
          { op: 'account.put', account: ACME, record: { status: 'active', scopeDimensions: {} } },
          { op: 'role.put', account: ACME, role: role('a') },
          { op: 'role.put', account: ACME, role: role('b') },
          { op: 'principal.put', account: ACME, principal: principal('alice', ['a', 'b']) },
        ]);
        await cache.apply(2n, [
          { op: 'role.put', account: ACME, role: role('a', 'model:read') },
          { op: 'role.delete', account: ACME, name: 'b' },
        ]);
        const view = (await cache.subject(ACME, { principal: alice })).view;
        expect(view.roles.a).toEqual(role('a', 'model:read'));
        expect(view.roles.b).toBeUndefined();
        expect(evaluate(view, readDataset, NOW).reason).toBe('NO_GRANT');
        expect(evaluate(view, { action: 'model:read' }, NOW).allowed).toBe(true);
      });

      it('principal.put replaces the record; service accounts are keyed by type', async () => {
        const sa: PrincipalRecord = { type: 'service_account', id: 'alice', status: 'active', roles: ['a'], teams: ['t1'] };
        await cache.apply(1n, [
          { op: 'principal.put', account: ACME, principal: principal('alice', ['b']) },
          { op: 'principal.put', account: ACME, principal: sa },
          { op: 'principal.put', account: ACME, principal: principal('alice', ['c'], 'deactivated') },
        ]);
        expect((await cache.subject(ACME, { principal: alice })).view.principal).toEqual(principal('alice', ['c'], 'deactivated'));
        expect((await cache.subject(ACME, { principal: { type: 'service_account', id: 'alice' } })).view.principal).toEqual(sa);
      });

      it('principal.patch applies setRoles before addRoles and removeRoles, and edits teams', async () => {
        await cache.apply(1n, [
          { op: 'principal.put', account: ACME, principal: { ...principal('alice', ['old']), teams: ['red', 'blue'] } },
          {
            op: 'principal.patch',
            account: ACME,
            key: 'user:alice',
            status: 'deactivated',
            setRoles: ['x', 'y'],
            addRoles: ['y', 'z', 'old'],
            removeRoles: ['x'],
            addTeams: ['green', 'red'],
            removeTeams: ['blue'],
          },
        ]);
        expect((await cache.subject(ACME, { principal: alice })).view.principal).toEqual({
          type: 'user',
          id: 'alice',
          status: 'deactivated',
          roles: ['y', 'z', 'old'],
          teams: ['red', 'green'],
        });
        await cache.apply(2n, [{ op: 'principal.patch', account: ACME, key: 'user:alice', addRoles: ['w'] }]);
        const p = (await cache.subject(ACME, { principal: alice })).view.principal;
        expect(p?.status).toBe('deactivated');
        expect(p?.roles).toEqual(['y', 'z', 'old', 'w']);
      });

      it('principal.patch keeps emptied role and team lists as lists', async () => {
        await cache.apply(1n, [
          { op: 'account.put', account: ACME, record: { status: 'active', scopeDimensions: {} } },
          { op: 'principal.put', account: ACME, principal: { ...principal('alice', ['a']), teams: ['red'] } },
          { op: 'principal.patch', account: ACME, key: 'user:alice', removeRoles: ['a'], removeTeams: ['red'] },
        ]);
        const first = (await cache.subject(ACME, { principal: alice })).view.principal!;
        expect(first.roles).toStrictEqual([]);
        expect(first.teams).toStrictEqual([]);
        // A second patch must read those empty lists back as lists, not objects.
        await cache.apply(2n, [{ op: 'principal.patch', account: ACME, key: 'user:alice', status: 'removed' }]);
        await cache.apply(3n, [{ op: 'principal.patch', account: ACME, key: 'user:alice', addTeams: ['blue'] }]);
        const second = (await cache.subject(ACME, { principal: alice })).view.principal!;
        expect(second).toStrictEqual({ type: 'user', id: 'alice', status: 'removed', roles: [], teams: ['blue'] });
        await cache.apply(4n, [{ op: 'principal.patch', account: ACME, key: 'user:alice', setRoles: [] }]);
        expect((await cache.subject(ACME, { principal: alice })).view.principal?.roles).toStrictEqual([]);
      });

      it('patching a missing principal or key changes nothing', async () => {
        await cache.apply(1n, [
          { op: 'account.put', account: ACME, record: { status: 'active', scopeDimensions: {} } },
          { op: 'principal.patch', account: ACME, key: 'user:alice', status: 'active', addRoles: ['a'] },
          { op: 'key.patch', account: ACME, keyId: 'key-alice', status: 'revoked' },
        ]);
        expect((await cache.subject(ACME, { principal: alice })).view.principal).toBeNull();
        expect((await cache.subject(ACME, { keyId: 'key-alice' })).key).toBeNull();
        expect(await cache.accountOfKey('key-alice')).toBeNull();
        expect(await cache.checkpoint()).toBe(1n);
      });

      it('key.put and key.patch keep every field exact: large expiry, empty and full restrictions', async () => {
        const restricted = cachedKey('k1', alice, { expiresAt: 4102444800123, restriction: { 'dataset:read': ['any', 'own'], '*': ['team'] } });
        const unrestricted = cachedKey('k2', { type: 'service_account', id: 'robot' }, { expiresAt: 8_639_999_999_999_999, restriction: {} });
        await cache.apply(1n, [
          { op: 'account.put', account: ACME, record: { status: 'active', scopeDimensions: {} } },
          { op: 'principal.put', account: ACME, principal: principal('alice', []) },
          { op: 'key.put', account: ACME, key: restricted },
          { op: 'key.put', account: ACME, key: unrestricted },
        ]);
        expect((await cache.subject(ACME, { keyId: 'k1' })).key).toStrictEqual(restricted);
        await cache.apply(2n, [
          { op: 'key.patch', account: ACME, keyId: 'k1', status: 'revoked' },
          { op: 'key.patch', account: ACME, keyId: 'k2', status: 'revoked' },
        ]);
        const k1 = await cache.subject(ACME, { keyId: 'k1' });
        expect(k1.key).toStrictEqual({ ...restricted, status: 'revoked' });
        expect(k1.view.key).toStrictEqual({ ...restricted, status: 'revoked' });
        expect(k1.view.principal).toEqual(principal('alice', []));
        const k2 = await cache.subject(ACME, { keyId: 'k2' });
        expect(k2.key).toStrictEqual({ ...unrestricted, status: 'revoked' });
        expect(k2.view.principal).toBeNull(); // the owner is not a member
        expect(await cache.accountOfKey('k2')).toBe(ACME);
      });
    });

    describe('atomicity', () => {
      it('a reader sees every op of a batch or none, together with its position', async () => {
        await cache.apply(1n, [
          { op: 'account.put', account: ACME, record: { status: 'active', scopeDimensions: {} } },
          { op: 'role.put', account: ACME, role: role('r1') },
          { op: 'principal.put', account: ACME, principal: principal('alice', ['r1']) },
          { op: 'key.put', account: ACME, key: cachedKey('k', alice, { status: 'revoked' }) },
        ]);
        // Fire writes and reads together so they interleave however the adapter lets them.
        const writes: Promise<boolean>[] = [];
        const reads: ReturnType<PermissionCache['subject']>[] = [];
        for (let n = 2n; n <= 40n; n++) {
          writes.push(
            cache.apply(n, [
              { op: 'role.put', account: ACME, role: role(`r${n}`) },
              { op: 'principal.patch', account: ACME, key: 'user:alice', setRoles: [`r${n}`] },
              { op: 'key.patch', account: ACME, keyId: 'k', status: n % 2n === 0n ? 'active' : 'revoked' },
            ]),
          );
          reads.push(cache.subject(ACME, { keyId: 'k' }));
        }
        expect((await Promise.all(writes)).every(Boolean)).toBe(true);
        for (const read of await Promise.all(reads)) {
          const n = read.position!;
          expect(read.view.principal?.roles).toEqual([`r${n}`]);
          expect(read.view.roles[`r${n}`]).toEqual(role(`r${n}`));
          expect(read.key?.status).toBe(n % 2n === 0n ? 'active' : 'revoked');
        }
      });
    });

    describe('clear', () => {
      it('drops every entry and the checkpoint, and a rebuild from zero works', async () => {
        await applyEach(cache, fireworksHistory().events);
        await cache.clear();
        expect(await cache.checkpoint()).toBeNull();
        expect(await observe(cache)).toEqual(observeEmpty());
        expect(await cache.apply(1n, [])).toBe(true);
        await cache.clear();
        await applyEach(cache, fireworksHistory().events);
        expect((await check(ACME, { principal: alice }, deleteAnyDataset)).allowed).toBe(true);
      });
    });

    describe('listings and indexes', () => {
      it('lists an account\'s keys, and a user\'s accounts with the membership status', async () => {
        const h = new History();
        h.add('AccountCreated', { accountId: ACME, model: presetModel('fireworks') });
        h.add('AccountCreated', { accountId: GLOBEX, model: presetModel('fireworks') });
        h.add('UserInvited', { accountId: ACME, userId: 'alice', email: 'a@x.test', roles: ['user'], invitation: { id: 'i1', secretHash: 'h', expiresAt: '2031-01-01T00:00:00.000Z' } });
        h.add('UserAdded', { accountId: GLOBEX, userId: 'alice', email: 'a@x.test', roles: ['admin'], reason: 'seed_admin' });
        h.add('UserDeactivated', { accountId: GLOBEX, userId: 'alice' });
        h.add('ApiKeyCreated', { accountId: ACME, keyId: 'k1', owner: alice, name: 'n', secretHash: 'h1' });
        h.add('ApiKeyCreated', { accountId: ACME, keyId: 'k2', owner: alice, name: 'n', secretHash: 'h2' });
        await applyEach(cache, h.events);
        expect((await cache.keys(ACME)).map((k) => k.id).sort()).toEqual(['k1', 'k2']);
        expect(await cache.keys(GLOBEX)).toEqual([]);
        const accounts = (await cache.accountsOfUser('alice')).sort((a, b) => a.account.localeCompare(b.account));
        expect(accounts).toEqual([
          { account: ACME, status: 'invited' },
          { account: GLOBEX, status: 'deactivated' },
        ]);
        expect(await cache.accountsOfUser('nobody')).toEqual([]);
      });

      it('records key use without events, keeping per-account maps', async () => {
        await cache.recordKeyUse(ACME, { k1: 1000, k2: 2000 });
        await cache.recordKeyUse(ACME, { k1: 3000 });
        await cache.recordKeyUse(GLOBEX, {});
        expect(await cache.keyUses(ACME)).toEqual({ k1: 3000, k2: 2000 });
        expect(await cache.keyUses(GLOBEX)).toEqual({});
      });

      it('a key minted for an ended membership stays dead when the same user joins again', async () => {
        const h = new History();
        h.add('AccountCreated', { accountId: ACME, model: presetModel('fireworks') });
        h.add('UserAdded', { accountId: ACME, userId: 'bob', email: 'b@x.test', roles: ['user'], reason: 'seed_admin', generation: 1 });
        h.add('ApiKeyCreated', { accountId: ACME, keyId: 'old', owner: bob, name: 'n', secretHash: 'h', ownerGeneration: 1 });
        h.add('UserRemoved', { accountId: ACME, userId: 'bob' });
        h.add('UserAdded', { accountId: ACME, userId: 'bob', email: 'b@x.test', roles: ['user'], reason: 'seed_admin', generation: 2 });
        h.add('ApiKeyCreated', { accountId: ACME, keyId: 'new', owner: bob, name: 'n', secretHash: 'h', ownerGeneration: 2 });
        await applyEach(cache, h.events);
        expect((await check(ACME, { keyId: 'old' }, readDataset)).reason).toBe('KEY_REVOKED');
        expect((await check(ACME, { keyId: 'new' }, readDataset)).allowed).toBe(true);
      });
    });

    it('ping answers', async () => {
      await expect(cache.ping()).resolves.toBeUndefined();
    });
  });
}

/** What `observe` returns for a cache that knows nothing. */
function observeEmpty() {
  return {
    subjects: OBSERVED.map(([, ref]) =>
      'keyId' in ref
        ? { view: { account: null, principal: null, roles: {}, key: null }, key: null, position: null }
        : { view: { account: null, principal: null, roles: {} }, position: null },
    ),
    keyAccounts: [null, null, null, null],
    checkpoint: null,
  };
}
