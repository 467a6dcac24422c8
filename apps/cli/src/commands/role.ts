import type { List, Role, Written } from '../api';
import { route } from '../client';
import { UsageError } from '../errors';
import { formatGrant, parseGrant, parseLists } from '../syntax';
import { Context, OptionSpec, VerbSpec } from '../verb';
import { showRole, written } from '../views';

const roles = (ctx: Context) => route`/v1/accounts/${ctx.account()}/roles`;
const role = (ctx: Context, name: string) => route`/v1/accounts/${ctx.account()}/roles/${name}`;

const GRANT_SYNTAX =
  'A grant is a permission, optionally followed by @ and its condition:\n' +
  '  dataset:read        any dataset (the same as dataset:read@any)\n' +
  "  dataset:*@own       every dataset action, on datasets the principal owns\n" +
  "  *:read@team         read anything whose team is one of the principal's teams\n" +
  'Permissions contain ":", so the condition is written after "@".';

const definition: Record<string, OptionSpec> = {
  grant: { type: 'string', value: '<permission[@any|own|team]>', multiple: true, help: 'a grant (see above)' },
  scope: { type: 'string', value: '<dimension=v1,v2>', multiple: true, help: 'the tag values the role may see in a scope dimension' },
  description: { type: 'string', value: '<text>', help: 'what the role is for' },
};

export const roleVerbs: VerbSpec[] = [
  {
    path: ['role', 'list'],
    summary: 'list the built-in and custom roles',
    examples: ['gatehouse role list'],
    async run(ctx) {
      const list = await ctx.client.get<List<Role> & { defaultRole?: string }>(roles(ctx));
      if (ctx.out.json) return ctx.out.data(list);
      ctx.out.table(list.items, [
        { header: 'NAME', value: (r) => r.name + (r.name === list.defaultRole ? ' (default)' : '') },
        { header: 'KIND', value: (r) => (r.builtIn ? 'built-in' : 'custom') },
        { header: 'GRANTS', value: (r) => r.grants.length },
        { header: 'SCOPES', value: (r) => Object.entries(r.scopes ?? {}).map(([d, v]) => `${d}=${v.join('|')}`) },
        { header: 'DESCRIPTION', value: (r) => (r.description.length > 60 ? `${r.description.slice(0, 59)}…` : r.description) },
      ], 'no roles');
    },
  },
  {
    path: ['role', 'get'],
    summary: "show a role's grants and scopes",
    args: ['<ROLE>'],
    examples: ['gatehouse role get contributor'],
    async run(ctx) {
      const found = await ctx.client.get<Role & Written>(role(ctx, ctx.input.arg('ROLE')));
      if (ctx.out.json) return ctx.out.data(found);
      showRole(ctx, found);
    },
  },
  {
    path: ['role', 'create'],
    summary: 'define a custom role (you must hold every grant you give it)',
    args: ['<ROLE>'],
    options: definition,
    description: GRANT_SYNTAX,
    examples: [
      "gatehouse role create editor --grant document:read --grant 'document:*@team' --scope regions=eu,us --description 'Edits their team documents'",
      'gatehouse role create auditor --grant user:read --grant dataset:read',
    ],
    async run(ctx) {
      const name = ctx.input.arg('ROLE');
      const body = {
        name,
        grants: ctx.input.strings('grant').map((g) => parseGrant(g)),
        ...(ctx.input.has('scope') ? { scopes: parseLists(ctx.input.strings('scope'), 'scope') } : {}),
        ...(ctx.input.has('description') ? { description: ctx.input.string('description') } : {}),
      };
      const created = await ctx.client.post<Role & Written>(roles(ctx), body);
      if (ctx.out.json) return ctx.out.data(created);
      ctx.out.print(`Created role ${created.name} with ${created.grants.map(formatGrant).join(', ') || 'no grants'} (revision ${created.revision})`);
    },
  },
  {
    path: ['role', 'update'],
    summary: "change a custom role's grants, scopes or description",
    args: ['<ROLE>'],
    options: {
      ...definition,
      grant: { ...definition.grant, help: 'a grant; the grants given replace all the old ones' },
      scope: { ...definition.scope, help: 'a scope; the scopes given replace all the old ones' },
      'no-scopes': { type: 'boolean', help: 'remove every scope: the role sees everything its grants allow' },
    },
    description: `${GRANT_SYNTAX}\nBuilt-in roles cannot change.`,
    examples: ["gatehouse role update editor --grant document:read --grant 'document:update@own'", 'gatehouse role update editor --no-scopes'],
    async run(ctx) {
      const { input } = ctx;
      if (input.has('scope') && input.flag('no-scopes')) throw new UsageError('give --scope or --no-scopes, not both');
      const body = {
        ...(input.has('grant') ? { grants: input.strings('grant').map((g) => parseGrant(g)) } : {}),
        ...(input.has('scope') ? { scopes: parseLists(input.strings('scope'), 'scope') } : {}),
        ...(input.flag('no-scopes') ? { scopes: {} } : {}),
        ...(input.has('description') ? { description: input.string('description') } : {}),
      };
      if (Object.keys(body).length === 0) throw new UsageError('nothing to change: give --grant, --scope, --no-scopes or --description');
      const updated = await ctx.client.put<Role & Written>(role(ctx, input.arg('ROLE')), body);
      if (ctx.out.json) return ctx.out.data(updated);
      showRole(ctx, updated);
    },
  },
  {
    path: ['role', 'delete'],
    summary: 'delete a custom role (refused while anyone holds it)',
    args: ['<ROLE>'],
    examples: ['gatehouse role delete editor'],
    async run(ctx) {
      const name = ctx.input.arg('ROLE');
      written(ctx, await ctx.client.delete<Written>(role(ctx, name)), `Deleted role ${name}`);
    },
  },
];
