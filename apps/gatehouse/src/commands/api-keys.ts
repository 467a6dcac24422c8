import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { accountStream, ApiKeyCreated, apiKeyStream, decideApiKey, Grant, PrincipalRef } from '@gatehouse/domain';
import { derivedId, mintCredential, randomId } from '../credentials/credentials';
import { CommandRunner, RequestContext } from './command-runner';
import { accountFold, apiKeyFold } from './folds';

export class CreateApiKeyCommand {
  constructor(
    readonly account: string,
    readonly input: { owner: PrincipalRef; name?: string; expiresAt?: Date; restriction?: Grant[] },
    readonly request: RequestContext,
  ) {}
}

export class RevokeApiKeyCommand {
  constructor(
    readonly account: string,
    readonly keyId: string,
    readonly request: RequestContext,
  ) {}
}

export interface ApiKeyResult {
  id: string;
  /** The whole key, in the first response only: it is stored as a hash. */
  key?: string;
  owner: PrincipalRef;
  name: string;
  expiresAt?: string;
  restricted: boolean;
  revision: bigint;
  replayed: boolean;
}

@CommandHandler(CreateApiKeyCommand)
export class CreateApiKeyHandler implements ICommandHandler<CreateApiKeyCommand, ApiKeyResult> {
  constructor(private readonly runner: CommandRunner) {}

  async execute({ account, input, request }: CreateApiKeyCommand): Promise<ApiKeyResult> {
    const { state: accountState } = await this.runner.load(accountStream(account), accountFold);
    // With an idempotency key the new key's id is derived from it, so a retry lands on the same stream.
    const keyId = request.commandId.startsWith('idem:') ? derivedId(request.commandId) : randomId();
    const minted = mintCredential('gh', keyId);
    const result = await this.runner.run({
      stream: apiKeyStream(keyId),
      fold: apiKeyFold,
      account,
      request,
      decide: (state) =>
        decideApiKey(
          {
            type: 'CreateApiKey',
            accountId: account,
            keyId,
            owner: input.owner,
            name: input.name ?? '',
            secretHash: minted.secretHash,
            expiresAt: input.expiresAt,
            restriction: input.restriction,
          },
          state,
          accountState,
          { actor: request.actor, now: this.runner.now() },
        ),
    });
    const created = result.events[0].data as ApiKeyCreated['data'];
    return {
      id: created.keyId,
      ...(result.replayed ? {} : { key: minted.token }),
      owner: created.owner,
      name: created.name,
      ...(created.expiresAt ? { expiresAt: created.expiresAt } : {}),
      restricted: created.restriction !== undefined,
      revision: result.position,
      replayed: result.replayed,
    };
  }
}

@CommandHandler(RevokeApiKeyCommand)
export class RevokeApiKeyHandler implements ICommandHandler<RevokeApiKeyCommand> {
  constructor(private readonly runner: CommandRunner) {}

  async execute({ account, keyId, request }: RevokeApiKeyCommand) {
    const { state: accountState } = await this.runner.load(accountStream(account), accountFold);
    const result = await this.runner.run({
      stream: apiKeyStream(keyId),
      fold: apiKeyFold,
      account,
      request,
      decide: (state) =>
        decideApiKey({ type: 'RevokeApiKey', accountId: account, keyId }, state, accountState, {
          actor: request.actor,
          now: this.runner.now(),
        }),
    });
    return { id: keyId, status: 'revoked' as const, revision: result.position };
  }
}
