import { Inject, Injectable } from '@nestjs/common';
import { decideRegisterIdentity, IdGenerator, identityStream } from '@gatehouse/domain';
import { sha256Hex } from '../credentials/credentials';
import { IDS } from '../tokens';
import { CommandRunner, RequestContext } from './command-runner';
import { identityFold } from './folds';

/** Resolves an email to its one global user id, claiming it on first sight. */
@Injectable()
export class Identities {
  constructor(
    private readonly runner: CommandRunner,
    @Inject(IDS) private readonly ids: IdGenerator,
  ) {}

  async resolve(email: string, request: RequestContext): Promise<string> {
    const normalized = email.trim().toLowerCase();
    const result = await this.runner.run({
      stream: identityStream(sha256Hex(normalized)),
      fold: identityFold,
      account: '_global',
      // Claiming an email is its own idempotent step: a fresh command id each time is fine.
      request: { ...request, commandId: `${request.commandId}:identity:${normalized}`, commandHash: '' },
      decide: (state) => decideRegisterIdentity(state, normalized, this.ids.next('usr')),
    });
    if (result.state.status !== 'registered') throw new Error(`identity for ${normalized} not registered`);
    return result.state.userId;
  }
}
