import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { accountStream, decideAccount } from '@gatehouse/domain';
import { CommandRunner, RequestContext } from './command-runner';
import { accountFold } from './folds';

export class RemoveUserCommand {
  constructor(
    readonly account: string,
    readonly userId: string,
    readonly request: RequestContext,
  ) {}
}

@CommandHandler(RemoveUserCommand)
export class RemoveUserHandler implements ICommandHandler<RemoveUserCommand> {
  constructor(private readonly runner: CommandRunner) {}

  async execute({ account, userId, request }: RemoveUserCommand) {
    const result = await this.runner.run({
      stream: accountStream(account),
      fold: accountFold,
      account,
      request,
      decide: (state) => decideAccount({ type: 'RemoveUser', userId }, state, { actor: request.actor, now: this.runner.now() }),
    });
    return { id: userId, status: 'removed' as const, revision: result.position };
  }
}
