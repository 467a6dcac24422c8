import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { AuditEntry, ChainCheck, EffectiveAccess, List } from '../api';
import { route } from '../client';
import { EXIT, UsageError } from '../errors';
import { Column, formatCount, StreamingTable } from '../output';
import { formatGrant, parsePrincipal } from '../syntax';
import { Context, Input, OptionSpec, positiveInteger, revision, revisionOrTime, timestamp, VerbSpec } from '../verb';

/** The audit log (issue 7): the account's events, queried, exported, verified and replayed to a past moment. */

const audit = (ctx: Context) => route`/v1/accounts/${ctx.account()}/audit`;

/** The filters replay and export share; the server applies them all (AND). */
const filterOptions: Record<string, OptionSpec> = {
  actor: { type: 'string', value: '<actor>', help: 'who acted: root, user:<USER_ID>, service_account:<SA_ID>, or the id of the API key used' },
  target: { type: 'string', value: '<id>', help: 'whom or what it was about: a user or service account id, a key id, a role, a team, an invite link' },
  type: { type: 'string', value: '<Type,…>', multiple: true, help: 'only these event types, e.g. RoleAssigned,ApiKeyRevoked' },
  from: { type: 'string', value: '<time>', help: 'from this time on, e.g. 2026-11-03T10:00:00Z (a bare date is midnight UTC)' },
  to: { type: 'string', value: '<time>', help: 'up to this time, inclusive' },
  'from-revision': { type: 'string', value: '<n>', help: 'from this revision (store position) on, inclusive' },
  'to-revision': { type: 'string', value: '<n>', help: 'up to this revision, inclusive' },
};

const FILTER_HELP = [
  'Filters combine (all must match). Revisions are the numbers every write prints; they',
  'order events across the whole store, so an account sees gaps between its own.',
].join('\n');

function filterQuery(input: Input) {
  const types = input
    .strings('type')
    .flatMap((t) => t.split(','))
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const from = timestamp('from', input.string('from'));
  const to = timestamp('to', input.string('to'));
  if (from && to && from > to) throw new UsageError(`--from ${input.string('from')} is after --to ${input.string('to')}: nothing could match`);
  const fromRevision = revision('from-revision', input.string('from-revision'));
  const toRevision = revision('to-revision', input.string('to-revision'));
  if (fromRevision && toRevision && BigInt(fromRevision) > BigInt(toRevision)) {
    throw new UsageError(`--from-revision ${fromRevision} is after --to-revision ${toRevision}: nothing could match`);
  }
  return {
    actor: input.string('actor'),
    target: input.string('target'),
    type: types.length ? types.join(',') : undefined,
    from,
    to,
    fromRevision,
    toRevision,
  };
}

