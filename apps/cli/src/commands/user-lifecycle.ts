import type { List, Member, Written } from '../api';
import { route } from '../client';
import { requireUserId } from '../syntax';
import { Context, positiveInteger, VerbSpec } from '../verb';
import { showMember } from '../views';

/** Identity lifecycle verbs (issue 4): deactivate, reactivate, login history. */

interface Login {
  at: string;
  method: string;
  sourceAddress?: string;
  userAgent?: string;
}

const user = (ctx: Context) => route`/v1/accounts/${ctx.account()}/users/${requireUserId(ctx.input.arg('USER_ID'))}`;

function lifecycle(verb: 'deactivate' | 'reactivate', summary: string, description: string): VerbSpec {
  return {
    path: ['user', verb],
    summary,
    args: ['<USER_ID>'],
    description,
    examples: [`gatehouse user ${verb} usr_abc123def456`],
    async run(ctx) {
      const member = await ctx.client.post<Member & Written>(`${user(ctx)}/${verb}`);
      if (ctx.out.json) return ctx.out.data(member);
      showMember(ctx, member);
    },
  };
}

export const userLifecycleVerbs: VerbSpec[] = [
  lifecycle('deactivate', 'deactivate a user: they and all their keys are denied at once', 'The membership and roles are kept; `gatehouse user reactivate` restores them.'),
  lifecycle('reactivate', "reactivate a deactivated user: their roles and keys work again", 'Keys revoked or expired in the meantime stay revoked or expired.'),
  {
    path: ['user', 'logins'],
    summary: "a user's login history, newest first",
    args: ['<USER_ID>'],
    options: {
      limit: { type: 'string', value: '<n>', help: 'how many logins per page (default 50, at most 1000)' },
      cursor: { type: 'string', value: '<cursor>', help: 'the page after the one that printed this cursor' },
    },
    examples: ['gatehouse user logins usr_abc123def456 --limit 20', 'gatehouse user logins usr_abc123def456 --cursor <cursor printed by the previous page>'],
    async run(ctx) {
      const page = await ctx.client.get<List<Login>>(`${user(ctx)}/logins`, {
        limit: positiveInteger('limit', ctx.input.string('limit')),
        cursor: ctx.input.string('cursor'),
      });
      if (ctx.out.json) return ctx.out.data(page);
      ctx.out.table(page.items, [
        { header: 'TIME', value: (l) => l.at },
        { header: 'METHOD', value: (l) => l.method },
        { header: 'SOURCE', value: (l) => l.sourceAddress },
        { header: 'USER AGENT', value: (l) => l.userAgent },
      ], 'no logins');
      if (page.nextCursor) ctx.out.print(`\nMore: gatehouse user logins ${ctx.input.arg('USER_ID')} --cursor ${page.nextCursor}`);
    },
  },
];
