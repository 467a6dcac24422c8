import { readFileSync } from 'node:fs';
import { route } from '../client';
import { UsageError } from '../errors';
import { VerbSpec } from '../verb';

/** Key introspection (issue 4), for gateways and for people holding a key they do not recognise. */

interface Introspection {
  active?: boolean;
  status?: string;
  account?: string;
  principal?: { type?: string; id?: string } | string;
  keyId?: string;
  roles?: string[];
  expiresAt?: string;
  restricted?: boolean;
  [field: string]: unknown;
}

export const introspectVerbs: VerbSpec[] = [
  {
    path: ['introspect'],
    summary: 'who does an API key belong to, and what may it do?',
    args: ['<API_KEY>'],
    description: 'Pass - to read the key from standard input, which keeps it out of your shell history.',
    examples: ['gatehouse introspect gh_lmvyw5togejthvkj_…', 'pass show gatehouse/bob | gatehouse introspect -'],
    async run(ctx) {
      const given = ctx.input.arg('API_KEY');
      const apiKey = given === '-' ? readFileSync(0, 'utf8').trim() : given;
      if (!apiKey) throw new UsageError('no API key on standard input');
      const answer = await ctx.client.post<Introspection>(route`/v1/introspect`, { apiKey });
      if (ctx.out.json) return ctx.out.data(answer);
      const p = answer.principal;
      ctx.out.fields([
        ['active', answer.active],
        ['status', answer.status],
        ['account', answer.account],
        ['principal', typeof p === 'object' && p ? `${p.type}:${p.id}` : p],
        ['key id', answer.keyId],
        ['roles', answer.roles],
        ['restricted', answer.restricted],
        ['expires', answer.expiresAt],
      ]);
    },
  },
];
