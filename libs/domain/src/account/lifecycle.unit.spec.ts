import { Actor } from '../actor';
import { decideRecordLogin } from '../logins/logins';
import { presetModel } from '../presets/presets';
import { specFor } from '../testing/specification';
import { AccountCommand } from './account.commands';
import { decideAccount } from './account.decide';
import { AccountEvent } from './account.events';
import { AccountState, evolveAccount, initialAccountState } from './account.state';

/** Issue 4's commands on the account stream: each flow, and each refusal. */
const now = new Date('2026-11-23T10:00:00.000Z');
const root: Actor = { kind: 'root' };
const anonymous: Actor = { kind: 'anonymous' };
const as = (id: string): Actor => ({ kind: 'principal', principal: { type: 'user', id } });
const spec = (actor: Actor) =>
  specFor<AccountCommand, AccountState, AccountEvent>({
    decide: (c, s) => decideAccount(c, s, { actor, now }),
    evolve: evolveAccount,
    initialState: initialAccountState,
  });

const user = (userId: string, roles: string[], extra: Partial<Extract<AccountEvent, { type: 'UserAdded' }>['data']> = {}): AccountEvent => ({
  type: 'UserAdded',
  data: { accountId: 'acme', userId, email: `${userId}@acme.test`, roles, reason: 'seed_admin', generation: 1, ...extra },
});
const base: AccountEvent[] = [
  { type: 'AccountCreated', data: { accountId: 'acme', model: presetModel('fireworks') } },
  user('admin', ['admin']),
  user('alice', ['user']),
  user('carol', ['contributor']),
];

describe('DeactivateUser / ReactivateUser', () => {
  const off: AccountEvent = { type: 'UserDeactivated', data: { accountId: 'acme', userId: 'alice' } };
  it('an admin deactivates and reactivates a member', () => {
    spec(as('admin'))(base).when({ type: 'DeactivateUser', userId: 'alice' }).then([off]);
    spec(as('admin'))([...base, off]).when({ type: 'ReactivateUser', userId: 'alice' }).then([
      { type: 'UserReactivated', data: { accountId: 'acme', userId: 'alice' } },
    ]);
  });
  it('repeating either changes nothing', () => {
    spec(as('admin'))([...base, off]).when({ type: 'DeactivateUser', userId: 'alice' }).then([]);
    spec(as('admin'))(base).when({ type: 'ReactivateUser', userId: 'alice' }).then([]);
  });
  it('needs user:update; the last admin cannot be deactivated; an invited member cannot be', () => {
    spec(as('alice'))(base).when({ type: 'DeactivateUser', userId: 'carol' }).thenThrows('PERMISSION.DENIED');
    spec(as('admin'))(base).when({ type: 'DeactivateUser', userId: 'admin' }).thenThrows('ADMIN.LAST_ADMIN');
    const invited: AccountEvent = {
      type: 'UserInvited',
      data: { accountId: 'acme', userId: 'ivy', email: 'ivy@acme.test', roles: ['user'], invitation: { id: 'i', secretHash: 'h', expiresAt: '2027-01-01T00:00:00.000Z' } },
    };
    spec(as('admin'))([...base, invited]).when({ type: 'DeactivateUser', userId: 'ivy' }).thenThrows('USER.NOT_ACTIVE');
  });
  it('reactivating an admin needs the powers being restored (no escalation)', () => {
    const manager: AccountEvent[] = [
      ...base,
      user('admin2', ['admin']),
      { type: 'UserDeactivated', data: { accountId: 'acme', userId: 'admin2' } },
      { type: 'RoleCreated', data: { accountId: 'acme', role: { name: 'hr', description: '', builtIn: false, grants: [{ permission: 'user:*', condition: 'any' }], scopes: {} } } },
      user('hr', ['hr']),
    ];
    spec(as('hr'))(manager).when({ type: 'ReactivateUser', userId: 'admin2' }).thenThrows('PERMISSION.DENIED');
  });
});

describe('UpdateUserProfile', () => {
  it('by the user themselves or an admin; not by another member', () => {
    const updated = (name: string): AccountEvent => ({ type: 'UserProfileUpdated', data: { accountId: 'acme', userId: 'alice', displayName: name } });
    spec(as('alice'))(base).when({ type: 'UpdateUserProfile', userId: 'alice', displayName: 'Al' }).then([updated('Al')]);
    spec(as('admin'))(base).when({ type: 'UpdateUserProfile', userId: 'alice', displayName: 'Alice' }).then([updated('Alice')]);
    spec(as('carol'))(base).when({ type: 'UpdateUserProfile', userId: 'alice', displayName: 'X' }).thenThrows('PERMISSION.DENIED');
    spec(as('alice'))([...base, updated('Al')]).when({ type: 'UpdateUserProfile', userId: 'alice', displayName: 'Al' }).then([]);
  });
});