/** The options as typed, to print the command for the next page. */
function echo(input: Input, options: readonly string[]): string[] {
  const quote = (v: string) => (/^[\w.:,/@=+-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);
  return options.flatMap((o) => input.strings(o).map((v) => `--${o} ${quote(v)}`));
}

const entryColumns: Column<AuditEntry>[] = [
  { header: 'POSITION', value: (e) => e.position },
  { header: 'TIME', value: (e) => e.occurredAt },
  { header: 'TYPE', value: (e) => e.type },
  { header: 'ACTOR', value: (e) => e.actor },
  { header: 'TARGETS', value: (e) => e.targets.filter((t) => t !== '') },
  { header: 'CORRELATION', value: (e) => e.correlationId },
];

const PROBLEMS: Record<string, string> = {
  HASH_MISMATCH: "the event's content no longer matches its hash: it was changed after it was written",
  PREVIOUS_HASH_MISMATCH: "the event does not follow its predecessor's hash: an earlier event of the stream was replaced, or events were reordered",
  MISSING_EVENT: 'an event of this stream is missing before this one: it was deleted from the store',
  UNCHAINED_EVENT: 'the event carries no hash: it was written outside Gatehouse, or its metadata was edited',
};

/** `user:<id>` or `service_account:<id>`: whose access `audit principal` shows. */
function member(text: string): { type: string; id: string } {
  const principal = parsePrincipal(text);
  if ('apiKey' in principal) throw new UsageError('audit principal shows a member: pass user:<USER_ID> or service_account:<SA_ID> (`gatehouse introspect` names the owner of a key)');
  return principal;
}

export const auditVerbs: VerbSpec[] = [
  {
    path: ['audit', 'replay'],
    summary: 'the audit log: who did what to whom, when, newest first',
    options: {
      ...filterOptions,
      order: { type: 'string', value: '<asc|desc>', help: 'desc: newest first (the default); asc: oldest first' },
      limit: { type: 'string', value: '<n>', help: 'entries per page (default 100, at most 1000)' },
      cursor: { type: 'string', value: '<cursor>', help: 'the page after the one that printed this cursor' },
      all: { type: 'boolean', help: 'follow the cursors to the last page, printing each page as it arrives' },
    },
    description: [
      'One page by default; the last line then says how to get the next one. --all prints every',
      'page, as it arrives (with --json: one entry per line, JSON Lines, as `audit export`).',
      FILTER_HELP,
      'Needs the audit.read operation (an account admin, or the root key).',
    ].join('\n'),
    examples: [
      'gatehouse audit replay',
      'gatehouse audit replay --target usr_abc123def456 --order asc --all',
      'gatehouse audit replay --actor user:usr_abc123def456 --type RoleAssigned,RoleUnassigned --from 2026-11-03',
      'gatehouse audit replay --from-revision 120 --to-revision 140 --order asc --json',
      "gatehouse audit replay --type ApiKeyRevoked --all --json | jq -r '.data.keyId'",
    ],
    async run(ctx) {
      const { input } = ctx;
      const order = input.string('order') ?? 'desc';
      if (order !== 'asc' && order !== 'desc') throw new UsageError(`--order must be asc or desc, not "${order}"`);
      const limit = positiveInteger('limit', input.string('limit'));
      if (limit !== undefined && limit > 1000) throw new UsageError(`--limit must be at most 1000, not ${limit}`);
      const all = input.flag('all');
      const query = { ...filterQuery(input), order, limit: limit ?? (all ? 1000 : undefined), cursor: revision('cursor', input.string('cursor')) };
      const path = audit(ctx);

      if (!all) {
        const page = await ctx.client.get<List<AuditEntry>>(path, query);
        if (ctx.out.json) return ctx.out.data(page);
        ctx.out.table(page.items, entryColumns, 'no audit entries match');
        if (page.nextCursor) {
          const again = ['gatehouse audit replay', ...echo(input, [...Object.keys(filterOptions), 'order', 'limit']), `--cursor ${page.nextCursor}`];
          ctx.out.print(`\nMore: ${again.join(' ')}   (or --all for every page)`);
        }
        return;
      }
      const table = ctx.out.json ? null : new StreamingTable(ctx.out, entryColumns);
      let cursor = query.cursor;
      do {
        const page = await ctx.client.get<List<AuditEntry>>(path, { ...query, cursor });
        if (table) table.add(page.items);
        else for (const entry of page.items) ctx.out.line(entry);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      table?.end('no audit entries match');
    },
  },
  {
    path: ['audit', 'export'],
    summary: 'every matching audit entry, oldest first, as JSON Lines or CSV (streamed)',
    options: {
      format: { type: 'string', value: '<jsonl|csv>', required: true, help: 'jsonl: one JSON entry per line; csv: a header line, then one row per entry' },
      ...filterOptions,
      output: { type: 'string', value: '<file>', help: 'write to this file instead of standard output' },
    },
    description: [
      'The server streams the export and the CLI passes it on as it arrives: any size, in',
      'constant memory. With --output the file appears only once the export is complete',
      '(it is written beside it first); an export cut short exits 5 and leaves no file.',
      'CSV columns: position, occurredAt, type, actor, actorKeyId, stream, targets (space',
      'separated), correlationId, causationId, commandId, data (JSON).',
      FILTER_HELP,
    ].join('\n'),
    examples: [
      'gatehouse audit export --format jsonl > audit.jsonl',
      'gatehouse audit export --format csv --from 2026-11-01 --to 2026-12-01 --output november.csv',
      'gatehouse audit export --format jsonl --target usr_abc123def456 | jq -c "{position, type, actor}"',
    ],
    async run(ctx) {
      const { input } = ctx;
      const format = input.string('format')!;
      if (format !== 'jsonl' && format !== 'csv') throw new UsageError(`--format must be jsonl or csv, not "${format}"`);
      const path = `${audit(ctx)}/export`;
      const query = { format, ...filterQuery(input) };
      const accept = format === 'csv' ? 'text/csv' : 'application/x-ndjson';
      const output = input.string('output');
      if (output === undefined || output === '-') {
        await ctx.client.download(path, query, accept, (chunk) => ctx.out.raw(chunk));
        return;
      }

      const target = resolve(output);
      const partial = join(dirname(target), `.${basename(target)}.${process.pid}.partial`);
      let file;
      try {
        file = await open(partial, 'wx', 0o600);
      } catch (error) {
        throw new UsageError(`--output ${output}: cannot write there (${(error as Error).message})`);
      }
      let lines = 0;
      let done = false;
      try {
        const { bytes } = await ctx.client.download(path, query, accept, async (chunk) => {
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
          await file.write(chunk);
        });
        await file.close();
        await rename(partial, target);
        done = true;
        const entries = Math.max(0, format === 'csv' ? lines - 1 : lines);
        if (ctx.out.json) ctx.out.data({ output: target, format, entries, bytes });
        else ctx.out.print(`Exported ${formatCount(entries)} audit ${entries === 1 ? 'entry' : 'entries'} (${formatCount(bytes)} bytes) to ${output}`);
      } finally {
        if (!done) {
          await file.close().catch(() => undefined);
          await rm(partial, { force: true });
        }
      }
    },
  },
  {
    path: ['audit', 'verify'],
    summary: "walk the account's hash chains: exit 0 when intact, 1 at the first break",
    description: [
      "Each event carries the hash of its predecessor's hash and its own content, per stream.",
      'verify recomputes every chain of the account from the store and reports the first',
      'event where one breaks: an event edited, deleted, reordered or written around Gatehouse.',
      'Exit 0 when every chain is intact, 1 when one is broken (2-5 as for every verb).',
    ].join('\n'),
    examples: ['gatehouse audit verify', 'gatehouse audit verify --json | jq .firstBreak', 'gatehouse audit verify --account acme --timeout 300 || page-oncall "audit chain broken"'],
    async run(ctx) {
      const answer = await ctx.client.get<ChainCheck>(`${audit(ctx)}/verify`);
      const broken = answer.firstBreak;
      if (ctx.out.json) ctx.out.data(answer);
      else {
        ctx.out.fields([
          ['account', answer.account],
          ['chains', answer.valid ? 'intact' : 'BROKEN'],
          ['events', answer.events],
          ['streams', answer.streams],
          ...(broken
            ? ([
                ['position', broken.position],
                ['stream', broken.streamId],
                ['stream revision', broken.revision],
                ['problem', broken.problem],
              ] as const)
            : []),
        ]);
        if (broken) {
          const where = broken.position !== undefined ? `position ${broken.position}` : `revision ${broken.revision} of ${broken.streamId}`;
          ctx.out.print(`\nFirst break at ${where} (${broken.streamId}): ${PROBLEMS[broken.problem] ?? broken.problem}.`);
        }
      }
      if (!broken) return EXIT.ok;
      if (broken.position !== undefined) {
        ctx.out.warn(`hint: \`gatehouse audit replay --from-revision ${broken.position} --to-revision ${broken.position} --json\` shows the event as stored now; compare with a backup or an export`);
      }
      return EXIT.refused;
    },
  },
  {
    path: ['audit', 'principal'],
    summary: "a member's status, teams, roles and grants, now or as of a revision or time",
    args: ['<principal>'],
    options: { 'as-of': { type: 'string', value: '<revision|time>', help: 'as it was then: a revision (42) or a time (2026-11-03T10:00:00Z); default: now' } },
    description: [
      'principal: user:<USER_ID> or service_account:<SA_ID>.',
      'Answered by folding the account\'s history up to that point: "what could Bob do last',
      'Tuesday at 10:00?". Exit 4 when the principal was not a member then.',
    ].join('\n'),
    examples: [
      'gatehouse audit principal user:usr_abc123def456',
      'gatehouse audit principal user:usr_abc123def456 --as-of 2026-11-03T10:00:00Z',
      'gatehouse audit principal service_account:sa_abc123def456 --as-of 120 --json',
    ],
    async run(ctx) {
      const principal = member(ctx.input.arg('principal'));
      const asOf = revisionOrTime('as-of', ctx.input.string('as-of'));
      const answer = await ctx.client.get<EffectiveAccess>(`${audit(ctx)}${route`/principals/${principal.type}/${principal.id}`}`, { asOf });
      if (ctx.out.json) return ctx.out.data(answer);
      const account = typeof answer.account === 'string' ? answer.account : `${answer.account.id} (${answer.account.status})`;
      ctx.out.fields([
        ['principal', `${answer.principal.type}:${answer.principal.id}`],
        ['account', account],
        ['status', answer.status],
        ['teams', answer.teams],
        ['roles', answer.roles.map((r) => r.name)],
        ['as of', `revision ${answer.revision}`],
      ]);
      ctx.out.print();
      const grants = answer.roles.flatMap((role) => role.grants.map((grant) => ({ role, grant })));
      ctx.out.table(grants, [
        { header: 'ROLE', value: (g) => g.role.name },
        { header: 'GRANT', value: (g) => formatGrant(g.grant) },
        { header: 'SCOPES', value: (g) => Object.entries(g.role.scopes ?? {}).map(([d, v]) => `${d}=${v.join('|')}`) },
      ], 'no grants');
    },
  },
];
