import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Config } from '../config/config';
import { CONFIG } from '../tokens';
import { AccountState, accountStream, decideAccount } from '@gatehouse/domain';
import { CommandRunner, RequestContext } from './command-runner';
import { accountFold } from './folds';
import { Identities } from './identities';

export class CreateAccountCommand {
  constructor(
    readonly input: { id: string; preset: string; admins: string[]; defaultRole?: string; defaultTeam?: string },
    readonly request: RequestContext,
  ) {}
}

export interface CreateAccountResult {
  id: string;
  preset: string;
  admins: { id: string; email: string }[];
  revision: bigint;
}

@CommandHandler(CreateAccountCommand)
export class CreateAccountHandler implements ICommandHandler<CreateAccountCommand, CreateAccountResult> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly identities: Identities,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  async execute({ input: given, request }: CreateAccountCommand): Promise<CreateAccountResult> {
    // Seed admins configured for this account id (GATEHOUSE_SEED_ADMINS) join at creation.
    const input = { ...given, admins: [...given.admins, ...(this.config.seedAdmins.get(given.id) ?? [])] };
    const decide = (admins: { email: string; userId: string }[]) => (state: AccountState) =>
      decideAccount(
        { type: 'CreateAccount', accountId: input.id, preset: input.preset, admins, defaultRole: input.defaultRole, defaultTeam: input.defaultTeam },
        state,
        { actor: request.actor, now: this.runner.now() },
      );
    // Decide once before claiming the admins' global identities, so a refused creation appends nothing.
    await this.runner.dryRun(accountStream(input.id), accountFold, request, decide(input.admins.map((email) => ({ email, userId: 'usr_pending' }))));
    const admins: { email: string; userId: string }[] = [];
    for (const email of input.admins) admins.push({ email, userId: await this.identities.resolve(email, request) });
    const result = await this.runner.run({ stream: accountStream(input.id), fold: accountFold, account: input.id, request, decide: decide(admins) });
    const added = result.events.filter((e) => e.type === 'UserAdded').map((e) => e.data as { userId: string; email: string });
    return { id: input.id, preset: input.preset, admins: added.map((a) => ({ id: a.userId, email: a.email })), revision: result.position };
  }
}