describe('ProvisionUser (SSO) and EnsureSeedAdmin', () => {
  it('the first login creates an active member with the default role', () =>
    spec(root)(base).when({ type: 'ProvisionUser', userId: 'newbie', email: 'newbie@acme.test', seedAdmin: false }).then([
      user('newbie', ['user'], { email: 'newbie@acme.test', reason: 'sso_first_login' }),
    ]));
  it('a configured seed admin is created as an admin', () =>
    spec(root)(base).when({ type: 'ProvisionUser', userId: 'boss', email: 'boss@acme.test', seedAdmin: true }).then([
      user('boss', ['admin'], { email: 'boss@acme.test' }),
    ]));
  it('a later login changes nothing; an invited member is activated; a deactivated one is refused', () => {
    spec(root)(base).when({ type: 'ProvisionUser', userId: 'alice', email: 'ALICE@acme.test', seedAdmin: false }).then([]);
    const invited: AccountEvent = {
      type: 'UserInvited',
      data: { accountId: 'acme', userId: 'ivy', email: 'ivy@acme.test', roles: ['user'], invitation: { id: 'inv', secretHash: 'h', expiresAt: '2027-01-01T00:00:00.000Z' } },
    };
    spec(root)([...base, invited]).when({ type: 'ProvisionUser', userId: 'ivy', email: 'ivy@acme.test', seedAdmin: false }).then([
      { type: 'InvitationAccepted', data: { accountId: 'acme', userId: 'ivy', invitationId: 'inv' } },
    ]);
    spec(root)([...base, { type: 'UserDeactivated', data: { accountId: 'acme', userId: 'alice' } }])
      .when({ type: 'ProvisionUser', userId: 'alice', email: 'alice@acme.test', seedAdmin: false })
      .thenThrows('USER.DEACTIVATED');
  });
  it('needs the provisioning permission (Fireworks: user:create)', () =>
    spec(as('alice'))(base).when({ type: 'ProvisionUser', userId: 'x', email: 'x@acme.test', seedAdmin: false }).thenThrows('PERMISSION.DENIED'));
  it('seeding only adds: an existing member keeps their roles', () => {
    spec(root)(base).when({ type: 'EnsureSeedAdmin', userId: 'alice', email: 'alice@acme.test' }).then([]);
    spec(root)(base).when({ type: 'EnsureSeedAdmin', userId: 'seed', email: 'seed@acme.test' }).then([user('seed', ['admin'], { email: 'seed@acme.test' })]);
  });
});

describe('invite links', () => {
  const link = (extra: Partial<Extract<AccountEvent, { type: 'InviteLinkCreated' }>['data']> = {}): AccountEvent => ({
    type: 'InviteLinkCreated',
    data: { accountId: 'acme', linkId: 'l1', roles: ['contributor'], secretHash: 'aa', expiresAt: '2026-12-01T00:00:00.000Z', ...extra },
  });
  const joinCmd = (userId: string, secretHash = 'aa'): AccountCommand => ({ type: 'JoinViaInviteLink', linkId: 'l1', secretHash, userId, email: `${userId}@acme.test` });
  it('an admin creates a link; members without user:create cannot; a link cannot carry more than its creator holds', () => {
    spec(as('admin'))(base)
      .when({ type: 'CreateInviteLink', linkId: 'l1', roles: ['contributor'], secretHash: 'aa', expiresAt: new Date('2026-12-01T00:00:00.000Z') })
      .then([link()]);
    spec(as('alice'))(base)
      .when({ type: 'CreateInviteLink', linkId: 'l1', roles: ['contributor'], secretHash: 'aa', expiresAt: new Date('2026-12-01T00:00:00.000Z') })
      .thenThrows('PERMISSION.DENIED');
    spec(as('admin'))(base)
      .when({ type: 'CreateInviteLink', linkId: 'l1', roles: [], secretHash: 'aa', expiresAt: new Date('2020-01-01T00:00:00.000Z') })
      .thenThrows('INVITE_LINK.EXPIRY_IN_PAST');
  });
  it('joining creates an active member with the link\'s roles and counts the use', () =>
    spec(anonymous)([...base, link()]).when(joinCmd('dan')).then([user('dan', ['contributor'], { reason: 'invite_link', linkId: 'l1' })]));
  it('refuses a wrong secret, a revoked, expired or used-up link, and an existing member', () => {
    spec(anonymous)([...base, link()]).when(joinCmd('dan', 'bb')).thenThrows('INVITE_LINK.INVALID');
    spec(anonymous)([...base, link(), { type: 'InviteLinkRevoked', data: { accountId: 'acme', linkId: 'l1' } }]).when(joinCmd('dan')).thenThrows('INVITE_LINK.REVOKED');
    spec(anonymous)([...base, link({ expiresAt: '2026-11-01T00:00:00.000Z' })]).when(joinCmd('dan')).thenThrows('INVITE_LINK.EXPIRED');
    spec(anonymous)([...base, link({ maxUses: 1 }), user('dan', ['contributor'], { reason: 'invite_link', linkId: 'l1' })])
      .when(joinCmd('eve'))
      .thenThrows('INVITE_LINK.USED_UP');
    spec(anonymous)([...base, link()]).when({ ...joinCmd('alice') }).thenThrows('USER.ALREADY_MEMBER');
  });
});

