import { AccessScopes, Catalog, Grant } from '../access/model';
import { Actor } from '../actor';

/** Commands on the account stream. Ids of new things are chosen by the handler (injected ids). */

export interface CreateAccount {
  type: 'CreateAccount';
  accountId: string;
  preset: string;
  /** Seed admins, already resolved to global user ids by the handler. */
  admins: { email: string; userId: string }[];
  /** Override the preset's default role / team for new members (Adaptive's Helm values). */
  defaultRole?: string;
  defaultTeam?: string;
}

export interface InviteUser {
  type: 'InviteUser';
  userId: string;
  email: string;
  roles: string[];
  invitation: { id: string; secretHash: string; expiresAt: Date };
}

export interface AcceptInvitation {
  type: 'AcceptInvitation';
  invitationId: string;
  secretHash: string;
}

export interface AssignRole {
  type: 'AssignRole';
  userId: string;
  role: string;
  /** Default user; service accounts hold roles too. */
  principalType?: 'user' | 'service_account';
}

export interface UnassignRole {
  type: 'UnassignRole';
  userId: string;
  role: string;
  principalType?: 'user' | 'service_account';
}

export interface RemoveUser {
  type: 'RemoveUser';
  userId: string;
}

export interface CreateRole {
  type: 'CreateRole';
  name: string;
  description: string;
  grants: Grant[];
  scopes: AccessScopes;
}

export interface UpdateRole {
  type: 'UpdateRole';
  name: string;
  description?: string;
  grants?: Grant[];
  scopes?: AccessScopes;
}

export interface DeleteRole {
  type: 'DeleteRole';
  name: string;
}

export interface ExtendCatalog {
  type: 'ExtendCatalog';
  resourceTypes: Catalog['resourceTypes'];
  scopeDimensions: Catalog['scopeDimensions'];
}

export interface CreateTeam {
  type: 'CreateTeam';
  team: string;
}

export interface DeleteTeam {
  type: 'DeleteTeam';
  team: string;
}

export interface AddTeamMember {
  type: 'AddTeamMember';
  team: string;
  userId: string;
}

export interface RemoveTeamMember {
  type: 'RemoveTeamMember';
  team: string;
  userId: string;
}

export interface ChangeAccountDefaults {
  type: 'ChangeAccountDefaults';
  defaultRole: string;
  /** null clears the default team. */
  defaultTeam?: string | null;
}

export interface DeactivateUser {
  type: 'DeactivateUser';
  userId: string;
}

export interface ReactivateUser {
  type: 'ReactivateUser';
  userId: string;
}

export interface UpdateUserProfile {
  type: 'UpdateUserProfile';
  userId: string;
  displayName: string;
}

/** A trusted identity provider reports a login (Firefly, Adaptive): the first one creates the member. */
export interface ProvisionUser {
  type: 'ProvisionUser';
  userId: string;
  email: string;
  /** The email is listed as a seed admin for this account (GATEHOUSE_SEED_ADMINS). */
  seedAdmin: boolean;
}

/** Startup seeding from configuration: make the email an active admin, idempotently. */
export interface EnsureSeedAdmin {
  type: 'EnsureSeedAdmin';
  userId: string;
  email: string;
}

export interface CreateInviteLink {
  type: 'CreateInviteLink';
  linkId: string;
  roles: string[];
  secretHash: string;
  expiresAt: Date;
  maxUses?: number;
}

export interface RevokeInviteLink {
  type: 'RevokeInviteLink';
  linkId: string;
}

export interface JoinViaInviteLink {
  type: 'JoinViaInviteLink';
  linkId: string;
  secretHash: string;
  userId: string;
  email: string;
}

export interface CreateServiceAccount {
  type: 'CreateServiceAccount';
  serviceAccountId: string;
  name: string;
  roles: string[];
}

export interface DeleteServiceAccount {
  type: 'DeleteServiceAccount';
  serviceAccountId: string;
}

export interface DeleteAccount {
  type: 'DeleteAccount';
}

export type AccountCommand =
  | CreateAccount
  | InviteUser
  | AcceptInvitation
  | AssignRole
  | UnassignRole
  | RemoveUser
  | CreateRole
  | UpdateRole
  | DeleteRole
  | ExtendCatalog
  | CreateTeam
  | DeleteTeam
  | AddTeamMember
  | RemoveTeamMember
  | ChangeAccountDefaults
  | DeactivateUser
  | ReactivateUser
  | UpdateUserProfile
  | ProvisionUser
  | EnsureSeedAdmin
  | CreateInviteLink
  | RevokeInviteLink
  | JoinViaInviteLink
  | CreateServiceAccount
  | DeleteServiceAccount
  | DeleteAccount;

/** What every decider receives besides the command: who asks, and when. */
export interface CommandContext {
  actor: Actor;
  now: Date;
}
