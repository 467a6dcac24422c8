import type { List } from '../api';
import { route } from '../client';
import { UsageError } from '../errors';
import { requireServiceAccountId, requireUserId } from '../syntax';
import { VerbSpec } from '../verb';

/** Listing API keys (issue 4). Listings never contain secrets. */

interface KeyListing {
  id: string;
  owner: { type: string; id: string };
  status: string;
  expiresAt?: string;
  restricted: boolean;
  lastUsedAt?: string;
}

export const keyListVerbs: VerbSpec[] = [
  {
    path: ['key', 'list'],
    summary: 'list API keys: yours, and those you may revoke (never the secrets)',
    options: {
      user: { type: 'string', value: '<USER_ID>', help: "only this user's keys" },
      'service-account': { type: 'string', value: '<SA_ID>', help: "only this service account's keys" },
    },
    examples: ['gatehouse key list', 'gatehouse key list --user usr_abc123def456', 'gatehouse key list --service-account sa_abc123def456'],
    async run(ctx) {
      const { input } = ctx;
      if (input.has('user') && input.has('service-account')) throw new UsageError('give --user or --service-account, not both');
      const owner = input.has('user')
        ? requireUserId(input.string('user')!, '--user')
        : input.has('service-account')
          ? requireServiceAccountId(input.string('service-account')!, '--service-account')
          : undefined;
      const list = await ctx.client.get<List<KeyListing>>(route`/v1/accounts/${ctx.account()}/api-keys`, { owner });
      if (ctx.out.json) return ctx.out.data(list);
      ctx.out.table(list.items, [
        { header: 'ID', value: (k) => k.id },
        { header: 'OWNER', value: (k) => `${k.owner.type}:${k.owner.id}` },
        { header: 'STATUS', value: (k) => k.status },
        { header: 'RESTRICTED', value: (k) => k.restricted },
        { header: 'EXPIRES', value: (k) => k.expiresAt },
        { header: 'LAST USED', value: (k) => k.lastUsedAt },
      ], 'no API keys');
    },
  },
];
