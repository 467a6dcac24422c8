import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AccountState, accountStream, decideAccount, isDomainError } from '@gatehouse/domain';
import { Config } from '../config/config';
import { CONFIG } from '../tokens';
import { CommandRunner } from './command-runner';
import { accountFold } from './folds';
import { Identities } from './identities';

/**
 * Seed admins from configuration (Adaptive's Helm values): at startup, each
 * GATEHOUSE_SEED_ADMINS email of an existing account becomes an active admin if it is
 * not a member yet. Seeding only adds, so a restart never undoes what admins changed.
 */
@Injectable()
export class SeedAdmins implements OnApplicationBootstrap {
  private readonly logger = new Logger('SeedAdmins');

  constructor(
    private readonly runner: CommandRunner,
    private readonly identities: Identities,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.roles.api) return;
    for (const [account, emails] of this.config.seedAdmins) {
      for (const email of emails) {
        try {
          await this.ensure(account, email);
        } catch (error) {
          const why = isDomainError(error) ? error.code : error instanceof Error ? error.message : String(error);
          this.logger.warn(`seed admin ${email} for account ${account} not applied: ${why}`);
        }
      }
    }
  }

  async ensure(account: string, email: string): Promise<void> {
    const request = {
      actor: { kind: 'root' as const },
      commandId: `seed-admin:${account}:${email.toLowerCase()}`,
      commandHash: 'seed-admin',
      correlationId: `seed-admin:${account}`,
    };
    const { state } = await this.runner.load(accountStream(account), accountFold);
    if (state.status !== 'active') return; // applied when the account is created
    const decide = (userId: string) => (s: AccountState) => decideAccount({ type: 'EnsureSeedAdmin', userId, email }, s, { actor: request.actor, now: this.runner.now() });
    await this.runner.dryRun(accountStream(account), accountFold, request, decide('usr_pending'));
    const userId = await this.identities.resolve(email, request);
    const result = await this.runner.run({ stream: accountStream(account), fold: accountFold, account, request, decide: decide(userId) });
    if (result.events.length > 0 && !result.replayed) this.logger.log(`seed admin ${email} added to account ${account}`);
  }
}
