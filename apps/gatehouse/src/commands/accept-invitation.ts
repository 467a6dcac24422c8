import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { accountStream, decideAccount, DomainError, InvitationAccepted } from '@gatehouse/domain';
import { parseCredential } from '../credentials/credentials';
import { CommandRunner, RequestContext } from './command-runner';
import { accountFold } from './folds';

export class AcceptInvitationCommand {
  constructor(
    readonly account: string,
    readonly token: string,
    readonly request: RequestContext,
  ) {}
}

@CommandHandler(AcceptInvitationCommand)
export class AcceptInvitationHandler implements ICommandHandler<AcceptInvitationCommand> {
  constructor(private readonly runner: CommandRunner) {}

  async execute({ account, token, request }: AcceptInvitationCommand) {
    const parsed = parseCredential(token);
    if (!parsed || parsed.prefix !== 'ghi') {
      throw new DomainError('INVITATION.INVALID', 'validation', 'the invitation token is not valid for this account');
    }
    const result = await this.runner.run({
      stream: accountStream(account),
      fold: accountFold,
      account,
      // The token is single use: accepting it twice returns the first result.
      request: { ...request, commandId: `accept:${parsed.id}`, commandHash: parsed.secretHash },
      decide: (state) =>
        decideAccount({ type: 'AcceptInvitation', invitationId: parsed.id, secretHash: parsed.secretHash }, state, {
          actor: request.actor,
          now: this.runner.now(),
        }),
    });
    const accepted = result.events[0].data as InvitationAccepted['data'];
    return { id: accepted.userId, status: 'active' as const, revision: result.position };
  }
}
