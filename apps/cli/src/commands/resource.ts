import type { Resource, ResourceDeleted } from '../api';
import { route } from '../client';
import { UsageError } from '../errors';
import { formatTags, parseTags, requireOwnerId, requireResourceId, requireResourceType } from '../syntax';
import { Context, VerbSpec } from '../verb';
import { written } from '../views';

/**
 * The resource registry (issue 5): a resource's owner, team and tags, registered once so
 * that checks may name only `type/id` and lookups can list what a member may act on.
 */

const ARGS = ['<TYPE>', '<ID>'] as const;

/** `deployment/dep-1`, as `check` and `lookup subjects` name resources, is `deployment dep-1` here too. */
function typeSlashId(positionals: readonly string[]): string[] {
  const [first, ...rest] = positionals;
  const slash = first?.indexOf('/') ?? -1;
  return rest.length === 0 && slash > 0 ? [first.slice(0, slash), first.slice(slash + 1), ...rest] : [...positionals];
}

const TYPE_ID = 'TYPE ID may also be written TYPE/ID (deployment/dep-1), as `gatehouse check` names them.';

function resourcePath(ctx: Context): { path: string; name: string } {
  const type = requireResourceType(ctx.input.arg('TYPE'));
  const id = requireResourceId(ctx.input.arg('ID'));
  return { path: route`/v1/accounts/${ctx.account()}/resources/${type}/${id}`, name: `${type}/${id}` };
}

export function showResource(ctx: Context, resource: Resource, withRevision = true): void {
  ctx.out.fields([
    ['resource', `${resource.type}/${resource.id}`],
    ['owner', resource.owner ?? null],
    ['team', resource.team ?? null],
    ['tags', formatTags(resource.tags)],
    ['revision', withRevision ? resource.revision : undefined],
  ]);
}

/** The write's line for people (with its revision), then the resource as it now is. */
function changed(ctx: Context, resource: Resource, text: string): void {
  if (ctx.out.json) return ctx.out.data(resource);
  ctx.out.print(`${text} (revision ${resource.revision})`);
  ctx.out.print();
  showResource(ctx, resource, false);
}

const WRITE_RIGHTS = [
  'Who may: registering needs <TYPE>:create; changing or transferring needs <TYPE>:update',
  'on the resource as it is and as it will be (an @own grant cannot give a resource away);',
  "deleting needs <TYPE>:delete; the account's resources.manage operation may do all of it.",
  "TYPE is one of the account catalog's resource types (`gatehouse catalog get`).",
].join('\n');

export const resourceVerbs: VerbSpec[] = [
  {
    path: ['resource', 'put'],
    summary: 'register a resource, or replace its owner, team and tags',
    args: ARGS,
    expandArgs: typeSlashId,
    options: {
      owner: { type: 'string', value: '<USER_ID|SA_ID>', help: 'the member who owns it (for @own grants)' },
      team: { type: 'string', value: '<team>', help: 'the team it belongs to (for @team grants)' },
      tag: { type: 'string', value: '<dimension=v1,v2>', multiple: true, help: 'tags compared with role scopes, e.g. env=prod' },
    },
    description: [
      'Registers TYPE/ID, or, when it is registered already, replaces its owner, team and',
      'tags with those given: what is left out is removed. To change only the owner (and',
      'team) use `gatehouse resource transfer`. Checks and lookups then find the owner, team',
      'and tags from the type and id alone:',
      '  gatehouse check user:<USER_ID> deployment:update deployment/dep-1',
      TYPE_ID,
      '',
      WRITE_RIGHTS,
    ].join('\n'),
    examples: [
      'gatehouse resource put deployment dep-1 --owner usr_abc123def456',
      'gatehouse resource put dataset ds-1 --owner usr_abc123def456 --team research --tag env=prod --tag region=eu,us',
      'gatehouse resource put model m-7 --owner sa_abc123def456 --json',
    ],
    async run(ctx) {
      const { input } = ctx;
      const body = {
        ...(input.has('owner') ? { owner: requireOwnerId(input.string('owner')!) } : {}),
        ...(input.has('team') ? { team: input.string('team') } : {}),
        ...(input.has('tag') ? { tags: parseTags(input.strings('tag')) } : {}),
      };
      const { path, name } = resourcePath(ctx);
      const { status, body: resource } = await ctx.client.putWithStatus<Resource>(path, body);
      changed(ctx, resource, `${status === 201 ? 'Registered' : 'Updated'} ${name}`);
    },
  },
  {
    path: ['resource', 'get'],
    summary: 'show a registered resource: owner, team, tags',
    args: ARGS,
    expandArgs: typeSlashId,
    description: ['Exit 4 when TYPE/ID is not registered. Any member of the account may read a registration.', TYPE_ID].join('\n'),
    examples: ['gatehouse resource get deployment dep-1', 'gatehouse resource get deployment/dep-1', "gatehouse resource get deployment dep-1 --json | jq -r '.owner'"],
    async run(ctx) {
      const resource = await ctx.client.get<Resource>(resourcePath(ctx).path);
      if (ctx.out.json) return ctx.out.data(resource);
      showResource(ctx, resource);
    },
  },
  {
    path: ['resource', 'transfer'],
    summary: 'give a registered resource to another owner (and team)',
    args: ARGS,
    expandArgs: typeSlashId,
    options: {
      owner: { type: 'string', value: '<USER_ID|SA_ID>', required: true, help: 'the new owner' },
      team: { type: 'string', value: '<team>', help: 'the new team' },
      'no-team': { type: 'boolean', help: 'it belongs to no team any more' },
    },
    description: [
      'Changes the owner, and the team when --team or --no-team is given; the tags stay.',
      'Recorded as a transfer (from whom, to whom) in the audit log.',
      TYPE_ID,
      '',
      WRITE_RIGHTS,
    ].join('\n'),
    examples: [
      'gatehouse resource transfer deployment dep-1 --owner usr_abc123def456',
      'gatehouse resource transfer dataset ds-1 --owner usr_abc123def456 --team research',
      'gatehouse resource transfer dataset ds-1 --owner sa_abc123def456 --no-team',
    ],
    async run(ctx) {
      const { input } = ctx;
      if (input.has('team') && input.flag('no-team')) throw new UsageError('give --team or --no-team, not both');
      const owner = requireOwnerId(input.string('owner')!);
      const body = {
        owner,
        ...(input.has('team') ? { team: input.string('team') } : {}),
        ...(input.flag('no-team') ? { team: null } : {}),
      };
      const { path, name } = resourcePath(ctx);
      const resource = await ctx.client.post<Resource>(`${path}/transfer`, body);
      changed(ctx, resource, `Transferred ${name} to ${owner}`);
    },
  },
  {
    path: ['resource', 'delete'],
    summary: 'delete a registered resource (its id may be registered again later)',
    args: ARGS,
    expandArgs: typeSlashId,
    description: ['Checks naming it by type and id alone then see no owner, team or tags.', TYPE_ID, '', WRITE_RIGHTS].join('\n'),
    examples: ['gatehouse resource delete deployment dep-1', 'gatehouse resource delete dataset ds-1 --json'],
    async run(ctx) {
      const { path, name } = resourcePath(ctx);
      const deleted = await ctx.client.delete<ResourceDeleted>(path);
      written(ctx, deleted, `Deleted ${name}`);
    },
  },
];
