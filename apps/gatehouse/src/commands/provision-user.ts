import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AccountState, accountStream, decideAccount, decideRecordLogin, LoginMethod, loginsStream } from '@gatehouse/domain';
import { Config } from '../config/config';
import { CONFIG } from '../tokens';
import { CommandRunner, RequestContext } from './command-runner';
import { accountFold, loginsFold } from './folds';
import { Identities } from './identities';
import { memberView, MemberView } from './member-view';

export class ProvisionUserCommand {
  constructor(
    readonly account: string,
    readonly input: { email: string; sourceAddress?: string; userAgent?: string },
    readonly request: RequestContext,
  ) {}
}

export class RecordLoginCommand {
  constructor(
    readonly account: string,
    readonly userId: string,
    readonly input: { method: LoginMethod; sourceAddress?: string; userAgent?: string },
    readonly request: RequestContext,
  ) {}
}

async function recordLogin(runner: CommandRunner, account: string, userId: string, input: RecordLoginCommand['input'], request: RequestContext) {
  const { state } = await runner.load(accountStream(account), accountFold);
  return runner.run({
    stream: loginsStream(account, userId),
    fold: loginsFold,
    account,
    request,
    decide: () => decideRecordLogin({ type: 'RecordLogin', accountId: account, userId, ...input }, state, { actor: request.actor, now: runner.now() }),
  });
}

/**
 * SSO first-login provisioning (Firefly, Adaptive): a trusted identity provider reports
 * a login; the first one creates the member with the account's default role and team
 * (or as an admin, for a configured seed admin), every one is recorded in the history.
 */
@CommandHandler(ProvisionUserCommand)
export class ProvisionUserHandler implements ICommandHandler<ProvisionUserCommand> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly identities: Identities,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  async execute({ account, input, request }: ProvisionUserCommand): Promise<MemberView & { created: boolean; revision: bigint }> {
    const seedAdmin = (this.config.seedAdmins.get(account) ?? []).some((e) => e.toLowerCase() === input.email.toLowerCase());
    const decide = (userId: string) => (state: AccountState) =>
      decideAccount({ type: 'ProvisionUser', userId, email: input.email, seedAdmin }, state, { actor: request.actor, now: this.runner.now() });
    await this.runner.dryRun(accountStream(account), accountFold, request, decide('usr_pending'));
    const userId = await this.identities.resolve(input.email, request);
    const result = await this.runner.run({ stream: accountStream(account), fold: accountFold, account, request, decide: decide(userId) });
    const login = await recordLogin(this.runner, account, userId, { method: 'sso', sourceAddress: input.sourceAddress, userAgent: input.userAgent }, {
      ...request,
      commandId: `${request.commandId}:login`,
      causationId: request.commandId,
    });
    return {
      ...memberView(result.state, userId)!,
      created: result.events.some((e) => e.type === 'UserAdded'),
      revision: login.position > result.position ? login.position : result.position,
    };
  }
}

@CommandHandler(RecordLoginCommand)
export class RecordLoginHandler implements ICommandHandler<RecordLoginCommand> {
  constructor(private readonly runner: CommandRunner) {}

  async execute({ account, userId, input, request }: RecordLoginCommand) {
    const result = await recordLogin(this.runner, account, userId, input, request);
    return { revision: result.position, login: result.events[0]?.data };
  }
}
