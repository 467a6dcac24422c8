import { EVENT_SCHEMA_VERSION, GatehouseEvent, GatehouseEventType } from '@gatehouse/domain';
import { RecordedEvent } from '@gatehouse/event-store';
import { EVENT_TYPES, PublishedEvent, toEventMessage } from './event-message';

const SECRET_HASH = 'a'.repeat(64);
const alice = { type: 'user' as const, id: 'usr_aliceaaaa' };

/**
 * One sample of every event type. A Record over the union: a new event type does not
 * compile here until it has a sample, and so is scanned for secrets like the rest.
 */
const samples: { [T in GatehouseEventType]: Extract<GatehouseEvent, { type: T }>['data'] } = {
  AccountCreated: {
    accountId: 'acme',
    model: { preset: 'custom', defaultRole: 'member', roles: {}, catalog: { resourceTypes: {}, scopeDimensions: {} }, operations: {} } as never,
  },
  UserAdded: { accountId: 'acme', userId: alice.id, email: 'a@acme.test', roles: ['admin'], reason: 'seed_admin' },
  UserInvited: { accountId: 'acme', userId: alice.id, email: 'a@acme.test', roles: [], invitation: { id: 'inv1', secretHash: SECRET_HASH, expiresAt: '2030-01-01T00:00:00.000Z' } },
  InvitationAccepted: { accountId: 'acme', userId: alice.id, invitationId: 'inv1' },
  RoleAssigned: { accountId: 'acme', principal: alice, role: 'admin' },
  RoleUnassigned: { accountId: 'acme', principal: alice, role: 'admin' },
  UserRemoved: { accountId: 'acme', userId: alice.id },
  RoleCreated: { accountId: 'acme', role: { name: 'r', description: '', grants: [], scopes: {} } as never },
  RoleUpdated: { accountId: 'acme', role: { name: 'r', description: '', grants: [], scopes: {} } as never },
  RoleDeleted: { accountId: 'acme', name: 'r' },
  CatalogExtended: { accountId: 'acme', added: { resourceTypes: {}, scopeDimensions: {} }, catalog: { resourceTypes: {}, scopeDimensions: {} } } as never,
  TeamCreated: { accountId: 'acme', team: 't' },
  TeamDeleted: { accountId: 'acme', team: 't' },
  TeamMemberAdded: { accountId: 'acme', team: 't', principal: alice },
  TeamMemberRemoved: { accountId: 'acme', team: 't', principal: alice },
  AccountDefaultsChanged: { accountId: 'acme', defaultRole: 'member' },
  UserDeactivated: { accountId: 'acme', userId: alice.id },
  UserReactivated: { accountId: 'acme', userId: alice.id },
  UserProfileUpdated: { accountId: 'acme', userId: alice.id, displayName: 'Alice' },
  InviteLinkCreated: { accountId: 'acme', linkId: 'lnk1', roles: [], secretHash: SECRET_HASH, expiresAt: '2030-01-01T00:00:00.000Z' },
  InviteLinkRevoked: { accountId: 'acme', linkId: 'lnk1' },
  ServiceAccountCreated: { accountId: 'acme', serviceAccountId: 'sa_bot', name: 'bot', roles: [] },
  ServiceAccountDeleted: { accountId: 'acme', serviceAccountId: 'sa_bot' },
  AccountDeleted: { accountId: 'acme' },
  LoginRecorded: { accountId: 'acme', userId: alice.id, method: 'sso', at: '2030-01-01T00:00:00.000Z' },
  ApiKeyCreated: { accountId: 'acme', keyId: 'key1', owner: alice, name: 'ci', secretHash: SECRET_HASH },
  ApiKeyRevoked: { accountId: 'acme', keyId: 'key1', owner: alice },
  UserIdentityRegistered: { userId: alice.id, email: 'a@acme.test' },
  ResourceRegistered: { accountId: 'acme', resource: { type: 'dataset', id: 'ds1', owner: alice.id, tags: {} } },
  ResourceUpdated: { accountId: 'acme', resource: { type: 'dataset', id: 'ds1', owner: alice.id, team: 't', tags: {} }, previous: { type: 'dataset', id: 'ds1', owner: alice.id, tags: {} } },
  ResourceTransferred: { accountId: 'acme', resource: { type: 'dataset', id: 'ds1', owner: 'usr_bob', tags: {} }, fromOwner: alice.id },
  ResourceDeleted: { accountId: 'acme', resourceType: 'dataset', resourceId: 'ds1' },
};

