import type { List } from '../api';
import { route } from '../client';
import { requireUserId } from '../syntax';
import { VerbSpec } from '../verb';
import { presentColumns } from '../views';

/** Listing API keys (issue 4). Listings never contain secrets. */

export const keyListVerbs: VerbSpec[] = [
  {
    path: ['key', 'list'],
    summary: "list API keys (ids, owners, expiry; never the secrets)",
    options: { user: { type: 'string', value: '<USER_ID>', help: "only this user's keys" } },
    examples: ['gatehouse key list', 'gatehouse key list --user usr_abc123def456'],
    async run(ctx) {
      const owner = ctx.input.has('user') ? requireUserId(ctx.input.string('user')!, '--user') : undefined;
      const list = await ctx.client.get<List<Record<string, unknown>>>(route`/v1/accounts/${ctx.account()}/api-keys`, { owner });
      if (ctx.out.json) return ctx.out.data(list);
      const rows = list.items.map((k) => {
        const o = k.owner as { type?: string; id?: string } | string | undefined;
        return { ...k, owner: typeof o === 'object' && o ? `${o.type}:${o.id}` : o };
      });
      const columns = presentColumns(rows, [
        ['id', 'ID'],
        ['owner', 'OWNER'],
        ['name', 'NAME'],
        ['status', 'STATUS'],
        ['restricted', 'RESTRICTED'],
        ['expiresAt', 'EXPIRES'],
        ['lastUsedAt', 'LAST USED'],
        ['createdAt', 'CREATED'],
      ]);
      ctx.out.table(rows, columns, 'no API keys');
    },
  },
];
