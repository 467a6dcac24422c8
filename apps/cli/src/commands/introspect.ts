import { readFileSync } from 'node:fs';
import { route } from '../client';
import { EXIT, UsageError } from '../errors';
import { VerbSpec } from '../verb';

/** Key introspection (issue 4), for gateways and for people holding a key they do not recognise. */

interface Introspection {
  active: boolean;
  reason?: string;
  account?: string;
  keyId?: string;
  principal?: { type: string; id: string };
  status?: string;
  roles?: string[];
  teams?: string[];
  restricted?: boolean;
  expiresAt?: string;
  revision?: string;
}

export const introspectVerbs: VerbSpec[] = [
  {
    path: ['introspect'],
    summary: 'whose is an API key and is it active? exit 0 when active, 1 when not',
    args: ['<API_KEY>'],
    description:
      'Pass - to read the key from standard input, which keeps it out of your shell history.\nThe root key may introspect any key; other callers only keys of their own account (any\nother key looks unknown). Exit 0 when the key is active, 1 when it is not.',
    examples: ['gatehouse introspect gh_lmvyw5togejthvkj_…', 'pass show gatehouse/bob | gatehouse introspect -'],
    async run(ctx) {
      const given = ctx.input.arg('API_KEY');
      const apiKey = given === '-' ? readFileSync(0, 'utf8').trim() : given;
      if (!apiKey) throw new UsageError('no API key on standard input');
      const answer = await ctx.client.post<Introspection>(route`/v1/introspect`, { apiKey });
      if (ctx.out.json) ctx.out.data(answer);
      else {
        ctx.out.fields([
          ['active', answer.active],
          ['reason', answer.reason],
          ['account', answer.account],
          ['key id', answer.keyId],
          ['principal', answer.principal ? `${answer.principal.type}:${answer.principal.id}` : undefined],
          ['status', answer.status],
          ['roles', answer.roles],
          ['teams', answer.teams],
          ['restricted', answer.restricted],
          ['expires', answer.expiresAt],
          ['revision', answer.revision],
        ]);
      }
      return answer.active ? EXIT.ok : EXIT.denied;
    },
  },
];
