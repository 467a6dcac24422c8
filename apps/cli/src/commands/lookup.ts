import { MAX_LOOKUP_PAGE } from '@gatehouse/contracts';
import type { Resource, ResourcesPage, Subject, SubjectsPage } from '../api';
import { route } from '../client';
import { UsageError } from '../errors';
import { Column, StreamingTable } from '../output';
import { formatTags, parseMember, parseResourceRef, requireAction, shellWord } from '../syntax';
import { Context, OptionSpec, positiveInteger, revision, VerbSpec } from '../verb';

/**
 * The two lookups (issue 5): which registered resources a member may act on, and which
 * members may act on a resource. Both answer exactly what `gatehouse check` would, page
 * by page; a page may come back short and still have a next one.
 */

const pageOptions: Record<string, OptionSpec> = {
  limit: { type: 'string', value: '<n>', help: `items per page (default 100, at most ${MAX_LOOKUP_PAGE})` },
  cursor: { type: 'string', value: '<cursor>', help: 'the page after the one that printed this cursor' },
  all: { type: 'boolean', help: 'follow the cursors to the last page, printing each page as it arrives' },
  'at-least': { type: 'string', value: '<revision>', help: 'answer only once this write is applied (read your writes)' },
};

const PAGING_HELP = [
  'One page by default; the last line then says how to get the next one (a page may be',
  'short, even empty, and still have a next one). --all prints every page as it arrives',
  '(with --json: one item per line, JSON Lines). Pass the revision a write printed as',
  "--at-least to see that write's effect.",
].join('\n');

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * One page, or with --all every page, as a table (or JSON); `again` is the command that
 * fetches the page after this one, printed for people when there is one.
 */
async function page<T>(ctx: Context, load: (cursor: string | undefined, limit: number | undefined) => Promise<Page<T> & { answer: unknown }>, view: { columns: Column<T>[]; empty: string; again: string[] }): Promise<void> {
  const { input } = ctx;
  const limit = positiveInteger('limit', input.string('limit'));
  if (limit !== undefined && limit > MAX_LOOKUP_PAGE) throw new UsageError(`--limit must be at most ${MAX_LOOKUP_PAGE}, not ${limit}`);
  let cursor = input.string('cursor');
  if (cursor === '') throw new UsageError('--cursor needs the cursor the previous page printed');

  if (!input.flag('all')) {
    const one = await load(cursor, limit);
    if (ctx.out.json) return ctx.out.data(one.answer);
    ctx.out.table(one.items, view.columns, view.empty);
    if (one.nextCursor) {
      const again = [...view.again, ...(limit !== undefined ? [`--limit ${limit}`] : []), `--cursor ${shellWord(one.nextCursor)}`];
      ctx.out.print(`\nMore: ${again.join(' ')}   (or --all for every page)`);
    }
    return;
  }
  const table = ctx.out.json ? null : new StreamingTable(ctx.out, view.columns);
  do {
    const next = await load(cursor, limit ?? MAX_LOOKUP_PAGE);
    if (table) table.add(next.items);
    else for (const item of next.items) ctx.out.line(item);
    cursor = next.nextCursor ?? undefined;
  } while (cursor);
  table?.end(view.empty);
}

const consistency = (ctx: Context) => {
  const atLeast = revision('at-least', ctx.input.string('at-least'));
  return atLeast !== undefined ? { consistency: { atLeast } } : {};
};

const verbOf = (action: string) => action.slice(action.indexOf(':') + 1);

const resourceColumns: Column<Resource>[] = [
  { header: 'RESOURCE', value: (r) => `${r.type}/${r.id}` },
  { header: 'OWNER', value: (r) => r.owner },
  { header: 'TEAM', value: (r) => r.team },
  { header: 'TAGS', value: (r) => formatTags(r.tags) },
];

const subjectColumns: Column<Subject>[] = [
  { header: 'PRINCIPAL', value: (s) => `${s.type}:${s.id}` },
  { header: 'ROLE', value: (s) => s.matched?.role },
  { header: 'GRANT', value: (s) => s.matched?.grant },
  { header: 'CONDITION', value: (s) => s.matched?.condition },
];

