import { Actor } from '../actor';
import { Condition } from '../access/model';
import { AccountEvent } from '../account/account.events';
import { evolveAccount, initialAccountState } from '../account/account.state';
import { presetModel } from '../presets/presets';
import { decideResource, evolveResource, initialResourceState, mergeResource, ResourceCommand, ResourceEvent, ResourceRecord } from './resource';

/**
 * Who may write the registry, as a table: Fireworks' contributor creates any deployment
 * but updates and deletes only its own; `user` updates any; `inference-user` writes
 * nothing; root and resources.manage (custom preset's admin) may do anything.
 */
const now = new Date('2026-11-23T10:00:00.000Z');
const as = (id: string, restriction?: Record<string, Condition[]>): Actor => ({
  kind: 'principal',
  principal: { type: 'user', id },
  ...(restriction ? { restriction } : {}),
});
const user = (userId: string, roles: string[], teams?: string[]): AccountEvent => ({
  type: 'UserAdded',
  data: { accountId: 'acme', userId, email: `${userId}@acme.test`, roles, reason: 'seed_admin', generation: 1, ...(teams ? { teams } : {}) },
});
const account = [
  { type: 'AccountCreated', data: { accountId: 'acme', model: presetModel('fireworks') } } as AccountEvent,
  user('admin', ['admin']),
  user('uma', ['user']),
  user('carol', ['contributor']),
  user('ivan', ['inference-user']),
  { type: 'TeamCreated', data: { accountId: 'acme', team: 'ml' } } as AccountEvent,
].reduce(evolveAccount, initialAccountState());

const dep = (id: string, owner?: string, extra: Partial<ResourceRecord> = {}): ResourceRecord => ({ type: 'deployment', id, ...(owner ? { owner } : {}), tags: {}, ...extra });
const registered = (r: ResourceRecord): ResourceEvent[] => [{ type: 'ResourceRegistered', data: { accountId: 'acme', resource: r } }];
const stateOf = (events: ResourceEvent[]) => events.reduce(evolveResource, initialResourceState());
const run = (actor: Actor, given: ResourceEvent[], command: ResourceCommand) => decideResource(command, stateOf(given), account, { actor, now });
const outcome = (actor: Actor, given: ResourceEvent[], command: ResourceCommand): string => {
  try {
    const events = run(actor, given, command);
    return events.length === 0 ? 'unchanged' : events.map((e) => e.type).join(',');
  } catch (error) {
    return (error as { code: string }).code;
  }
};

const put = (r: ResourceRecord): ResourceCommand => ({ type: 'PutResource', resource: r });
const transfer = (id: string, owner: string, team?: string | null): ResourceCommand => ({ type: 'TransferResource', resourceType: 'deployment', resourceId: id, owner, ...(team !== undefined ? { team } : {}) });
const del = (id: string): ResourceCommand => ({ type: 'DeleteResource', resourceType: 'deployment', resourceId: id });

