import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { accountStream, decideAccount } from '@gatehouse/domain';
import { CommandRunner, RequestContext } from './command-runner';
import { accountFold } from './folds';
import { MemberView, memberView } from './member-view';

export class AssignRoleCommand {
  constructor(
    readonly account: string,
    readonly userId: string,
    readonly role: string,
    readonly request: RequestContext,
  ) {}
}

export class UnassignRoleCommand {
  constructor(
    readonly account: string,
    readonly userId: string,
    readonly role: string,
    readonly request: RequestContext,
  ) {}
}

export type MemberResult = MemberView & { revision: bigint };

async function changeRole(
  runner: CommandRunner,
  type: 'AssignRole' | 'UnassignRole',
  { account, userId, role, request }: AssignRoleCommand,
): Promise<MemberResult> {
  const result = await runner.run({
    stream: accountStream(account),
    fold: accountFold,
    account,
    request,
    decide: (state) => decideAccount({ type, userId, role }, state, { actor: request.actor, now: runner.now() }),
  });
  return { ...memberView(result.state, userId)!, revision: result.position };
}

@CommandHandler(AssignRoleCommand)
export class AssignRoleHandler implements ICommandHandler<AssignRoleCommand, MemberResult> {
  constructor(private readonly runner: CommandRunner) {}
  execute(command: AssignRoleCommand) {
    return changeRole(this.runner, 'AssignRole', command);
  }
}

@CommandHandler(UnassignRoleCommand)
export class UnassignRoleHandler implements ICommandHandler<UnassignRoleCommand, MemberResult> {
  constructor(private readonly runner: CommandRunner) {}
  execute(command: UnassignRoleCommand) {
    return changeRole(this.runner, 'UnassignRole', command);
  }
}
