import { Actor } from '../actor';
import { presetModel } from '../presets/presets';
import { specFor } from '../testing/specification';
import { AccountCommand } from './account.commands';
import { decideAccount } from './account.decide';
import { AccountEvent } from './account.events';
import { AccountState, evolveAccount, initialAccountState } from './account.state';

const now = new Date('2026-11-23T10:00:00.000Z');
const root: Actor = { kind: 'root' };
const as = (id: string): Actor => ({ kind: 'principal', principal: { type: 'user', id } });
const spec = (actor: Actor) =>
  specFor<AccountCommand, AccountState, AccountEvent>({
    decide: (c, s) => decideAccount(c, s, { actor, now }),
    evolve: evolveAccount,
    initialState: initialAccountState,
  });

const model = presetModel('fireworks');
const created: AccountEvent = { type: 'AccountCreated', data: { accountId: 'acme', model } };
const admin: AccountEvent = {
  type: 'UserAdded',
  data: { accountId: 'acme', userId: 'usr_admin', email: 'admin@acme.test', roles: ['admin'], reason: 'seed_admin', generation: 1 },
};
const invitation = { id: 'inv1', secretHash: 'aa'.repeat(32), expiresAt: '2026-11-30T10:00:00.000Z' };
const bobInvited: AccountEvent = {
  type: 'UserInvited',
  data: { accountId: 'acme', userId: 'usr_bob', email: 'bob@acme.test', roles: ['user'], invitation },
};
const bobActive: AccountEvent = { type: 'InvitationAccepted', data: { accountId: 'acme', userId: 'usr_bob', invitationId: 'inv1' } };
const invite = (email: string, roles: string[] = []): AccountCommand => ({
  type: 'InviteUser',
  userId: 'usr_new',
  email,
  roles,
  invitation: { id: 'inv2', secretHash: 'bb'.repeat(32), expiresAt: new Date('2026-11-30T10:00:00.000Z') },
});

describe('CreateAccount', () => {
  it('creates the account from the preset, with its seed admins active', () =>
    spec(root)([]).when({ type: 'CreateAccount', accountId: 'acme', preset: 'fireworks', admins: [{ email: 'admin@acme.test', userId: 'usr_admin' }] })
      .then([created, admin]));
  it('is for the platform root key only', () =>
    spec(as('usr_admin'))([]).when({ type: 'CreateAccount', accountId: 'acme', preset: 'fireworks', admins: [] }).thenThrows('PERMISSION.DENIED'));
  it('refuses an existing account', () =>
    spec(root)([created]).when({ type: 'CreateAccount', accountId: 'acme', preset: 'fireworks', admins: [] }).thenThrows('ACCOUNT.ALREADY_EXISTS'));
  it('refuses an unknown preset', () =>
    spec(root)([]).when({ type: 'CreateAccount', accountId: 'acme', preset: 'nope', admins: [] }).thenThrows('ACCOUNT.UNKNOWN_PRESET'));
});

describe('InviteUser', () => {
  it('invites with the default role when none is given', () =>
    spec(as('usr_admin'))([created, admin]).when(invite('new@acme.test')).then([
      {
        type: 'UserInvited',
        data: { accountId: 'acme', userId: 'usr_new', email: 'new@acme.test', roles: ['user'], generation: 1, invitation: { ...invitation, id: 'inv2', secretHash: 'bb'.repeat(32) } },
      },
    ]));
  it('needs user:create (Fireworks: admins only)', () =>
    spec(as('usr_bob'))([created, admin, bobInvited, bobActive]).when(invite('x@acme.test')).thenThrows('PERMISSION.DENIED'));
  it('refuses an existing member, whatever the email case', () =>
    spec(as('usr_admin'))([created, admin, bobInvited]).when(invite('BOB@acme.test')).thenThrows('USER.ALREADY_MEMBER'));
  it('refuses an unknown role', () =>
    spec(as('usr_admin'))([created, admin]).when(invite('n@acme.test', ['owner'])).thenThrows('ROLE.NOT_FOUND'));
  it('refuses a missing account', () => spec(as('usr_admin'))([]).when(invite('n@acme.test')).thenThrows('ACCOUNT.NOT_FOUND'));
  it('an invited (not yet accepted) admin cannot act', () =>
    spec(as('usr_bob'))([
      created,
      admin,
      { ...bobInvited, data: { ...bobInvited.data, roles: ['admin'] } } as AccountEvent,
    ]).when(invite('n@acme.test')).thenThrows('PERMISSION.DENIED'));
});