export const lookupVerbs: VerbSpec[] = [
  {
    path: ['lookup', 'resources'],
    summary: 'which registered resources may this member act on with this action?',
    args: ['<principal>', '<action>'],
    options: pageOptions,
    description: [
      'principal: user:<USER_ID> or service_account:<SA_ID>',
      'action:    resource:action, e.g. deployment:update; the resources are of its type',
      '',
      'Lists the registered resources (`gatehouse resource put`) for which `gatehouse check',
      '<principal> <action> <type>/<id>` would answer allowed, in id order.',
      PAGING_HELP,
    ].join('\n'),
    examples: [
      'gatehouse lookup resources user:usr_abc123def456 deployment:update',
      'gatehouse lookup resources service_account:sa_abc123def456 dataset:read --all',
      "gatehouse lookup resources user:usr_abc123def456 model:delete --all --json | jq -r '.id'",
      'gatehouse lookup resources user:usr_abc123def456 deployment:read --limit 50 --cursor <cursor printed by the previous page>',
    ],
    async run(ctx) {
      const given = ctx.input.arg('principal');
      const principal = parseMember(given, 'a lookup names a member: pass user:<USER_ID> or service_account:<SA_ID> (`gatehouse introspect` names the owner of a key)');
      const { action, type } = requireAction(ctx.input.arg('action'));
      const wait = consistency(ctx);
      const path = route`/v1/accounts/${ctx.account()}/lookup/resources`;
      await page(
        ctx,
        async (cursor, limit) => {
          const answer = await ctx.client.post<ResourcesPage>(path, { principal, action, ...(limit !== undefined ? { limit } : {}), ...(cursor !== undefined ? { cursor } : {}), ...wait });
          return { items: answer.resources, nextCursor: answer.nextCursor, answer };
        },
        { columns: resourceColumns, empty: `no ${type} that ${given} may ${verbOf(action)}`, again: ['gatehouse lookup resources', shellWord(given), action] },
      );
    },
  },
  {
    path: ['lookup', 'subjects'],
    summary: 'which members may act on this resource with this action?',
    args: ['<resource>', '<action>'],
    options: pageOptions,
    description: [
      'resource: type/id, e.g. deployment/dep-1 (its owner, team and tags as registered)',
      'action:   resource:action of the same type, e.g. deployment:update',
      '',
      'Lists the users and service accounts for which `gatehouse check <principal> <action>',
      '<resource>` would answer allowed, with the role and grant that allow it. A resource',
      'that is not registered has no owner, team or tags: only grants on any apply.',
      PAGING_HELP,
    ].join('\n'),
    examples: [
      'gatehouse lookup subjects deployment/dep-1 deployment:update',
      'gatehouse lookup subjects dataset/ds-1 dataset:delete --all',
      "gatehouse lookup subjects model/m-7 model:read --all --json | jq -r 'select(.type == \"user\") | .id'",
    ],
    async run(ctx) {
      const given = ctx.input.arg('resource');
      const resource = parseResourceRef(given);
      const { action, type } = requireAction(ctx.input.arg('action'));
      if (resource.type !== type) throw new UsageError(`resource ${given} is a ${resource.type}, action ${action} is about a ${type}: they must name the same type`);
      const wait = consistency(ctx);
      const path = route`/v1/accounts/${ctx.account()}/lookup/subjects`;
      await page(
        ctx,
        async (cursor, limit) => {
          const answer = await ctx.client.post<SubjectsPage>(path, { resource, action, ...(limit !== undefined ? { limit } : {}), ...(cursor !== undefined ? { cursor } : {}), ...wait });
          return { items: answer.subjects, nextCursor: answer.nextCursor, answer };
        },
        { columns: subjectColumns, empty: `nobody may ${verbOf(action)} ${given}`, again: ['gatehouse lookup subjects', shellWord(given), action] },
      );
    },
  },
];
