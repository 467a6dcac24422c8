import { presetModel } from '../presets/presets';
import { AccountEvent } from './account.events';
import { accountFromSnapshot, accountSnapshotParts, accountSnapshotReader, accountToSnapshot, evolveAccount, initialAccountState } from './account.state';

it('an account state survives a snapshot round trip, and folding on from it equals folding from the start', () => {
  const events: AccountEvent[] = [
    { type: 'AccountCreated', data: { accountId: 'a', model: presetModel('adaptive') } },
    { type: 'UserAdded', data: { accountId: 'a', userId: 'u1', email: 'u1@a', roles: ['admin'], teams: ['admin'], reason: 'seed_admin', generation: 1 } },
    { type: 'UserInvited', data: { accountId: 'a', userId: 'u2', email: 'u2@a', roles: ['read_only'], invitation: { id: 'i', secretHash: 'h', expiresAt: '2030-01-01T00:00:00.000Z' } } },
    { type: 'TeamCreated', data: { accountId: 'a', team: 'red' } },
    { type: 'InviteLinkCreated', data: { accountId: 'a', linkId: 'l', roles: ['read_only'], secretHash: 'h', expiresAt: '2030-01-01T00:00:00.000Z' } },
    { type: 'RoleCreated', data: { accountId: 'a', role: { name: 'x', description: '', builtIn: false, grants: [{ permission: 'use_case:read', condition: 'team' }], scopes: {} } } },
  ];
  const later: AccountEvent[] = [
    { type: 'InvitationAccepted', data: { accountId: 'a', userId: 'u2', invitationId: 'i' } },
    { type: 'TeamMemberAdded', data: { accountId: 'a', team: 'red', principal: { type: 'user', id: 'u2' } } },
  ];
  const direct = [...events, ...later].reduce(evolveAccount, initialAccountState());
  const viaSnapshot = later.reduce(evolveAccount, accountFromSnapshot(accountToSnapshot(events.reduce(evolveAccount, initialAccountState()))));
  expect(accountToSnapshot(viaSnapshot)).toBe(accountToSnapshot(direct));
  expect(viaSnapshot).toEqual(direct);
});

it('a snapshot is made in parts of at most the given number of entries, and read back from them equals the state', () => {
  const events: AccountEvent[] = [
    { type: 'AccountCreated', data: { accountId: 'a', model: presetModel('fireworks') } },
    ...Array.from({ length: 25 }, (_, i): AccountEvent => ({
      type: 'UserAdded',
      data: { accountId: 'a', userId: `u${i}`, email: `u${i}@a`, roles: ['user'], reason: 'seed_admin', generation: 1 },
    })),
    { type: 'UserInvited', data: { accountId: 'a', userId: 'v', email: 'v@a', roles: ['user'], invitation: { id: 'i', secretHash: 'h', expiresAt: '2030-01-01T00:00:00.000Z' } } },
  ];
  const state = events.reduce(evolveAccount, initialAccountState());
  const parts = [...accountSnapshotParts(state, 4)];
  const entries = parts.slice(1).map((p) => (JSON.parse(p) as [string, unknown[]])[1].length);
  expect(Math.max(...entries)).toBe(4);
  // 26 members and 26 emails in slices of 4, plus the head, the roles and the invitation.
  expect(parts.length).toBeGreaterThanOrEqual(1 + 7 + 7 + 1);
  const reader = accountSnapshotReader();
  for (const p of parts) reader.read(p);
  expect(reader.state()).toEqual(state);
  expect(accountFromSnapshot(accountToSnapshot(state))).toEqual(state);
  expect(accountFromSnapshot(accountToSnapshot(initialAccountState()))).toEqual(initialAccountState());
});
