import { AccessModel, PrincipalRef } from '../access/model';

/**
 * Events of the `account-<id>` stream: membership, roles and (later) teams.
 * The type strings are the stored names: written out by hand, never derived from code.
 */

export interface AccountCreated {
  type: 'AccountCreated';
  data: { accountId: string; model: AccessModel };
}

/** A user became a member without an invitation: seed admins named at creation. */
export interface UserAdded {
  type: 'UserAdded';
  data: { accountId: string; userId: string; email: string; roles: string[]; reason: 'seed_admin' };
}

export interface UserInvited {
  type: 'UserInvited';
  data: {
    accountId: string;
    userId: string;
    email: string;
    roles: string[];
    /** Only the SHA-256 of the invitation token's secret: the token itself is shown once. */
    invitation: { id: string; secretHash: string; expiresAt: string };
  };
}

export interface InvitationAccepted {
  type: 'InvitationAccepted';
  data: { accountId: string; userId: string; invitationId: string };
}

export interface RoleAssigned {
  type: 'RoleAssigned';
  data: { accountId: string; principal: PrincipalRef; role: string };
}

export interface RoleUnassigned {
  type: 'RoleUnassigned';
  data: { accountId: string; principal: PrincipalRef; role: string };
}

export interface UserRemoved {
  type: 'UserRemoved';
  data: { accountId: string; userId: string };
}

export type AccountEvent = AccountCreated | UserAdded | UserInvited | InvitationAccepted | RoleAssigned | RoleUnassigned | UserRemoved;

export const ACCOUNT_EVENT_TYPES: readonly AccountEvent['type'][] = [
  'AccountCreated',
  'UserAdded',
  'UserInvited',
  'InvitationAccepted',
  'RoleAssigned',
  'RoleUnassigned',
  'UserRemoved',
];

export const accountStream = (accountId: string): string => `account-${accountId}`;
