import type { Written } from '../api';
import { route } from '../client';
import { UsageError } from '../errors';
import { VerbSpec } from '../verb';
import { written } from '../views';

/** Account deletion (issue 4): denies every check in the account and revokes every key. */

export const accountDeleteVerbs: VerbSpec[] = [
  {
    path: ['account', 'delete'],
    summary: 'delete an account: every check in it is denied and every key revoked',
    args: ['<ACCOUNT_ID>'],
    options: { yes: { type: 'boolean', help: 'confirm: this cannot be undone' } },
    examples: ['gatehouse account delete acme --yes --api-key "$GATEHOUSE_ROOT_KEY"'],
    async run(ctx) {
      const id = ctx.input.arg('ACCOUNT_ID');
      if (!ctx.input.flag('yes')) throw new UsageError(`deleting ${id} denies every check in it and revokes every key, for good: add --yes to confirm`);
      written(ctx, await ctx.client.delete<Written>(route`/v1/accounts/${id}`), `Deleted account ${id}`);
    },
  },
];
