import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { accountStream, decideAccount } from '@gatehouse/domain';
import { derivedId, randomId } from '../credentials/credentials';
import { CommandRunner, RequestContext } from './command-runner';
import { accountFold } from './folds';

export class CreateServiceAccountCommand {
  constructor(
    readonly account: string,
    readonly input: { name: string; roles: string[] },
    readonly request: RequestContext,
  ) {}
}

/** A non-human principal of one account, with roles (Fireworks service accounts). */
@CommandHandler(CreateServiceAccountCommand)
export class CreateServiceAccountHandler implements ICommandHandler<CreateServiceAccountCommand> {
  constructor(private readonly runner: CommandRunner) {}

  async execute({ account, input, request }: CreateServiceAccountCommand) {
    const id = `sa_${request.commandId.startsWith('idem:') ? derivedId(request.commandId) : randomId()}`;
    const result = await this.runner.run({
      stream: accountStream(account),
      fold: accountFold,
      account,
      request,
      decide: (state) => decideAccount({ type: 'CreateServiceAccount', serviceAccountId: id, ...input }, state, { actor: request.actor, now: this.runner.now() }),
    });
    const created = result.events[0].data as { serviceAccountId: string; name: string; roles: string[] };
    return { id: created.serviceAccountId, type: 'service_account' as const, name: created.name, status: 'active', roles: created.roles, revision: result.position };
  }
}