let position = 0n;
function recorded(type: GatehouseEventType, stream = `account-acme`): RecordedEvent {
  position++;
  return {
    id: `00000000-0000-4000-8000-${position.toString().padStart(12, '0')}`,
    type,
    data: samples[type],
    streamId: type === 'UserIdentityRegistered' ? 'identity-abc' : stream,
    revision: position - 1n,
    position,
    metadata: {
      actor: 'root',
      account: type === 'UserIdentityRegistered' ? '_global' : 'acme',
      commandId: 'cmd-1',
      commandHash: 'f'.repeat(64),
      correlationId: 'corr-1',
      causationId: 'cmd-1',
      occurredAt: '2030-01-01T00:00:00.000Z',
      schemaVersion: EVENT_SCHEMA_VERSION,
    },
  };
}

describe('the published form of every event type', () => {
  it.each(EVENT_TYPES.filter((t) => t !== 'UserIdentityRegistered'))('%s: no secret hash, no command hash, readable envelope', (type) => {
    const event = recorded(type);
    const outcome = toEventMessage(event);
    if (!('message' in outcome)) throw new Error(`${type} was not published`);
    const { key, value, headers } = outcome.message;
    expect(value).not.toContain(SECRET_HASH);
    expect(value).not.toMatch(/secretHash|commandHash/);
    expect(value).not.toContain('f'.repeat(64));
    const published = JSON.parse(value) as PublishedEvent;
    expect(published).toMatchObject({
      version: 1,
      eventId: event.id,
      type,
      schemaVersion: EVENT_SCHEMA_VERSION,
      account: 'acme',
      stream: 'account-acme',
      revision: String(event.position),
      commandId: 'cmd-1',
      correlationId: 'corr-1',
    });
    expect(key).toBe('acme');
    expect(headers).toEqual({
      type,
      'event-id': event.id,
      revision: String(event.position),
      'schema-version': String(EVENT_SCHEMA_VERSION),
      'content-type': 'application/json',
    });
  });

  it('keeps everything but the secret: the invitation id and expiry, the key id and owner', () => {
    const invited = JSON.parse((toEventMessage(recorded('UserInvited')) as { message: { value: string } }).message.value);
    expect(invited.data.invitation).toEqual({ id: 'inv1', expiresAt: '2030-01-01T00:00:00.000Z' });
    expect(invited.data.email).toBe('a@acme.test');
    const key = JSON.parse((toEventMessage(recorded('ApiKeyCreated', 'apikey-key1')) as { message: { value: string } }).message.value);
    expect(key.data).toEqual({ accountId: 'acme', keyId: 'key1', owner: alice, name: 'ci' });
    expect(key.stream).toBe('apikey-key1');
  });

  it('does not publish identity claims (no account, and the account event carries the same id and email)', () => {
    expect(toEventMessage(recorded('UserIdentityRegistered'))).toEqual({ skip: 'identity_stream' });
  });

  it('holds back an event type this build does not know: nobody vouched it has no secret', () => {
    const unknown = { ...recorded('UserRemoved'), type: 'SomethingNew', data: { secretHash: SECRET_HASH } };
    expect(toEventMessage(unknown)).toEqual({ skip: 'unknown_type' });
  });

  it('sends the actor key id (never the key) when the actor used one', () => {
    const event = recorded('RoleAssigned');
    event.metadata.actor = `user:${alice.id}`;
    event.metadata.actorKeyId = 'key1';
    const published = JSON.parse((toEventMessage(event) as { message: { value: string } }).message.value);
    expect(published).toMatchObject({ actor: `user:${alice.id}`, actorKeyId: 'key1' });
  });
});
