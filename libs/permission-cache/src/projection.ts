import { RecordedEvent } from '@gatehouse/event-store';
import { compileRole, GatehouseEvent, MemberStatus, principalKey } from '@gatehouse/domain';
import { CacheOp } from './permission-cache.port';

/**
 * Event → cache operations. Pure and stateless: each event carries what its
 * operations need, so replaying the stream from any checkpoint yields the same cache.
 */
export function projectEvent(recorded: RecordedEvent): CacheOp[] {
  const event = { type: recorded.type, data: recorded.data } as GatehouseEvent;
  switch (event.type) {
    case 'AccountCreated': {
      const { accountId: account, model } = event.data;
      return [
        { op: 'account.put', account, record: { status: 'active', scopeDimensions: model.catalog.scopeDimensions } },
        ...model.roles.map((r): CacheOp => ({ op: 'role.put', account, role: compileRole(r) })),
      ];
    }
    case 'UserAdded':
    case 'UserInvited':
      return [
        membership(event.data.accountId, event.data.userId, event.type === 'UserAdded' ? 'active' : 'invited'),
        {
          op: 'principal.put',
          account: event.data.accountId,
          principal: {
            type: 'user',
            id: event.data.userId,
            status: event.type === 'UserAdded' ? 'active' : 'invited',
            roles: event.data.roles,
            teams: event.data.teams ?? [],
            ...(event.data.generation !== undefined ? { generation: event.data.generation } : {}),
          },
        },
      ];
    case 'ServiceAccountCreated':
      return [
        {
          op: 'principal.put',
          account: event.data.accountId,
          principal: {
            type: 'service_account',
            id: event.data.serviceAccountId,
            status: 'active',
            roles: event.data.roles,
            teams: [],
            ...(event.data.generation !== undefined ? { generation: event.data.generation } : {}),
          },
        },
      ];
    case 'ServiceAccountDeleted':
      return [
        {
          op: 'principal.patch',
          account: event.data.accountId,
          key: principalKey({ type: 'service_account', id: event.data.serviceAccountId }),
          status: 'removed',
          setRoles: [],
        },
      ];
    case 'UserDeactivated':
      return [
        { op: 'principal.patch', account: event.data.accountId, key: userKey(event.data.userId), status: 'deactivated' },
        membership(event.data.accountId, event.data.userId, 'deactivated'),
      ];
    case 'UserReactivated':
      return [
        { op: 'principal.patch', account: event.data.accountId, key: userKey(event.data.userId), status: 'active' },
        membership(event.data.accountId, event.data.userId, 'active'),
      ];
    case 'AccountDeleted':
      return [{ op: 'account.patch', account: event.data.accountId, status: 'deleted' }];
    case 'InvitationAccepted':
      return [
        { op: 'principal.patch', account: event.data.accountId, key: userKey(event.data.userId), status: 'active' },
        membership(event.data.accountId, event.data.userId, 'active'),
      ];
    case 'RoleAssigned':
      return [{ op: 'principal.patch', account: event.data.accountId, key: principalKey(event.data.principal), addRoles: [event.data.role] }];
    case 'RoleUnassigned':
      return [
        { op: 'principal.patch', account: event.data.accountId, key: principalKey(event.data.principal), removeRoles: [event.data.role] },
      ];
    case 'UserRemoved':
      return [
        { op: 'principal.patch', account: event.data.accountId, key: userKey(event.data.userId), status: 'removed', setRoles: [] },
        membership(event.data.accountId, event.data.userId, 'removed'),
      ];
    case 'ApiKeyCreated': {
      const d = event.data;
      return [
        {
          op: 'key.put',
          account: d.accountId,
          key: {
            id: d.keyId,
            status: 'active',
            owner: d.owner,
            secretHash: d.secretHash,
            ...(d.expiresAt ? { expiresAt: Date.parse(d.expiresAt) } : {}),
            ...(d.restriction ? { restriction: indexRestriction(d.restriction) } : {}),
            ...(d.ownerGeneration !== undefined ? { ownerGeneration: d.ownerGeneration } : {}),
          },
        },
      ];
    }
    case 'ApiKeyRevoked':
      return [{ op: 'key.patch', account: event.data.accountId, keyId: event.data.keyId, status: 'revoked' }];
    case 'RoleCreated':
    case 'RoleUpdated':
      return [{ op: 'role.put', account: event.data.accountId, role: compileRole(event.data.role) }];
    case 'RoleDeleted':
      return [{ op: 'role.delete', account: event.data.accountId, name: event.data.name }];
    case 'CatalogExtended':
      return [
        { op: 'account.put', account: event.data.accountId, record: { status: 'active', scopeDimensions: event.data.catalog.scopeDimensions } },
      ];
    case 'TeamMemberAdded':
      return [{ op: 'principal.patch', account: event.data.accountId, key: principalKey(event.data.principal), addTeams: [event.data.team] }];
    case 'TeamMemberRemoved':
      return [{ op: 'principal.patch', account: event.data.accountId, key: principalKey(event.data.principal), removeTeams: [event.data.team] }];
    case 'TeamCreated':
    case 'TeamDeleted':
    case 'AccountDefaultsChanged':
    case 'UserProfileUpdated':
    case 'InviteLinkCreated':
    case 'InviteLinkRevoked':
    case 'UserIdentityRegistered':
    case 'LoginRecorded':
      // Teams live on principals in the cache; defaults matter only to commands.
      return [];
    default:
      // Events this version does not know (written by a newer one) change nothing here.
      return [];
  }
}

const userKey = (id: string) => principalKey({ type: 'user', id });

const membership = (account: string, userId: string, status: MemberStatus): CacheOp => ({ op: 'membership.put', account, userId, status });

function indexRestriction(grants: { permission: string; condition: 'any' | 'own' | 'team' }[]) {
  return compileRole({ name: 'restriction', grants, scopes: {} }).grants;
}
