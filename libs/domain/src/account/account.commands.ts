import { Actor } from '../actor';

/** Commands on the account stream. Ids of new things are chosen by the handler (injected ids). */

export interface CreateAccount {
  type: 'CreateAccount';
  accountId: string;
  preset: string;
  /** Seed admins, already resolved to global user ids by the handler. */
  admins: { email: string; userId: string }[];
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

export type AccountCommand = CreateAccount | InviteUser | AcceptInvitation | AssignRole | UnassignRole | RemoveUser;

/** What every decider receives besides the command: who asks, and when. */
export interface CommandContext {
  actor: Actor;
  now: Date;
}
