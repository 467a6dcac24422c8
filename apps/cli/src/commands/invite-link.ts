import type { List, Written } from '../api';
import { route } from '../client';
import { Context, positiveInteger, timestamp, VerbSpec } from '../verb';
import { presentColumns, written } from '../views';

/** Invite links (issue 4): join an account through a link that grants one role. */

interface InviteLink extends Partial<Written> {
  id: string;
  role?: string;
  token?: string;
  url?: string;
  expiresAt?: string;
  maxUses?: number;
  uses?: number;
  status?: string;
}

const links = (ctx: Context) => route`/v1/accounts/${ctx.account()}/invite-links`;

export const inviteLinkVerbs: VerbSpec[] = [
  {
    path: ['invite-link', 'create'],
    summary: 'create an invite link that grants a role; its token is printed once',
    options: {
      role: { type: 'string', value: '<role>', required: true, help: 'the role people who join through the link get' },
      expires: { type: 'string', value: '<time>', help: 'expiry, e.g. 2026-12-31 or 2026-12-31T00:00:00Z' },
      'max-uses': { type: 'string', value: '<n>', help: 'how many people may join through it' },
    },
    examples: ['gatehouse invite-link create --role user --expires 2026-12-31 --max-uses 10'],
    async run(ctx) {
      const { input } = ctx;
      const body = {
        role: input.string('role'),
        ...(input.has('expires') ? { expiresAt: timestamp('expires', input.string('expires')) } : {}),
        ...(input.has('max-uses') ? { maxUses: positiveInteger('max-uses', input.string('max-uses')) } : {}),
      };
      const link = await ctx.client.post<InviteLink>(links(ctx), body);
      if (ctx.out.json) ctx.out.data(link);
      else {
        ctx.out.fields([
          ['id', link.id],
          ['role', link.role],
          ['expires', link.expiresAt],
          ['max uses', link.maxUses],
          ['revision', link.revision],
        ]);
        const secret = link.url ?? link.token;
        if (secret) ctx.out.print(`\n  ${secret}\n`);
      }
      if (link.url ?? link.token) ctx.out.warn('Share this invite link now: it will not be shown again.');
    },
  },
  {
    path: ['invite-link', 'list'],
    summary: 'list invite links (without their tokens)',
    examples: ['gatehouse invite-link list'],
    async run(ctx) {
      const list = await ctx.client.get<List<InviteLink>>(links(ctx));
      if (ctx.out.json) return ctx.out.data(list);
      const columns = presentColumns(list.items, [
        ['id', 'ID'],
        ['role', 'ROLE'],
        ['status', 'STATUS'],
        ['uses', 'USES'],
        ['maxUses', 'MAX USES'],
        ['expiresAt', 'EXPIRES'],
      ]);
      ctx.out.table(list.items, columns, 'no invite links');
    },
  },
  {
    path: ['invite-link', 'revoke'],
    summary: 'revoke an invite link: nobody else can join through it',
    args: ['<ID>'],
    examples: ['gatehouse invite-link revoke 25sxp66jvik3ev72'],
    async run(ctx) {
      const id = ctx.input.arg('ID');
      written(ctx, await ctx.client.delete<Written>(route`/v1/accounts/${ctx.account()}/invite-links/${id}`), `Revoked invite link ${id}`);
    },
  },
];