describe('AcceptInvitation', () => {
  const accept = (secretHash: string): AccountCommand => ({ type: 'AcceptInvitation', invitationId: 'inv1', secretHash });
  it('activates the membership', () => spec({ kind: 'anonymous' })([created, admin, bobInvited]).when(accept(invitation.secretHash)).then([bobActive]));
  it('refuses a wrong secret', () => spec({ kind: 'anonymous' })([created, admin, bobInvited]).when(accept('cc'.repeat(32))).thenThrows('INVITATION.INVALID'));
  it('is single use', () => spec({ kind: 'anonymous' })([created, admin, bobInvited, bobActive]).when(accept(invitation.secretHash)).thenThrows('INVITATION.INVALID'));
  it('refuses an expired invitation', () => {
    const expired = { ...bobInvited, data: { ...bobInvited.data, invitation: { ...invitation, expiresAt: '2026-11-01T00:00:00.000Z' } } } as AccountEvent;
    spec({ kind: 'anonymous' })([created, admin, expired]).when(accept(invitation.secretHash)).thenThrows('INVITATION.EXPIRED');
  });
});

describe('AssignRole / UnassignRole', () => {
  const history = [created, admin, bobInvited, bobActive];
  it('assigns a role', () =>
    spec(as('usr_admin'))(history).when({ type: 'AssignRole', userId: 'usr_bob', role: 'contributor' }).then([
      { type: 'RoleAssigned', data: { accountId: 'acme', principal: { type: 'user', id: 'usr_bob' }, role: 'contributor' } },
    ]));
  it('assigning a held role changes nothing', () =>
    spec(as('usr_admin'))(history).when({ type: 'AssignRole', userId: 'usr_bob', role: 'user' }).then([]));
  it('needs user:update', () => spec(as('usr_bob'))(history).when({ type: 'AssignRole', userId: 'usr_bob', role: 'admin' }).thenThrows('PERMISSION.DENIED'));
  it('refuses an unknown role and an unknown user', () => {
    spec(as('usr_admin'))(history).when({ type: 'AssignRole', userId: 'usr_bob', role: 'nope' }).thenThrows('ROLE.NOT_FOUND');
    spec(as('usr_admin'))(history).when({ type: 'AssignRole', userId: 'usr_nobody', role: 'user' }).thenThrows('USER.NOT_FOUND');
  });
  it('unassigns a role', () =>
    spec(as('usr_admin'))(history).when({ type: 'UnassignRole', userId: 'usr_bob', role: 'user' }).then([
      { type: 'RoleUnassigned', data: { accountId: 'acme', principal: { type: 'user', id: 'usr_bob' }, role: 'user' } },
    ]));
  it('cannot demote the last active admin', () =>
    spec(as('usr_admin'))(history).when({ type: 'UnassignRole', userId: 'usr_admin', role: 'admin' }).thenThrows('ADMIN.LAST_ADMIN'));
  it('can demote an admin when another active admin remains', () => {
    const promoted: AccountEvent = { type: 'RoleAssigned', data: { accountId: 'acme', principal: { type: 'user', id: 'usr_bob' }, role: 'admin' } };
    spec(as('usr_bob'))([...history, promoted]).when({ type: 'UnassignRole', userId: 'usr_admin', role: 'admin' }).then([
      { type: 'RoleUnassigned', data: { accountId: 'acme', principal: { type: 'user', id: 'usr_admin' }, role: 'admin' } },
    ]);
  });
});

describe('RemoveUser', () => {
  const history = [created, admin, bobInvited, bobActive];
  it('removes a member', () =>
    spec(as('usr_admin'))(history).when({ type: 'RemoveUser', userId: 'usr_bob' }).then([{ type: 'UserRemoved', data: { accountId: 'acme', userId: 'usr_bob' } }]));
  it('cannot remove the last active admin', () =>
    spec(as('usr_admin'))(history).when({ type: 'RemoveUser', userId: 'usr_admin' }).thenThrows('ADMIN.LAST_ADMIN'));
  it('needs user:delete', () => spec(as('usr_bob'))(history).when({ type: 'RemoveUser', userId: 'usr_admin' }).thenThrows('PERMISSION.DENIED'));
  it('a removed member is not found, and the email may be invited again, as a new membership generation', () => {
    const removed: AccountEvent = { type: 'UserRemoved', data: { accountId: 'acme', userId: 'usr_bob' } };
    spec(as('usr_admin'))([...history, removed]).when({ type: 'RemoveUser', userId: 'usr_bob' }).thenThrows('USER.NOT_FOUND');
    const again = { ...invite('bob@acme.test'), userId: 'usr_bob' } as AccountCommand;
    spec(as('usr_admin'))([...history, removed]).when(again).then([
      {
        type: 'UserInvited',
        data: { accountId: 'acme', userId: 'usr_bob', email: 'bob@acme.test', roles: ['user'], generation: 2, invitation: { ...invitation, id: 'inv2', secretHash: 'bb'.repeat(32) } },
      },
    ]);
  });
});
