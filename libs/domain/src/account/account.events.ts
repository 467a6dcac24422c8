import { AccessModel, Catalog, PrincipalRef, RoleDefinition } from '../access/model';

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
  data: {
    accountId: string;
    userId: string;
    email: string;
    roles: string[];
    teams?: string[];
    reason: 'seed_admin' | 'sso_first_login' | 'invite_link';
    /** The invite link used, for reason invite_link. */
    linkId?: string;
    /** Membership generation: keys minted for an earlier membership of the same user stop working. */
    generation?: number;
  };
}

export interface UserInvited {
  type: 'UserInvited';
  data: {
    accountId: string;
    userId: string;
    email: string;
    roles: string[];
    teams?: string[];
    generation?: number;
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

/** A custom role. Built-in roles come with AccountCreated and never change. */
export interface RoleCreated {
  type: 'RoleCreated';
  data: { accountId: string; role: RoleDefinition };
}

/** Carries the whole new definition, so the projection needs no earlier state. */
export interface RoleUpdated {
  type: 'RoleUpdated';
  data: { accountId: string; role: RoleDefinition };
}

export interface RoleDeleted {
  type: 'RoleDeleted';
  data: { accountId: string; name: string };
}

/** New resource types, actions or scope dimensions; `catalog` is the whole catalog after the change. */
export interface CatalogExtended {
  type: 'CatalogExtended';
  data: { accountId: string; added: Catalog; catalog: Catalog };
}

export interface TeamCreated {
  type: 'TeamCreated';
  data: { accountId: string; team: string };
}

export interface TeamDeleted {
  type: 'TeamDeleted';
  data: { accountId: string; team: string };
}

export interface TeamMemberAdded {
  type: 'TeamMemberAdded';
  data: { accountId: string; team: string; principal: PrincipalRef };
}

export interface TeamMemberRemoved {
  type: 'TeamMemberRemoved';
  data: { accountId: string; team: string; principal: PrincipalRef };
}

/** Adaptive: the role and team new members get, changeable by an admin later. */
export interface AccountDefaultsChanged {
  type: 'AccountDefaultsChanged';
  data: { accountId: string; defaultRole: string; defaultTeam?: string };
}

export interface UserDeactivated {
  type: 'UserDeactivated';
  data: { accountId: string; userId: string };
}

export interface UserReactivated {
  type: 'UserReactivated';
  data: { accountId: string; userId: string };
}

export interface UserProfileUpdated {
  type: 'UserProfileUpdated';
  data: { accountId: string; userId: string; displayName: string };
}

export interface InviteLinkCreated {
  type: 'InviteLinkCreated';
  data: {
    accountId: string;
    linkId: string;
    roles: string[];
    /** SHA-256 of the link token's secret; the token is shown once. */
    secretHash: string;
    expiresAt: string;
    maxUses?: number;
  };
}

export interface InviteLinkRevoked {
  type: 'InviteLinkRevoked';
  data: { accountId: string; linkId: string };
}

export interface ServiceAccountCreated {
  type: 'ServiceAccountCreated';
  data: { accountId: string; serviceAccountId: string; name: string; roles: string[]; generation?: number };
}

export interface ServiceAccountDeleted {
  type: 'ServiceAccountDeleted';
  data: { accountId: string; serviceAccountId: string };
}

/** Ends every access in the account at once: every check denies, every key stops working. */
export interface AccountDeleted {
  type: 'AccountDeleted';
  data: { accountId: string };
}

export type AccountEvent =
  | AccountCreated
  | UserAdded
  | UserInvited
  | InvitationAccepted
  | RoleAssigned
  | RoleUnassigned
  | UserRemoved
  | RoleCreated
  | RoleUpdated
  | RoleDeleted
  | CatalogExtended
  | TeamCreated
  | TeamDeleted
  | TeamMemberAdded
  | TeamMemberRemoved
  | AccountDefaultsChanged
  | UserDeactivated
  | UserReactivated
  | UserProfileUpdated
  | InviteLinkCreated
  | InviteLinkRevoked
  | ServiceAccountCreated
  | ServiceAccountDeleted
  | AccountDeleted;

export const accountStream = (accountId: string): string => `account-${accountId}`;
