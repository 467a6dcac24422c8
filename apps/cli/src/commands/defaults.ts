import type { Written } from '../api';
import { route } from '../client';
import { UsageError } from '../errors';
import { VerbSpec } from '../verb';

export const defaultsVerbs: VerbSpec[] = [
  {
    path: ['defaults', 'set'],
    summary: 'change the role (and team) new members get',
    options: {
      role: { type: 'string', value: '<role>', required: true, help: 'default role of new members' },
      team: { type: 'string', value: '<team>', help: 'team new members join' },
      'no-team': { type: 'boolean', help: 'new members join no team' },
    },
    description: 'Without --team or --no-team the default team stays as it is.',
    examples: ['gatehouse defaults set --role contributor', 'gatehouse defaults set --role read_only --team research', 'gatehouse defaults set --role read_only --no-team'],
    async run(ctx) {
      const { input } = ctx;
      if (input.has('team') && input.flag('no-team')) throw new UsageError('give --team or --no-team, not both');
      const body = {
        defaultRole: input.string('role'),
        ...(input.has('team') ? { defaultTeam: input.string('team') } : {}),
        ...(input.flag('no-team') ? { defaultTeam: null } : {}),
      };
      const changed = await ctx.client.put<{ defaultRole: string; defaultTeam: string | null } & Written>(route`/v1/accounts/${ctx.account()}/defaults`, body);
      if (ctx.out.json) return ctx.out.data(changed);
      ctx.out.fields([
        ['default role', changed.defaultRole],
        ['default team', changed.defaultTeam ?? '(none)'],
        ['revision', changed.revision],
      ]);
    },
  },
];
