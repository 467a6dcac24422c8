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
}

export interface UnassignRole {
  type: 'UnassignRole';
  userId: string;
  role: string;
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
  | ChangeAccountDefaults;

/** What every decider receives besides the command: who asks, and when. */
export interface CommandContext {
  actor: Actor;
  now: Date;
}
