import { assertNoEscalation, authorize } from '../access/authorize';
import { AccessScopes, Catalog, CONDITIONS, Grant, isKnownPermission, principalKey, RoleDefinition } from '../access/model';
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
      const roles = grantableRoles(account, ctx, command.roles);
      const teams = defaultTeams(account);
      return [
        {
          type: 'UserInvited',
          data: {
            accountId: account.id,
            userId: command.userId,
            email: command.email,
            roles,
            ...(teams.length > 0 ? { teams } : {}),
            generation: nextGeneration(account, command.userId),
            invitation: { ...command.invitation, expiresAt: command.invitation.expiresAt.toISOString() },
          },
        },
      ];
    }
    case 'AcceptInvitation': {
      const key = account.invitations.get(command.invitationId);
      const member = key ? account.members.get(key) : undefined;
      if (!member?.invitation || !constantTimeEqual(member.invitation.secretHash, command.secretHash)) {
        throw new DomainError('INVITATION.INVALID', 'validation', 'the invitation token is not valid for this account');
      }
      if (Date.parse(member.invitation.expiresAt) <= ctx.now.getTime()) {
        throw new DomainError('INVITATION.EXPIRED', 'conflict', 'the invitation has expired: ask for a new one');
      }
      return [{ type: 'InvitationAccepted', data: { accountId: account.id, userId: member.id, invitationId: command.invitationId } }];
    }
    case 'AssignRole': {
      const member = requireMember(account, command.userId, command.principalType);
      authorize(account, ctx.actor, 'members.update', { id: command.userId }, ctx.now, { target: member });
      requireRole(account, command.role);
      assertNoEscalation(account, ctx.actor, command.role);
      if (member.roles.includes(command.role)) return [];
      return [{ type: 'RoleAssigned', data: { accountId: account.id, principal: { type: member.type, id: member.id }, role: command.role } }];
    }
    case 'UnassignRole': {
      const member = requireMember(account, command.userId, command.principalType);
      authorize(account, ctx.actor, 'members.update', { id: command.userId }, ctx.now, { target: member });
      requireRole(account, command.role);
      // Taking a role away is as powerful as giving it: the same no-escalation rule applies.
      assertNoEscalation(account, ctx.actor, command.role);
      if (!member.roles.includes(command.role)) return [];
      if (account.model.adminRoles.includes(command.role)) {
        const remaining = member.roles.filter((r) => r !== command.role);
        if (!remaining.some((r) => account.model.adminRoles.includes(r))) assertNotLastAdmin(account, member);
      }
      return [{ type: 'RoleUnassigned', data: { accountId: account.id, principal: { type: member.type, id: member.id }, role: command.role } }];
    }
    case 'RemoveUser': {
      const member = requireMember(account, command.userId);
      authorize(account, ctx.actor, 'members.remove', { id: command.userId }, ctx.now, { target: member });
      assertNotLastAdmin(account, member);
      return [{ type: 'UserRemoved', data: { accountId: account.id, userId: member.id } }];
    }
    case 'CreateRole': {
      authorize(account, ctx.actor, 'roles.manage', undefined, ctx.now);
      if (account.roles.has(command.name)) throw errors.conflict('ROLE.ALREADY_EXISTS', `role "${command.name}" already exists`, { role: command.name });
      const role: RoleDefinition = {
        name: command.name,
        description: command.description,
        builtIn: false,
        grants: validGrants(account.model.catalog, command.grants),
        scopes: validScopes(account.model.catalog, command.scopes),
      };
      assertNoEscalation(account, ctx.actor, role);
      return [{ type: 'RoleCreated', data: { accountId: account.id, role } }];
    }
    case 'UpdateRole': {
      authorize(account, ctx.actor, 'roles.manage', undefined, ctx.now);
      const current = requireCustomRole(account, command.name);
      const role: RoleDefinition = {
        ...current,
        description: command.description ?? current.description,
        grants: command.grants ? validGrants(account.model.catalog, command.grants) : current.grants,
        scopes: command.scopes ? validScopes(account.model.catalog, command.scopes) : current.scopes,
      };
      assertNoEscalation(account, ctx.actor, role);
      if (JSON.stringify(role) === JSON.stringify(current)) return [];
      return [{ type: 'RoleUpdated', data: { accountId: account.id, role } }];
    }
    case 'DeleteRole': {
      authorize(account, ctx.actor, 'roles.manage', undefined, ctx.now);
      requireCustomRole(account, command.name);
      if (command.name === account.model.defaultRole) {
        throw errors.conflict('ROLE.IN_USE', `role "${command.name}" is the account's default role`, { role: command.name });
      }
      // Refused rather than cascaded: silently stripping a role from members is a change nobody asked for.
      const holders = [...account.members.values()].filter((m) => m.status !== 'removed' && m.roles.includes(command.name)).length;
      if (holders > 0) {
        throw errors.conflict('ROLE.IN_USE', `role "${command.name}" is held by ${holders} member(s): unassign it first`, {
          role: command.name,
          holders,
        });
      }
      return [{ type: 'RoleDeleted', data: { accountId: account.id, name: command.name } }];
    }
    case 'ExtendCatalog': {
      authorize(account, ctx.actor, 'catalog.manage', undefined, ctx.now);
      const { added, catalog } = extendCatalog(account.model.catalog, command);
      if (Object.keys(added.resourceTypes).length === 0 && Object.keys(added.scopeDimensions).length === 0) return [];
      return [{ type: 'CatalogExtended', data: { accountId: account.id, added, catalog } }];
    }
    case 'CreateTeam': {
      authorize(account, ctx.actor, 'teams.manage', undefined, ctx.now);
      if (account.teams.has(command.team)) throw errors.conflict('TEAM.ALREADY_EXISTS', `team "${command.team}" already exists`, { team: command.team });
      return [{ type: 'TeamCreated', data: { accountId: account.id, team: command.team } }];
    }
    case 'DeleteTeam': {
      authorize(account, ctx.actor, 'teams.manage', undefined, ctx.now);
      requireTeam(account, command.team);
      if (command.team === account.model.adminTeam?.team || command.team === account.model.defaultTeam) {
        throw errors.conflict('TEAM.PROTECTED', `team "${command.team}" is the account's admin or default team`, { team: command.team });
      }
      const members = [...account.members.values()].filter((m) => m.status !== 'removed' && m.teams.includes(command.team)).length;
      if (members > 0) {
        throw errors.conflict('TEAM.NOT_EMPTY', `team "${command.team}" has ${members} member(s): remove them first`, { team: command.team, members });
      }
      return [{ type: 'TeamDeleted', data: { accountId: account.id, team: command.team } }];
    }
    case 'AddTeamMember':
    case 'RemoveTeamMember': {
      const member = requireMember(account, command.userId);
      requireTeam(account, command.team);
      authorize(account, ctx.actor, 'members.update', { id: command.userId }, ctx.now, { target: member, team: command.team });
      const adding = command.type === 'AddTeamMember';
      if (member.teams.includes(command.team) === adding) return [];
      const principal = { type: member.type, id: member.id };
      if (!adding && command.team === account.model.adminTeam?.team && isGlobalRoleHolder(account, member)) {
        assertNotLastAdmin(account, member);
      }
      return [
        adding
          ? { type: 'TeamMemberAdded', data: { accountId: account.id, team: command.team, principal } }
          : { type: 'TeamMemberRemoved', data: { accountId: account.id, team: command.team, principal } },
      ];
    }
    case 'DeactivateUser': {
      const member = requireMember(account, command.userId);
      authorize(account, ctx.actor, 'members.update', { id: command.userId }, ctx.now, { target: member });
      if (member.status === 'deactivated') return [];
      if (member.status !== 'active') {
        throw errors.conflict('USER.NOT_ACTIVE', `user ${member.id} is ${member.status}: only active members can be deactivated`);
      }
      assertNotLastAdmin(account, member);
      return [{ type: 'UserDeactivated', data: { accountId: account.id, userId: member.id } }];
    }
    case 'ReactivateUser': {
      const member = requireMember(account, command.userId);
      authorize(account, ctx.actor, 'members.update', { id: command.userId }, ctx.now, { target: member });
      if (member.status === 'active') return [];
      if (member.status !== 'deactivated') {
        throw errors.conflict('USER.NOT_DEACTIVATED', `user ${member.id} is ${member.status}: only deactivated members can be reactivated`);
      }
      // Reactivation restores what deactivation suspended: bringing back an admin's powers needs them too.
      for (const role of member.roles) assertNoEscalation(account, ctx.actor, role);
      return [{ type: 'UserReactivated', data: { accountId: account.id, userId: member.id } }];
    }
    case 'UpdateUserProfile': {
      const member = requireMember(account, command.userId);
      const self = ctx.actor.kind === 'principal' && ctx.actor.principal.type === 'user' && ctx.actor.principal.id === member.id;
      // A user may edit their own profile; anyone else needs the members.update operation.
      if (!self) authorize(account, ctx.actor, 'members.update', { id: command.userId }, ctx.now, { target: member });
      if (member.displayName === command.displayName) return [];
      return [{ type: 'UserProfileUpdated', data: { accountId: account.id, userId: member.id, displayName: command.displayName } }];
    }
    case 'ProvisionUser':
    case 'EnsureSeedAdmin': {
      authorize(account, ctx.actor, 'members.provision', undefined, ctx.now);
      const asAdmin = command.type === 'EnsureSeedAdmin' || command.seedAdmin;
      const existingId = account.emails.get(command.email.toLowerCase());
      const member = existingId ? account.members.get(principalKey({ type: 'user', id: existingId })) : undefined;
      const adminRole = account.model.adminTeam?.roles[0] ?? account.model.adminRoles[0];
      if (!member) {
        const teams = asAdmin ? adminTeamsOf(account) : defaultTeams(account);
        return [
          {
            type: 'UserAdded',
            data: {
              accountId: account.id,
              userId: command.userId,
              email: command.email,
              roles: [asAdmin ? adminRole : account.model.defaultRole],
              ...(teams.length > 0 ? { teams } : {}),
              reason: asAdmin ? 'seed_admin' : 'sso_first_login',
              generation: nextGeneration(account, command.userId),
            },
          },
        ];
      }
      if (member.status === 'deactivated') {
        throw errors.conflict('USER.DEACTIVATED', `user ${member.id} is deactivated in this account: an admin must reactivate them`);
      }
      // Seeding only ever adds: an existing member keeps the roles admins gave them since.
      if (command.type === 'EnsureSeedAdmin') return [];
      // A pending invitation is accepted by the first SSO login.
      if (member.status === 'invited' && member.invitation) {
        return [{ type: 'InvitationAccepted', data: { accountId: account.id, userId: member.id, invitationId: member.invitation.id } }];
      }
      return [];
    }
    case 'CreateInviteLink': {
      authorize(account, ctx.actor, 'members.invite', undefined, ctx.now);
      if (account.links.has(command.linkId)) throw errors.conflict('INVITE_LINK.ALREADY_EXISTS', `invite link ${command.linkId} exists`);
      // A link can grant only roles its creator may grant.
      const roles = grantableRoles(account, ctx, command.roles);
      if (command.expiresAt.getTime() <= ctx.now.getTime()) throw errors.validation('INVITE_LINK.EXPIRY_IN_PAST', 'expiresAt must be in the future');
      return [
        {
          type: 'InviteLinkCreated',
          data: {
            accountId: account.id,
            linkId: command.linkId,
            roles,
            secretHash: command.secretHash,
            expiresAt: command.expiresAt.toISOString(),
            ...(command.maxUses !== undefined ? { maxUses: command.maxUses } : {}),
          },
        },
      ];
    }
    case 'RevokeInviteLink': {
      authorize(account, ctx.actor, 'members.invite', undefined, ctx.now);
      const link = account.links.get(command.linkId);
      if (!link) throw errors.notFound('INVITE_LINK.NOT_FOUND', `invite link ${command.linkId} does not exist`, { linkId: command.linkId });
      if (link.revoked) return [];
      return [{ type: 'InviteLinkRevoked', data: { accountId: account.id, linkId: link.id } }];
    }
    case 'JoinViaInviteLink': {
      const link = account.links.get(command.linkId);
      if (!link || !constantTimeEqual(link.secretHash, command.secretHash)) {
        throw new DomainError('INVITE_LINK.INVALID', 'validation', 'the invite link is not valid for this account');
      }
      if (link.revoked) throw errors.conflict('INVITE_LINK.REVOKED', 'the invite link has been revoked');
      if (Date.parse(link.expiresAt) <= ctx.now.getTime()) throw errors.conflict('INVITE_LINK.EXPIRED', 'the invite link has expired');
      if (link.maxUses !== undefined && link.uses >= link.maxUses) throw errors.conflict('INVITE_LINK.USED_UP', 'the invite link has been used up');
      const existing = account.emails.get(command.email.toLowerCase());
      if (existing) throw errors.conflict('USER.ALREADY_MEMBER', `${command.email} is already a member of this account`, { userId: existing });
      const teams = defaultTeams(account);
      return [
        {
          type: 'UserAdded',
          data: {
            accountId: account.id,
            userId: command.userId,
            email: command.email,
            roles: link.roles.filter((r) => account.roles.has(r)),
            ...(teams.length > 0 ? { teams } : {}),
            reason: 'invite_link',
            linkId: link.id,
            generation: nextGeneration(account, command.userId),
          },
        },
      ];
    }
    case 'CreateServiceAccount': {
      authorize(account, ctx.actor, 'service_accounts.create', undefined, ctx.now);
      if (account.members.has(principalKey({ type: 'service_account', id: command.serviceAccountId }))) {
        throw errors.conflict('SERVICE_ACCOUNT.ALREADY_EXISTS', `service account ${command.serviceAccountId} exists`);
      }
      const roles = grantableRoles(account, ctx, command.roles, { defaultWhenEmpty: false });
      return [{ type: 'ServiceAccountCreated', data: { accountId: account.id, serviceAccountId: command.serviceAccountId, name: command.name, roles, generation: 1 } }];
    }
    case 'DeleteServiceAccount': {
      const member = requireMember(account, command.serviceAccountId, 'service_account');
      authorize(account, ctx.actor, 'service_accounts.delete', { id: member.id }, ctx.now);
      assertNotLastAdmin(account, member);
      return [{ type: 'ServiceAccountDeleted', data: { accountId: account.id, serviceAccountId: member.id } }];
    }
    case 'DeleteAccount': {
      authorize(account, ctx.actor, 'account.delete', undefined, ctx.now);
      return [{ type: 'AccountDeleted', data: { accountId: account.id } }];
    }
    case 'ChangeAccountDefaults': {
      authorize(account, ctx.actor, 'roles.manage', undefined, ctx.now);
      requireRole(account, command.defaultRole);
      // Every newcomer (SSO first login, invitation without roles) gets this role: naming one
      // the actor does not hold would hand out more than it has.
      assertNoEscalation(account, ctx.actor, command.defaultRole);
      if (command.defaultTeam) requireTeam(account, command.defaultTeam);
      const defaultTeam = command.defaultTeam === undefined ? account.model.defaultTeam : (command.defaultTeam ?? undefined);
      if (command.defaultRole === account.model.defaultRole && defaultTeam === account.model.defaultTeam) return [];
      return [
        {
          type: 'AccountDefaultsChanged',
          data: { accountId: account.id, defaultRole: command.defaultRole, ...(defaultTeam !== undefined ? { defaultTeam } : {}) },
        },
      ];
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
  const preset = presetModel(command.preset);
  const model = { ...preset, teams: [...preset.teams] };
  if (command.defaultRole !== undefined) {
    if (!model.roles.some((r) => r.name === command.defaultRole)) {
      throw errors.validation('ROLE.NOT_FOUND', `role "${command.defaultRole}" does not exist in preset ${command.preset}`, { role: command.defaultRole });
    }
    model.defaultRole = command.defaultRole;
  }
  if (command.defaultTeam !== undefined) {
    // A default team named at creation is created with the account.
    if (!model.teams.includes(command.defaultTeam)) model.teams.push(command.defaultTeam);
    model.defaultTeam = command.defaultTeam;
  }
  const adminRole = model.adminTeam?.roles[0] ?? model.adminRoles[0];
  // Seed admins must be able to do global operations: under an admin-team rule they join that team.
  const adminTeams = [...new Set([model.adminTeam?.team, model.defaultTeam].filter((t): t is string => t !== undefined))];
  const seen = new Set<string>();
  const events: AccountEvent[] = [{ type: 'AccountCreated', data: { accountId: command.accountId, model } }];
  for (const admin of command.admins) {
    const email = admin.email.toLowerCase();
    if (seen.has(email)) continue;
    seen.add(email);
    events.push({
      type: 'UserAdded',
      data: {
        accountId: command.accountId,
        userId: admin.userId,
        email: admin.email,
        roles: [adminRole],
        ...(adminTeams.length > 0 ? { teams: adminTeams } : {}),
        reason: 'seed_admin',
        generation: 1,
      },
    });
  }
  return events;
}

