import { Injectable } from '@nestjs/common';
import { accountStream, Actor, authorize, DomainError, errors } from '@gatehouse/domain';
import { CommandRunner } from '../commands/command-runner';
import { accountFold } from '../commands/folds';
import { MemberView, memberView } from '../commands/member-view';

/** Reads membership from the account's folded state: authoritative, and authorized like a command. */
@Injectable()
export class MembersQuery {
  constructor(private readonly runner: CommandRunner) {}

  async list(account: string, actor: Actor): Promise<{ items: MemberView[]; revision: bigint }> {
    const { state, lastPosition } = await this.runner.load(accountStream(account), accountFold);
    if (state.status === 'none') throw errors.notFound('ACCOUNT.NOT_FOUND', 'the account does not exist');
    authorize(state, actor, 'members.read', undefined, this.runner.now());
    const items: MemberView[] = [];
    for (const m of state.members.values()) if (m.status !== 'removed' && m.type === 'user') items.push(memberView(state, m.id)!);
    return { items, revision: lastPosition };
  }

  async get(account: string, userId: string, actor: Actor): Promise<MemberView & { revision: bigint }> {
    const { state, lastPosition } = await this.runner.load(accountStream(account), accountFold);
    if (state.status === 'none') throw errors.notFound('ACCOUNT.NOT_FOUND', 'the account does not exist');
    authorize(state, actor, 'members.read', { id: userId }, this.runner.now());
    const member = memberView(state, userId);
    if (!member || member.status === 'removed') {
      throw new DomainError('USER.NOT_FOUND', 'not_found', `user ${userId} is not a member of this account`, { userId });
    }
    return { ...member, revision: lastPosition };
  }
}
