import type { ApiKeyCreated, List, Member, Written } from '../api';
import { route } from '../client';
import { requireServiceAccountId } from '../syntax';
import { Context, VerbSpec } from '../verb';
import { showCreatedKey, showMember, written } from '../views';
import { keyBody, keyOptions } from './key';

/** Service accounts (issue 4): principals that are not people, with roles and keys. */

const accounts = (ctx: Context) => route`/v1/accounts/${ctx.account()}/service-accounts`;
const one = (ctx: Context) => route`/v1/accounts/${ctx.account()}/service-accounts/${requireServiceAccountId(ctx.input.arg('SA_ID'))}`;


export const serviceAccountVerbs: VerbSpec[] = [
  {
    path: ['service-account', 'create'],
    summary: 'create a service account',
    args: ['<NAME>'],
    options: { role: { type: 'string', value: '<role>', multiple: true, help: "role to give (default: the account's default role)" } },
    examples: ['gatehouse service-account create ci-deployer --role contributor'],
    async run(ctx) {
      const body = { name: ctx.input.arg('NAME'), ...(ctx.input.has('role') ? { roles: ctx.input.strings('role') } : {}) };
      const created = await ctx.client.post<Member & Written>(accounts(ctx), body);
      if (ctx.out.json) return ctx.out.data(created);
      showMember(ctx, created);
    },
  },
  {
    path: ['service-account', 'list'],
    summary: 'list service accounts',
    examples: ['gatehouse service-account list'],
    async run(ctx) {
      const list = await ctx.client.get<List<Member>>(accounts(ctx));
      if (ctx.out.json) return ctx.out.data(list);
      ctx.out.table(list.items, [
        { header: 'ID', value: (a) => a.id },
        { header: 'NAME', value: (a) => a.name },
        { header: 'STATUS', value: (a) => a.status },
        { header: 'ROLES', value: (a) => a.roles },
      ], 'no service accounts');
    },
  },
  {
    path: ['service-account', 'delete'],
    summary: 'delete a service account; its keys stop working',
    args: ['<SA_ID>'],
    examples: ['gatehouse service-account delete sa_abc123def456'],
    async run(ctx) {
      written(ctx, await ctx.client.delete<Written>(one(ctx)), `Deleted service account ${ctx.input.arg('SA_ID')}`);
    },
  },
  {
    path: ['service-account', 'add-role'],
    summary: 'give a service account one more role',
    args: ['<SA_ID>', '<ROLE>'],
    examples: ['gatehouse service-account add-role sa_abc123def456 inference-user'],
    async run(ctx) {
      const member = await ctx.client.post<Member & Written>(`${one(ctx)}/roles`, { role: ctx.input.arg('ROLE') });
      if (ctx.out.json) return ctx.out.data(member);
      showMember(ctx, member);
    },
  },
  {
    path: ['service-account', 'remove-role'],
    summary: 'take one role from a service account',
    args: ['<SA_ID>', '<ROLE>'],
    examples: ['gatehouse service-account remove-role sa_abc123def456 inference-user'],
    async run(ctx) {
      const member = await ctx.client.delete<Member & Written>(`${one(ctx)}${route`/roles/${ctx.input.arg('ROLE')}`}`);
      if (ctx.out.json) return ctx.out.data(member);
      showMember(ctx, member);
    },
  },
  {
    path: ['service-account', 'key', 'create'],
    summary: 'create an API key for a service account; the secret is printed once',
    args: ['<SA_ID>'],
    options: keyOptions,
    examples: ['gatehouse service-account key create sa_abc123def456 --name ci --expires 2026-12-31'],
    async run(ctx) {
      showCreatedKey(ctx, await ctx.client.post<ApiKeyCreated>(`${one(ctx)}/api-keys`, keyBody(ctx.input)));
    },
  },
];