function requireActive(state: AccountState): Active {
  if (state.status === 'none') throw errors.notFound('ACCOUNT.NOT_FOUND', 'the account does not exist');
  if (state.status === 'deleted') throw errors.conflict('ACCOUNT.DELETED', 'the account has been deleted');
  return state;
}

function requireMember(account: Active, id: string, type: 'user' | 'service_account' = 'user'): Member {
  const member = account.members.get(principalKey({ type, id }));
  if (!member || member.status === 'removed') {
    if (type === 'service_account') {
      throw errors.notFound('SERVICE_ACCOUNT.NOT_FOUND', `service account ${id} does not exist in this account`, { serviceAccountId: id });
    }
    throw errors.notFound('USER.NOT_FOUND', `user ${id} is not a member of this account`, { userId: id });
  }
  return member;
}

/** One more than the user's last membership here, so keys of an ended membership stay dead. */
function nextGeneration(account: Active, userId: string): number {
  return (account.members.get(principalKey({ type: 'user', id: userId }))?.generation ?? 0) + 1;
}

function defaultTeams(account: Active): string[] {
  const team = account.model.defaultTeam;
  return team && account.teams.has(team) ? [team] : [];
}

/** Where a seed admin belongs: the admin team under an admin-team rule, and the default team. */
function adminTeamsOf(account: Active): string[] {
  return [...new Set([account.model.adminTeam?.team, account.model.defaultTeam].filter((t): t is string => t !== undefined && account.teams.has(t)))];
}