describe('the registry decider: who may write what', () => {
  const carols = registered(dep('d1', 'carol'));
  const umas = registered(dep('d2', 'uma'));
  it.each<[string, Actor, ResourceEvent[], ResourceCommand, string]>([
    ['contributor registers their own', as('carol'), [], put(dep('d1', 'carol')), 'ResourceRegistered'],
    ['contributor registers one owned by another (create is any)', as('carol'), [], put(dep('d1', 'uma')), 'ResourceRegistered'],
    ['contributor updates their own', as('carol'), carols, put(dep('d1', 'carol', { tags: { env: ['prod'] } })), 'ResourceUpdated'],
    ["contributor updates another's", as('carol'), umas, put(dep('d2', 'uma', { tags: { env: ['prod'] } })), 'PERMISSION.DENIED'],
    ["contributor writes themself into another's", as('carol'), umas, put(dep('d2', 'carol')), 'PERMISSION.DENIED'],
    ['contributor gives their own away (no update right after)', as('carol'), carols, transfer('d1', 'uma'), 'PERMISSION.DENIED'],
    ['contributor deletes their own', as('carol'), carols, del('d1'), 'ResourceDeleted'],
    ["contributor deletes another's", as('carol'), umas, del('d2'), 'PERMISSION.DENIED'],
    ['user (update any) transfers anything', as('uma'), carols, transfer('d1', 'uma'), 'ResourceTransferred'],
    ['inference user registers nothing', as('ivan'), [], put(dep('d9', 'ivan')), 'PERMISSION.DENIED'],
    ['root does anything', { kind: 'root' }, carols, del('d1'), 'ResourceDeleted'],
    ['anonymous does nothing', { kind: 'anonymous' }, [], put(dep('d9')), 'PERMISSION.DENIED'],
    ['a restricted key narrows its owner', as('uma', { 'deployment:read': ['any'] }), [], put(dep('d9', 'uma')), 'PERMISSION.DENIED'],
    ['same record again changes nothing', as('carol'), carols, put(dep('d1', 'carol')), 'unchanged'],
    ['tags are normalized: same set, other order, is unchanged', as('carol'), registered(dep('d1', 'carol', { tags: { env: ['a', 'b'] } })), put(dep('d1', 'carol', { tags: { env: ['b', 'a', 'a'] } })), 'unchanged'],
    ['unknown type', as('admin'), [], put({ type: 'widget', id: 'w1', tags: {} }), 'RESOURCE.UNKNOWN_TYPE'],
    ['bad id', as('admin'), [], put(dep('has space')), 'RESOURCE.INVALID'],
    ['unknown owner', as('admin'), [], put(dep('d9', 'nobody')), 'RESOURCE.OWNER_NOT_FOUND'],
    ['unknown team', as('admin'), [], put(dep('d9', undefined, { team: 'nope' })), 'TEAM.NOT_FOUND'],
    ['known team', as('admin'), [], put(dep('d9', undefined, { team: 'ml' })), 'ResourceRegistered'],
    ['transfer of an unregistered resource', as('admin'), [], transfer('d9', 'uma'), 'RESOURCE.NOT_FOUND'],
    ['delete of a deleted resource', as('admin'), [...carols, { type: 'ResourceDeleted', data: { accountId: 'acme', resourceType: 'deployment', resourceId: 'd1' } }], del('d1'), 'RESOURCE.NOT_FOUND'],
    ['register again after deletion', as('carol'), [...carols, { type: 'ResourceDeleted', data: { accountId: 'acme', resourceType: 'deployment', resourceId: 'd1' } }], put(dep('d1', 'carol')), 'ResourceRegistered'],
  ])('%s', (_name, actor, given, command, expected) => {
    expect(outcome(actor, given, command)).toBe(expected);
  });

  it('records what changed: the previous record on update, the previous owner and team on transfer', () => {
    const given = registered(dep('d1', 'carol', { team: 'ml' }));
    expect(run(as('uma'), given, transfer('d1', 'uma', null))).toEqual([
      { type: 'ResourceTransferred', data: { accountId: 'acme', resource: dep('d1', 'uma'), fromOwner: 'carol', fromTeam: 'ml' } },
    ]);
    expect(run(as('uma'), given, put(dep('d1', 'carol', { team: 'ml', tags: { env: ['x'] } })))).toEqual([
      { type: 'ResourceUpdated', data: { accountId: 'acme', resource: dep('d1', 'carol', { team: 'ml', tags: { env: ['x'] } }), previous: dep('d1', 'carol', { team: 'ml' }) } },
    ]);
  });

  it('refuses on a deleted account', () => {
    const deleted = evolveAccount(account, { type: 'AccountDeleted', data: { accountId: 'acme' } } as AccountEvent);
    expect(() => decideResource(put(dep('d1')), initialResourceState(), deleted, { actor: { kind: 'root' }, now })).toThrow(expect.objectContaining({ code: 'ACCOUNT.DELETED' }));
  });
});

describe('mergeResource: inline attributes override the registry', () => {
  const reg = dep('d1', 'carol', { team: 'ml', tags: { env: ['prod'] } });
  it.each([
    [{ type: 'deployment', id: 'd1' }, { type: 'deployment', id: 'd1', owner: 'carol', team: 'ml', tags: { env: ['prod'] } }],
    [{ id: 'd1', owner: 'uma' }, { type: 'deployment', id: 'd1', owner: 'uma', team: 'ml', tags: { env: ['prod'] } }],
    [{ id: 'd1', tags: { env: ['dev'] } }, { type: 'deployment', id: 'd1', owner: 'carol', team: 'ml', tags: { env: ['dev'] } }],
  ])('%j', (inline, expected) => {
    expect(mergeResource(reg, inline)).toEqual(expected);
  });
  it('returns the inline attributes alone for an unregistered resource', () => {
    expect(mergeResource(null, { id: 'x', owner: 'o' })).toEqual({ id: 'x', owner: 'o' });
  });
});
