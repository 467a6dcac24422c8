import { Actor } from '../actor';
import { AccountEvent } from '../account/account.events';
import { AccountState, evolveAccount, initialAccountState } from '../account/account.state';
import { presetModel } from '../presets/presets';
import { ApiKeyCommand, ApiKeyEvent, ApiKeyState, decideApiKey, evolveApiKey, initialApiKeyState } from './api-key';

const now = new Date('2026-11-23T10:00:00.000Z');
const as = (id: string): Actor => ({ kind: 'principal', principal: { type: 'user', id } });
const member = (userId: string, roles: string[]): AccountEvent => ({
  type: 'UserAdded',
  data: { accountId: 'acme', userId, email: `${userId}@acme.test`, roles, reason: 'seed_admin' },
});
const account: AccountState = [
  { type: 'AccountCreated', data: { accountId: 'acme', model: presetModel('fireworks') } } as AccountEvent,
  member('usr_admin', ['admin']),
  member('usr_alice', ['user']),
  member('usr_carol', ['contributor']),
].reduce(evolveAccount, initialAccountState());

function decide(actor: Actor, command: ApiKeyCommand, given: ApiKeyEvent[] = []) {
  return decideApiKey(command, given.reduce(evolveApiKey, initialApiKeyState() as ApiKeyState), account, { actor, now });
}
const create = (owner: string, extra: Partial<Extract<ApiKeyCommand, { type: 'CreateApiKey' }>> = {}): ApiKeyCommand => ({
  type: 'CreateApiKey',
  accountId: 'acme',
  keyId: 'k1',
  owner: { type: 'user', id: owner },
  name: 'ci',
  secretHash: 'ab'.repeat(32),
  ...extra,
});
const created = (owner: string): ApiKeyEvent => ({
  type: 'ApiKeyCreated',
  data: { accountId: 'acme', keyId: 'k1', owner: { type: 'user', id: owner }, name: 'ci', secretHash: 'ab'.repeat(32), ownerGeneration: 1 },
});
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'no error';
};

describe('CreateApiKey', () => {
  it('any member may create their own key (Fireworks: self-owned keys)', () => {
    expect(decide(as('usr_carol'), create('usr_carol'))).toEqual([created('usr_carol')]);
  });
  it("only admins create keys for others, and an admin's key for alice carries alice's roles", () => {
    expect(code(() => decide(as('usr_alice'), create('usr_carol')))).toBe('PERMISSION.DENIED');
    expect(decide(as('usr_admin'), create('usr_alice'))).toEqual([created('usr_alice')]);
  });
  it('refuses an owner who is not a member', () => expect(code(() => decide(as('usr_admin'), create('usr_ghost')))).toBe('USER.NOT_FOUND'));
  it('refuses an unknown permission in a restriction, and an expiry in the past', () => {
    expect(code(() => decide(as('usr_alice'), create('usr_alice', { restriction: [{ permission: 'rocket:launch', condition: 'any' }] })))).toBe(
      'PERMISSION.UNKNOWN',
    );
    expect(code(() => decide(as('usr_alice'), create('usr_alice', { expiresAt: new Date('2026-01-01T00:00:00Z') })))).toBe('API_KEY.EXPIRY_IN_PAST');
  });
  it('refuses an existing key id', () => expect(code(() => decide(as('usr_alice'), create('usr_alice'), [created('usr_alice')]))).toBe('API_KEY.ALREADY_EXISTS'));
});

describe('RevokeApiKey', () => {
  const revoke: ApiKeyCommand = { type: 'RevokeApiKey', accountId: 'acme', keyId: 'k1' };
  const revoked: ApiKeyEvent = { type: 'ApiKeyRevoked', data: { accountId: 'acme', keyId: 'k1', owner: { type: 'user', id: 'usr_alice' } } };
  it('the owner revokes their own key', () => expect(decide(as('usr_alice'), revoke, [created('usr_alice')])).toEqual([revoked]));
  it("only admins revoke others' keys (Fireworks)", () => {
    expect(code(() => decide(as('usr_carol'), revoke, [created('usr_alice')]))).toBe('PERMISSION.DENIED');
    expect(decide(as('usr_admin'), revoke, [created('usr_alice')])).toEqual([revoked]);
  });
  it('revoking twice changes nothing', () => expect(decide(as('usr_alice'), revoke, [created('usr_alice'), revoked])).toEqual([]));
  it('an unknown key, or a key of another account, is not found', () => {
    expect(code(() => decide(as('usr_admin'), revoke))).toBe('API_KEY.NOT_FOUND');
    const elsewhere: ApiKeyEvent = { ...created('usr_alice'), data: { ...created('usr_alice').data, accountId: 'other' } } as ApiKeyEvent;
    expect(code(() => decide(as('usr_admin'), revoke, [elsewhere]))).toBe('API_KEY.NOT_FOUND');
  });
});