function requireRole(account: Active, role: string): void {
  if (!account.roles.has(role)) throw errors.validation('ROLE.NOT_FOUND', `role "${role}" does not exist in this account`, { role });
}

/**
 * The last active admin cannot be removed, demoted or deactivated: the account would be
 * unmanageable. Under an admin-team rule, an admin counts only inside that team.
 */
function assertNotLastAdmin(account: Active, member: Member): void {
  if (!countsAsAdmin(account, member)) return;
  for (const other of account.members.values()) {
    if (other !== member && countsAsAdmin(account, other)) return;
  }
  throw errors.conflict('ADMIN.LAST_ADMIN', 'this is the last active admin of the account: make another admin first');
}

function countsAsAdmin(account: Active, m: Member): boolean {
  const rule = account.model.adminTeam;
  if (rule) return m.status === 'active' && m.teams.includes(rule.team) && m.roles.some((r) => rule.roles.includes(r));
  return isActiveAdmin(account, m);
}

function isGlobalRoleHolder(account: Active, m: Member): boolean {
  return m.roles.some((r) => account.model.adminTeam?.roles.includes(r));
}

function requireCustomRole(account: Active, name: string): RoleDefinition {
  const role = account.roles.get(name);
  if (!role) throw errors.notFound('ROLE.NOT_FOUND', `role "${name}" does not exist in this account`, { role: name });
  if (role.builtIn) throw errors.conflict('ROLE.BUILT_IN', `role "${name}" is built in: it cannot be changed or deleted`, { role: name });
  return role;
}

