import type { List, Member, Written } from '../api';
import { route } from '../client';
import { requireUserId } from '../syntax';
import { Context, VerbSpec } from '../verb';
import { showMember, written } from '../views';

const teams = (ctx: Context) => route`/v1/accounts/${ctx.account()}/teams`;
const membership = (ctx: Context) => route`/v1/accounts/${ctx.account()}/teams/${ctx.input.arg('TEAM')}/members/${requireUserId(ctx.input.arg('USER_ID'))}`;

export const teamVerbs: VerbSpec[] = [
  {
    path: ['team', 'list'],
    summary: 'list teams and their members',
    examples: ['gatehouse team list'],
    async run(ctx) {
      const list = await ctx.client.get<List<{ name: string; members: string[] }>>(teams(ctx));
      if (ctx.out.json) return ctx.out.data(list);
      ctx.out.table(list.items, [
        { header: 'TEAM', value: (t) => t.name },
        { header: 'SIZE', value: (t) => t.members.length },
        { header: 'MEMBERS', value: (t) => t.members },
      ], 'no teams');
    },
  },
  {
    path: ['team', 'create'],
    summary: 'create a team',
    args: ['<TEAM>'],
    examples: ['gatehouse team create research'],
    async run(ctx) {
      const created = await ctx.client.post<{ name: string } & Written>(teams(ctx), { name: ctx.input.arg('TEAM') });
      written(ctx, created, `Created team ${created.name}`);
    },
  },
  {
    path: ['team', 'delete'],
    summary: 'delete an empty team',
    args: ['<TEAM>'],
    examples: ['gatehouse team delete research'],
    async run(ctx) {
      const team = ctx.input.arg('TEAM');
      written(ctx, await ctx.client.delete<Written>(route`/v1/accounts/${ctx.account()}/teams/${team}`), `Deleted team ${team}`);
    },
  },
  {
    path: ['team', 'add-member'],
    summary: 'add a user to a team',
    args: ['<TEAM>', '<USER_ID>'],
    examples: ['gatehouse team add-member research usr_abc123def456'],
    async run(ctx) {
      const member = await ctx.client.put<Member & Written>(membership(ctx));
      if (ctx.out.json) return ctx.out.data(member);
      showMember(ctx, member);
    },
  },
  {
    path: ['team', 'remove-member'],
    summary: 'remove a user from a team',
    args: ['<TEAM>', '<USER_ID>'],
    examples: ['gatehouse team remove-member research usr_abc123def456'],
    async run(ctx) {
      const member = await ctx.client.delete<Member & Written>(membership(ctx));
      if (ctx.out.json) return ctx.out.data(member);
      showMember(ctx, member);
    },
  },
];
