import { Injectable } from '@nestjs/common';
import { accountStream, Actor, authorize, DomainError, errors, ExistingAccount, Operation, RoleDefinition } from '@gatehouse/domain';
import { CommandRunner } from '../commands/command-runner';
import { accountFold } from '../commands/folds';
import { MemberView, memberView } from '../commands/member-view';

type Account = ExistingAccount & { status: 'active' | 'deleted' };

/** Reads from the account's folded state: authoritative, and authorized like a command. */
@Injectable()
export class AccountQueries {
  constructor(private readonly runner: CommandRunner) {}

  private async read(account: string, actor: Actor, operation: Operation, target?: { id: string }) {
    const { state, lastPosition } = await this.runner.load(accountStream(account), accountFold);
    if (state.status === 'none') throw errors.notFound('ACCOUNT.NOT_FOUND', 'the account does not exist');
    authorize(state, actor, operation, target, this.runner.now());
    return { state: state as Account, revision: lastPosition };
  }

  async members(account: string, actor: Actor): Promise<{ items: MemberView[]; revision: bigint }> {
    const { state, revision } = await this.read(account, actor, 'members.read');
    const items: MemberView[] = [];
    for (const m of state.members.values()) if (m.status !== 'removed' && m.type === 'user') items.push(memberView(state, m.id)!);
    return { items, revision };
  }

  async member(account: string, userId: string, actor: Actor): Promise<MemberView & { revision: bigint }> {
    const { state, revision } = await this.read(account, actor, 'members.read', { id: userId });
    const member = memberView(state, userId);
    if (!member || member.status === 'removed') {
      throw new DomainError('USER.NOT_FOUND', 'not_found', `user ${userId} is not a member of this account`, { userId });
    }
    return { ...member, revision };
  }

  async roles(account: string, actor: Actor): Promise<{ items: RoleDefinition[]; defaultRole: string; revision: bigint }> {
    const { state, revision } = await this.read(account, actor, 'roles.read');
    return { items: [...state.roles.values()], defaultRole: state.model.defaultRole, revision };
  }

  async role(account: string, name: string, actor: Actor): Promise<RoleDefinition & { revision: bigint }> {
    const { state, revision } = await this.read(account, actor, 'roles.read');
    const role = state.roles.get(name);
    if (!role) throw errors.notFound('ROLE.NOT_FOUND', `role "${name}" does not exist in this account`, { role: name });
    return { ...role, revision };
  }

  async catalog(account: string, actor: Actor) {
    const { state, revision } = await this.read(account, actor, 'roles.read');
    const { catalog, preset, defaultRole, defaultTeam, adminTeam, operations } = state.model;
    return { preset, ...catalog, defaultRole, ...(defaultTeam ? { defaultTeam } : {}), ...(adminTeam ? { adminTeam } : {}), operations, revision };
  }

  async teams(account: string, actor: Actor): Promise<{ items: { name: string; members: string[] }[]; revision: bigint }> {
    const { state, revision } = await this.read(account, actor, 'teams.read');
    const items = [...state.teams].map((name) => ({
      name,
      members: [...state.members.values()].filter((m) => m.status !== 'removed' && m.teams.includes(name)).map((m) => m.id),
    }));
    return { items, revision };
  }
}