function requireTeam(account: Active, team: string): void {
  if (!account.teams.has(team)) throw errors.notFound('TEAM.NOT_FOUND', `team "${team}" does not exist in this account`, { team });
}

function validGrants(catalog: Catalog, grants: Grant[]): Grant[] {
  const seen = new Set<string>();
  const out: Grant[] = [];
  for (const g of grants) {
    if (!CONDITIONS.includes(g.condition)) {
      throw errors.validation('GRANT.UNKNOWN_CONDITION', `unknown condition "${g.condition}" (any, own or team)`, { condition: g.condition });
    }
    if (!isKnownPermission(catalog, g.permission)) {
      throw errors.validation('PERMISSION.UNKNOWN', `unknown permission "${g.permission}": not in the account's catalog`, {
        permission: g.permission,
      });
    }
    const key = `${g.permission} ${g.condition}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ permission: g.permission, condition: g.condition });
    }
  }
  return out;
}

function validScopes(catalog: Catalog, scopes: AccessScopes): AccessScopes {
  const out: AccessScopes = {};
  for (const [dimension, values] of Object.entries(scopes)) {
    if (!catalog.scopeDimensions[dimension]) {
      throw errors.validation('SCOPE.UNKNOWN_DIMENSION', `unknown scope dimension "${dimension}"`, { dimension });
    }
    if (values.length > 0) out[dimension] = [...new Set(values)];
  }
  return out;
}

function extendCatalog(catalog: Catalog, command: { resourceTypes: Catalog['resourceTypes']; scopeDimensions: Catalog['scopeDimensions'] }) {
  const added: Catalog = { resourceTypes: {}, scopeDimensions: {} };
  const next: Catalog = { resourceTypes: { ...catalog.resourceTypes }, scopeDimensions: { ...catalog.scopeDimensions } };
  for (const [type, actions] of Object.entries(command.resourceTypes)) {
    const existing = next.resourceTypes[type] ?? [];
    const fresh = [...new Set(actions)].filter((a) => !existing.includes(a));
    if (fresh.length > 0) {
      added.resourceTypes[type] = fresh;
      next.resourceTypes[type] = [...existing, ...fresh];
    }
  }
  for (const [dimension, types] of Object.entries(command.scopeDimensions)) {
    for (const t of types) {
      if (!next.resourceTypes[t]) {
        throw errors.validation('CATALOG.UNKNOWN_TYPE', `scope dimension ${dimension} names unknown resource type "${t}"`, { type: t });
      }
    }
    const existing = next.scopeDimensions[dimension] ?? [];
    const fresh = [...new Set(types)].filter((t) => !existing.includes(t));
    if (fresh.length > 0 || !next.scopeDimensions[dimension]) {
      added.scopeDimensions[dimension] = fresh;
      next.scopeDimensions[dimension] = [...existing, ...fresh];
    }
  }
  return { added, catalog: next };
}

/** The roles a newcomer gets (the default one if none is named), each existing and within the actor's own grants. */
function grantableRoles(account: Active, ctx: CommandContext, requested: string[], options = { defaultWhenEmpty: true }): string[] {
  const roles = requested.length > 0 || !options.defaultWhenEmpty ? dedupe(requested) : [account.model.defaultRole];
  for (const role of roles) {
    requireRole(account, role);
    assertNoEscalation(account, ctx.actor, role);
  }
  return roles;
}

function dedupe(values: string[]): string[] {
  return [...new Set(values)];
}
