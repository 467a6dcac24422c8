import { assertNoEscalation, authorize } from '../access/authorize';
import { principalKey } from '../access/model';
import { DomainError, errors } from '../errors';
import { isPresetName, presetModel } from '../presets/presets';
import { constantTimeEqual } from '../secrets';
import { AccountCommand, CommandContext } from './account.commands';
import { AccountEvent } from './account.events';
import { AccountState, assertNever, ExistingAccount, isActiveAdmin, Member } from './account.state';

type Active = ExistingAccount & { status: 'active' };

/** decide(command, state) → events. Every invariant of the account stream lives here. */
export function decideAccount(command: AccountCommand, state: AccountState, ctx: CommandContext): AccountEvent[] {
  if (command.type === 'CreateAccount') return createAccount(command, state, ctx);
  const account = requireActive(state);
  switch (command.type) {
    case 'InviteUser': {
      authorize(account, ctx.actor, 'members.invite', { id: command.userId }, ctx.now);
      const email = command.email.toLowerCase();
      const existing = account.emails.get(email);
      if (existing) {
        throw errors.conflict('USER.ALREADY_MEMBER', `${command.email} is already a member of this account`, { userId: existing });
      }
      const roles = command.roles.length > 0 ? dedupe(command.roles) : [account.model.defaultRole];
      for (const role of roles) {
        requireRole(account, role);
        assertNoEscalation(account, ctx.actor, role);
      }
      return [
        {
          type: 'UserInvited',
          data: {
            accountId: account.id,
            userId: command.userId,
            email: command.email,
            roles,
            invitation: { ...command.invitation, expiresAt: command.invitation.expiresAt.toISOString() },
          },
        },
      ];
    }
    case 'AcceptInvitation': {
      const member = [...account.members.values()].find((m) => m.invitation?.id === command.invitationId);
      if (!member?.invitation || !constantTimeEqual(member.invitation.secretHash, command.secretHash)) {
        throw new DomainError('INVITATION.INVALID', 'validation', 'the invitation token is not valid for this account');
      }
      if (Date.parse(member.invitation.expiresAt) <= ctx.now.getTime()) {
        throw new DomainError('INVITATION.EXPIRED', 'conflict', 'the invitation has expired: ask for a new one');
      }
      return [{ type: 'InvitationAccepted', data: { accountId: account.id, userId: member.id, invitationId: command.invitationId } }];
    }
    case 'AssignRole': {
      const member = requireMember(account, command.userId);
      authorize(account, ctx.actor, 'members.update', { id: command.userId }, ctx.now);
      requireRole(account, command.role);
      assertNoEscalation(account, ctx.actor, command.role);
      if (member.roles.includes(command.role)) return [];
      return [{ type: 'RoleAssigned', data: { accountId: account.id, principal: { type: 'user', id: member.id }, role: command.role } }];
    }
    case 'UnassignRole': {
      const member = requireMember(account, command.userId);
      authorize(account, ctx.actor, 'members.update', { id: command.userId }, ctx.now);
      requireRole(account, command.role);
      // Taking a role away is as powerful as giving it: the same no-escalation rule applies.
      assertNoEscalation(account, ctx.actor, command.role);
      if (!member.roles.includes(command.role)) return [];
      if (account.model.adminRoles.includes(command.role)) {
        const remaining = member.roles.filter((r) => r !== command.role);
        if (!remaining.some((r) => account.model.adminRoles.includes(r))) assertNotLastAdmin(account, member);
      }
      return [{ type: 'RoleUnassigned', data: { accountId: account.id, principal: { type: 'user', id: member.id }, role: command.role } }];
    }
    case 'RemoveUser': {
      const member = requireMember(account, command.userId);
      authorize(account, ctx.actor, 'members.remove', { id: command.userId }, ctx.now);
      assertNotLastAdmin(account, member);
      return [{ type: 'UserRemoved', data: { accountId: account.id, userId: member.id } }];
    }
    default:
      return assertNever(command);
  }
}

function createAccount(command: Extract<AccountCommand, { type: 'CreateAccount' }>, state: AccountState, ctx: CommandContext): AccountEvent[] {
  if (ctx.actor.kind !== 'root') throw errors.forbidden('account:create', 'ROOT_ONLY');
  if (state.status !== 'none') throw errors.conflict('ACCOUNT.ALREADY_EXISTS', `account ${command.accountId} already exists`);
  if (!isPresetName(command.preset)) {
    throw errors.validation('ACCOUNT.UNKNOWN_PRESET', `unknown preset "${command.preset}"`, { preset: command.preset });
  }
  const model = presetModel(command.preset);
  const adminRole = model.adminRoles[0];
  const seen = new Set<string>();
  const events: AccountEvent[] = [{ type: 'AccountCreated', data: { accountId: command.accountId, model } }];
  for (const admin of command.admins) {
    const email = admin.email.toLowerCase();
    if (seen.has(email)) continue;
    seen.add(email);
    events.push({
      type: 'UserAdded',
      data: { accountId: command.accountId, userId: admin.userId, email: admin.email, roles: [adminRole], reason: 'seed_admin' },
    });
  }
  return events;
}

function requireActive(state: AccountState): Active {
  if (state.status === 'none') throw errors.notFound('ACCOUNT.NOT_FOUND', 'the account does not exist');
  if (state.status === 'deleted') throw errors.conflict('ACCOUNT.DELETED', 'the account has been deleted');
  return state;
}

function requireMember(account: Active, userId: string): Member {
  const member = account.members.get(principalKey({ type: 'user', id: userId }));
  if (!member || member.status === 'removed') {
    throw errors.notFound('USER.NOT_FOUND', `user ${userId} is not a member of this account`, { userId });
  }
  return member;
}

function requireRole(account: Active, role: string): void {
  if (!account.roles.has(role)) throw errors.validation('ROLE.NOT_FOUND', `role "${role}" does not exist in this account`, { role });
}

/** The last active admin cannot be removed, demoted or deactivated: the account would be unmanageable. */
function assertNotLastAdmin(account: Active, member: Member): void {
  if (!isActiveAdmin(account, member)) return;
  for (const other of account.members.values()) {
    if (other !== member && isActiveAdmin(account, other)) return;
  }
  throw errors.conflict('ADMIN.LAST_ADMIN', 'this is the last active admin of the account: make another admin first');
}

function dedupe(values: string[]): string[] {
  return [...new Set(values)];
}