describe('service accounts', () => {
  const created: AccountEvent = { type: 'ServiceAccountCreated', data: { accountId: 'acme', serviceAccountId: 'sa_1', name: 'ci', roles: ['contributor'], generation: 1 } };
  it('an admin creates one with roles; others may not; roles obey no escalation', () => {
    spec(as('admin'))(base).when({ type: 'CreateServiceAccount', serviceAccountId: 'sa_1', name: 'ci', roles: ['contributor'] }).then([created]);
    spec(as('alice'))(base).when({ type: 'CreateServiceAccount', serviceAccountId: 'sa_1', name: 'ci', roles: [] }).thenThrows('PERMISSION.DENIED');
    spec(as('admin'))([...base, created]).when({ type: 'CreateServiceAccount', serviceAccountId: 'sa_1', name: 'ci', roles: [] }).thenThrows('SERVICE_ACCOUNT.ALREADY_EXISTS');
  });
  it('holds roles like a user, and is deleted for good', () => {
    spec(as('admin'))([...base, created]).when({ type: 'AssignRole', userId: 'sa_1', role: 'user', principalType: 'service_account' }).then([
      { type: 'RoleAssigned', data: { accountId: 'acme', principal: { type: 'service_account', id: 'sa_1' }, role: 'user' } },
    ]);
    spec(as('admin'))([...base, created]).when({ type: 'DeleteServiceAccount', serviceAccountId: 'sa_1' }).then([
      { type: 'ServiceAccountDeleted', data: { accountId: 'acme', serviceAccountId: 'sa_1' } },
    ]);
    spec(as('admin'))(base).when({ type: 'DeleteServiceAccount', serviceAccountId: 'sa_9' }).thenThrows('SERVICE_ACCOUNT.NOT_FOUND');
  });
});

describe('DeleteAccount', () => {
  it('only the platform root key may, under Fireworks; afterwards every command is refused', () => {
    spec(root)(base).when({ type: 'DeleteAccount' }).then([{ type: 'AccountDeleted', data: { accountId: 'acme' } }]);
    spec(as('admin'))(base).when({ type: 'DeleteAccount' }).thenThrows('PERMISSION.DENIED');
    spec(root)([...base, { type: 'AccountDeleted', data: { accountId: 'acme' } }]).when({ type: 'RemoveUser', userId: 'alice' }).thenThrows('ACCOUNT.DELETED');
  });
});

describe('RecordLogin', () => {
  const state = base.reduce(evolveAccount, initialAccountState());
  const login = { type: 'RecordLogin' as const, accountId: 'acme', userId: 'alice', method: 'password' as const, sourceAddress: '10.1.1.1' };
  it('records a login, by the provisioning integration or by the user', () => {
    const expected = [{ type: 'LoginRecorded', data: { accountId: 'acme', userId: 'alice', method: 'password', at: now.toISOString(), sourceAddress: '10.1.1.1' } }];
    expect(decideRecordLogin(login, state, { actor: root, now })).toEqual(expected);
    expect(decideRecordLogin(login, state, { actor: as('alice'), now })).toEqual(expected);
  });
  it('refuses another member, an unknown user and a deactivated one', () => {
    expect(() => decideRecordLogin(login, state, { actor: as('carol'), now })).toThrow(expect.objectContaining({ code: 'PERMISSION.DENIED' }));
    expect(() => decideRecordLogin({ ...login, userId: 'nobody' }, state, { actor: root, now })).toThrow(expect.objectContaining({ code: 'USER.NOT_FOUND' }));
    const off = evolveAccount(base.reduce(evolveAccount, initialAccountState()), { type: 'UserDeactivated', data: { accountId: 'acme', userId: 'alice' } });
    expect(() => decideRecordLogin(login, off, { actor: root, now })).toThrow(expect.objectContaining({ code: 'USER.NOT_ACTIVE' }));
  });
});
