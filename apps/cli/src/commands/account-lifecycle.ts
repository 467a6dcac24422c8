import type { List, Written } from '../api';
import { route } from '../client';
import { UsageError } from '../errors';
import { VerbSpec } from '../verb';
import { written } from '../views';

/** Accounts beyond their creation (issue 4): the caller's own accounts, and deletion. */

export const accountLifecycleVerbs: VerbSpec[] = [
  {
    path: ['account', 'list'],
    summary: "the accounts the API key's user belongs to",
    description: 'One user (one email) may belong to several accounts; each has its own roles.\nNeeds a user\'s API key (not the root key, not a service account\'s).',
    examples: ['gatehouse account list', 'gatehouse account list --json | jq -r .items[].account'],
    async run(ctx) {
      const mine = await ctx.client.get<List<{ account: string; status: string; roles: string[] }> & { userId: string }>(route`/v1/me/accounts`);
      if (ctx.out.json) return ctx.out.data(mine);
      ctx.out.table(mine.items, [
        { header: 'ACCOUNT', value: (a) => a.account },
        { header: 'STATUS', value: (a) => a.status },
        { header: 'ROLES', value: (a) => a.roles },
      ], `${mine.userId} belongs to no account`);
    },
  },
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
