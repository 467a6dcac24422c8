import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AccountState, accountStream, decideAccount, UserInvited } from '@gatehouse/domain';
import { derivedId, mintCredential, randomId } from '../credentials/credentials';
import { Config } from '../config/config';
import { CONFIG } from '../tokens';
import { CommandRunner, RequestContext } from './command-runner';
import { accountFold } from './folds';
import { Identities } from './identities';

export class InviteUserCommand {
  constructor(
    readonly account: string,
    readonly input: { email: string; roles: string[] },
    readonly request: RequestContext,
  ) {}
}

export interface InviteUserResult {
  id: string;
  email: string;
  status: string;
  roles: string[];
  teams: string[];
  /** The token is present only in the first response: it is stored as a hash. */
  invitation: { id: string; token?: string; expiresAt: string };
  revision: bigint;
  replayed: boolean;
}

@CommandHandler(InviteUserCommand)
export class InviteUserHandler implements ICommandHandler<InviteUserCommand, InviteUserResult> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly identities: Identities,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  async execute({ account, input, request }: InviteUserCommand): Promise<InviteUserResult> {
    const now = this.runner.now();
    const invitation = mintCredential('ghi', request.commandId.startsWith('idem:') ? derivedId(request.commandId) : randomId());
    const expiresAt = new Date(now.getTime() + this.config.invitationTtlHours * 3600_000);
    const decide = (userId: string) => (state: AccountState) =>
      decideAccount(
        { type: 'InviteUser', userId, email: input.email, roles: input.roles, invitation: { id: invitation.id, secretHash: invitation.secretHash, expiresAt } },
        state,
        { actor: request.actor, now },
      );
    // Decide once before claiming the email's global identity, so a refused invitation appends nothing.
    await this.runner.dryRun(accountStream(account), accountFold, request, decide('usr_pending'));
    const userId = await this.identities.resolve(input.email, request);
    const result = await this.runner.run({ stream: accountStream(account), fold: accountFold, account, request, decide: decide(userId) });
    const invited = result.events.find((e) => e.type === 'UserInvited')!.data as UserInvited['data'];
    return {
      id: invited.userId,
      email: invited.email,
      status: 'invited',
      roles: invited.roles,
      teams: invited.teams ?? [],
      invitation: {
        id: invited.invitation.id,
        ...(result.replayed ? {} : { token: invitation.token }),
        expiresAt: invited.invitation.expiresAt,
      },
      revision: result.position,
      replayed: result.replayed,
    };
  }
}
