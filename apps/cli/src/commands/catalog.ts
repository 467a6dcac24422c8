import type { Written } from '../api';
import { route } from '../client';
import { UsageError } from '../errors';
import { parseLists } from '../syntax';
import { Context, VerbSpec } from '../verb';

interface Catalog extends Written {
  preset: string;
  resourceTypes: Record<string, string[]>;
  scopeDimensions: Record<string, string[]>;
  defaultRole: string;
  defaultTeam?: string;
  adminTeam?: string;
  operations?: Record<string, string>;
}

const catalog = (ctx: Context) => route`/v1/accounts/${ctx.account()}/catalog`;

function showCatalog(ctx: Context, c: Catalog): void {
  ctx.out.fields([
    ['preset', c.preset],
    ['default role', c.defaultRole],
    ['default team', c.defaultTeam],
    ['admin team', c.adminTeam],
    ['revision', c.revision],
  ]);
  ctx.out.print();
  ctx.out.table(Object.entries(c.resourceTypes), [
    { header: 'RESOURCE TYPE', value: ([type]) => type },
    { header: 'ACTIONS', value: ([, actions]) => actions },
  ], 'no resource types');
  const dimensions = Object.entries(c.scopeDimensions);
  if (dimensions.length) {
    ctx.out.print();
    ctx.out.table(dimensions, [
      { header: 'SCOPE DIMENSION', value: ([dimension]) => dimension },
      { header: 'RESTRICTS', value: ([, types]) => types },
    ], '');
  }
  const operations = Object.entries(c.operations ?? {});
  if (operations.length) {
    ctx.out.print();
    ctx.out.table(operations, [
      { header: 'OPERATION', value: ([operation]) => operation },
      { header: 'NEEDS', value: ([, permission]) => permission },
    ], '');
  }
}

export const catalogVerbs: VerbSpec[] = [
  {
    path: ['catalog', 'get'],
    summary: "show the account's resource types, actions, scope dimensions and defaults",
    examples: ['gatehouse catalog get', 'gatehouse catalog get --json | jq .resourceTypes'],
    async run(ctx) {
      const found = await ctx.client.get<Catalog>(catalog(ctx));
      if (ctx.out.json) return ctx.out.data(found);
      showCatalog(ctx, found);
    },
  },
  {
    path: ['catalog', 'extend'],
    summary: 'add resource types, actions or scope dimensions',
    options: {
      type: { type: 'string', value: '<type=action1,action2>', multiple: true, help: 'a resource type and the actions it knows' },
      dimension: { type: 'string', value: '<dimension=type1,type2>', multiple: true, help: 'a scope dimension and the resource types it restricts' },
    },
    description: 'Additions only: what the catalog knows is never removed.',
    examples: ['gatehouse catalog extend --type document=read,write --dimension regions=document'],
    async run(ctx) {
      const { input } = ctx;
      if (!input.has('type') && !input.has('dimension')) throw new UsageError('nothing to add: give --type or --dimension');
      const body = {
        ...(input.has('type') ? { resourceTypes: parseLists(input.strings('type'), 'type') } : {}),
        ...(input.has('dimension') ? { scopeDimensions: parseLists(input.strings('dimension'), 'dimension') } : {}),
      };
      const extended = await ctx.client.post<Catalog>(catalog(ctx), body);
      if (ctx.out.json) return ctx.out.data(extended);
      showCatalog(ctx, extended);
    },
  },
];
