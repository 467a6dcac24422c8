import { readFileSync } from 'node:fs';
import type { AsOfAnswer, CheckAnswer } from '../api';
import { route } from '../client';
import { EXIT, UsageError } from '../errors';
import { parseLists, parsePrincipal, parseResource } from '../syntax';
import { revisionOrTime, VerbSpec } from '../verb';

export const checkVerbs: VerbSpec[] = [
  {
    path: ['check'],
    summary: 'may this principal do this action? exit 0 when allowed, 1 when denied',
    args: ['<principal>', '<action>', '[<resource>]'],
    options: {
      owner: { type: 'string', value: '<USER_ID>', help: "the resource's owner (for @own grants)" },
      team: { type: 'string', value: '<team>', help: "the resource's team (for @team grants)" },
      tag: { type: 'string', value: '<dimension=v1,v2>', multiple: true, help: "the resource's tags (for scoped roles)" },
      'at-least': { type: 'string', value: '<revision>', help: 'answer only once this write is applied (read your writes)' },
      'as-of': { type: 'string', value: '<revision|time>', help: 'answer as of the past: a revision (42) or a time (2026-11-03T10:00:00Z)' },
      explain: { type: 'boolean', help: 'print the reason, the matched role and grant, and the revision' },
    },
    description: [
      'principal: user:<USER_ID>, service_account:<id>, or key:<api key> (key:- reads the key',
      '           from standard input, keeping it out of shell history and process lists)',
      'action:    resource:action, e.g. dataset:create',
      'resource:  type/id (dataset/ds-1) or a type (dataset)',
      '',
      'The exit code is the answer, for scripts: 0 allowed, 1 denied (2-5 as for every',
      "verb). Pass the revision a write printed as --at-least to see that write's effect.",
      '',
      '--as-of answers from history instead of the live cache: "could this key read datasets',
      'last Tuesday at 10:00?". The account (and the key) are folded up to that revision, or',
      'to the last event at or before that time; the answer names the revision it used.',
      'It needs the audit.read operation.',
    ].join('\n'),
    examples: [
      'gatehouse check user:usr_abc123def456 dataset:create dataset',
      'gatehouse check key:$BOB_KEY dataset:delete dataset/ds-1 --owner usr_abc123def456 --explain',
      'gatehouse check user:usr_abc123def456 knowledge:read knowledge/k1 --tag knowledge_tags=hr,legal',
      'gatehouse check key:$BOB_KEY dataset:create --at-least 10 || echo "denied"',
      'gatehouse check key:$BOB_KEY dataset:read dataset/ds-1 --as-of 2026-11-03T10:00:00Z --explain',
      'pass show gatehouse/bob | gatehouse check key:- dataset:read dataset/ds-1',
    ],
    async run(ctx) {
      const { input } = ctx;
      const resourceText = input.optionalArg('resource');
      const atLeast = input.string('at-least');
      if (atLeast !== undefined && !/^[0-9]{1,20}$/.test(atLeast)) throw new UsageError(`--at-least must be a revision (a number printed by a write), not "${atLeast}"`);
      const asOf = revisionOrTime('as-of', input.string('as-of'));
      if (asOf !== undefined && atLeast !== undefined) throw new UsageError('give --at-least (the live answer, once a write is applied) or --as-of (an answer from history), not both');
      const resource = {
        ...(resourceText !== undefined ? parseResource(resourceText) : {}),
        ...(input.has('owner') ? { owner: input.string('owner') } : {}),
        ...(input.has('team') ? { team: input.string('team') } : {}),
        ...(input.has('tag') ? { tags: parseLists(input.strings('tag'), 'tag') } : {}),
      };
      const given = input.arg('principal');
      const principal = parsePrincipal(given === 'key:-' ? `key:${readFileSync(0, 'utf8').trim()}` : given);
      const body = {
        principal,
        action: input.arg('action'),
        ...(Object.keys(resource).length ? { resource } : {}),
        ...(atLeast !== undefined ? { consistency: { atLeast } } : {}),
        ...(asOf !== undefined ? { asOf } : {}),
      };
      const answer = asOf === undefined
        ? await ctx.client.post<CheckAnswer>(route`/v1/accounts/${ctx.account()}/check`, body)
        : await ctx.client.post<AsOfAnswer>(route`/v1/accounts/${ctx.account()}/audit/check`, body);
      const then = 'asOf' in answer ? ` as of revision ${answer.revision} (${answer.asOf})` : '';
      if (ctx.out.json) ctx.out.data(answer);
      else if (input.flag('explain')) {
        ctx.out.fields([
          ['decision', answer.allowed ? 'allowed' : 'denied'],
          ['reason', answer.reason],
          ['message', answer.message],
          ['role', answer.matched?.role],
          ['grant', answer.matched?.grant],
          ['condition', answer.matched?.condition],
          ['revision', answer.revision],
          ['as of', 'asOf' in answer ? answer.asOf : undefined],
        ]);
      } else ctx.out.print((answer.allowed ? 'allowed' : `denied (${answer.reason})`) + then);
      return answer.allowed ? EXIT.ok : EXIT.denied;
    },
  },
];
