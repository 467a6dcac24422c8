import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AccountCommand, AccountState, accountStream, decideAccount, principalKey } from '@gatehouse/domain';
import { RecordedEvent } from '@gatehouse/event-store';
import { CommandRunner, RequestContext } from './command-runner';
import { accountFold } from './folds';

/** Account commands that need nothing but the account stream (roles, teams, catalog, membership changes). */
export type SimpleAccountCommand = Exclude<AccountCommand, { type: 'CreateAccount' | 'InviteUser' | 'AcceptInvitation' }>;

export class ExecuteAccountCommand {
  constructor(
    readonly account: string,
    readonly command: SimpleAccountCommand,
    readonly request: RequestContext,
  ) {}
}

export interface AccountCommandResult {
  state: AccountState;
  events: RecordedEvent[];
  revision: bigint;
}

/** One thin handler for them all: the decider holds every rule, the transport maps the result. */
@CommandHandler(ExecuteAccountCommand)
export class ExecuteAccountCommandHandler implements ICommandHandler<ExecuteAccountCommand, AccountCommandResult> {
  constructor(private readonly runner: CommandRunner) {}

  async execute({ account, command, request }: ExecuteAccountCommand): Promise<AccountCommandResult> {
    const result = await this.runner.run({
      stream: accountStream(account),
      fold: accountFold,
      account,
      request,
      decide: (state) => decideAccount(command, state, { actor: request.actor, now: this.runner.now() }),
      touches: touchedMember(command),
    });
    return { state: result.state, events: result.events, revision: result.position };
  }
}

/**
 * The one member a membership command changes, which is all its callers read back: such
 * commands on different members may share an append (see CommandRunner's group commit).
 * Others (roles, teams, catalog, the account itself) go alone.
 */
function touchedMember(command: SimpleAccountCommand): string[] | undefined {
  switch (command.type) {
    case 'AssignRole':
    case 'UnassignRole':
      return [principalKey({ type: command.principalType ?? 'user', id: command.userId })];
    case 'RemoveUser':
    case 'DeactivateUser':
    case 'ReactivateUser':
    case 'UpdateUserProfile':
    case 'AddTeamMember':
    case 'RemoveTeamMember':
      return [principalKey({ type: 'user', id: command.userId })];
    default:
      return undefined;
  }
}
