import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AccountState, accountStream, decideAccount, DomainError, InviteLinkCreated, UserAdded } from '@gatehouse/domain';
import { derivedId, mintCredential, parseCredential, randomId } from '../credentials/credentials';
import { CommandRunner, RequestContext } from './command-runner';
import { accountFold } from './folds';
import { Identities } from './identities';
import { memberView } from './member-view';

export class CreateInviteLinkCommand {
  constructor(
    readonly account: string,
    readonly input: { roles: string[]; expiresAt: Date; maxUses?: number },
    readonly request: RequestContext,
  ) {}
}

export class JoinViaInviteLinkCommand {
  constructor(
    readonly account: string,
    readonly input: { token: string; email: string },
    readonly request: RequestContext,
  ) {}
}

/** Invite links (Predibase): a token that lets people join with the link's roles. Shown once, stored as a hash. */
@CommandHandler(CreateInviteLinkCommand)
export class CreateInviteLinkHandler implements ICommandHandler<CreateInviteLinkCommand> {
  constructor(private readonly runner: CommandRunner) {}

  async execute({ account, input, request }: CreateInviteLinkCommand) {
    const linkId = request.commandId.startsWith('idem:') ? derivedId(request.commandId) : randomId();
    const minted = mintCredential('ghl', linkId);
    const result = await this.runner.run({
      stream: accountStream(account),
      fold: accountFold,
      account,
      request,
      decide: (state) =>
        decideAccount({ type: 'CreateInviteLink', linkId, secretHash: minted.secretHash, ...input }, state, { actor: request.actor, now: this.runner.now() }),
    });
    const created = result.events[0].data as InviteLinkCreated['data'];
    const { secretHash: _hidden, accountId: _account, ...link } = created;
    return { id: created.linkId, ...link, ...(result.replayed ? {} : { token: minted.token }), revision: result.position };
  }
}

@CommandHandler(JoinViaInviteLinkCommand)
export class JoinViaInviteLinkHandler implements ICommandHandler<JoinViaInviteLinkCommand> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly identities: Identities,
  ) {}

  async execute({ account, input, request }: JoinViaInviteLinkCommand) {
    const parsed = parseCredential(input.token);
    if (!parsed || parsed.prefix !== 'ghl') throw new DomainError('INVITE_LINK.INVALID', 'validation', 'the invite link is not valid for this account');
    const decide = (userId: string) => (state: AccountState) =>
      decideAccount({ type: 'JoinViaInviteLink', linkId: parsed.id, secretHash: parsed.secretHash, userId, email: input.email }, state, {
        actor: request.actor,
        now: this.runner.now(),
      });
    await this.runner.dryRun(accountStream(account), accountFold, request, decide('usr_pending'));
    const userId = await this.identities.resolve(input.email, request);
    const result = await this.runner.run({ stream: accountStream(account), fold: accountFold, account, request, decide: decide(userId) });
    const joined = result.events[0].data as UserAdded['data'];
    return { ...memberView(result.state, joined.userId)!, revision: result.position };
  }
}
