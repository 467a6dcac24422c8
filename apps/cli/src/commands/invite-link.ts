import type { List, Member, Written } from '../api';
import { route } from '../client';
import { Context, positiveInteger, timestamp, VerbSpec } from '../verb';
import { showMember, written } from '../views';

/** Invite links (issue 4, Predibase): a token that lets people join with the link's roles. */

interface InviteLink extends Partial<Written> {
  id: string;
  roles: string[];
  token?: string;
  expiresAt: string;
  maxUses?: number;
  uses: number;
  revoked: boolean;
}

const links = (ctx: Context) => route`/v1/accounts/${ctx.account()}/invite-links`;

export const inviteLinkVerbs: VerbSpec[] = [
  {
    path: ['invite-link', 'create'],
    summary: 'create an invite link that grants roles; its token is printed once',
    options: {
      role: { type: 'string', value: '<role>', multiple: true, help: "role people who join get (default: the account's default role)" },
      expires: { type: 'string', value: '<time>', help: 'expiry, e.g. 2026-12-31 (default: the invitation lifetime)' },
      'max-uses': { type: 'string', value: '<n>', help: 'how many people may join through it' },
    },
    description: 'A link may grant only roles its creator may grant.',
    examples: ['gatehouse invite-link create --role user --expires 2026-12-31 --max-uses 10'],
    async run(ctx) {
      const { input } = ctx;
      const body = {
        ...(input.has('role') ? { roles: input.strings('role') } : {}),
        ...(input.has('expires') ? { expiresAt: timestamp('expires', input.string('expires')) } : {}),
        ...(input.has('max-uses') ? { maxUses: positiveInteger('max-uses', input.string('max-uses')) } : {}),
      };
      const link = await ctx.client.post<InviteLink>(links(ctx), body);
      if (ctx.out.json) ctx.out.data(link);
      else {
        ctx.out.fields([
          ['id', link.id],
          ['roles', link.roles],
          ['expires', link.expiresAt],
          ['max uses', link.maxUses ?? 'unlimited'],
          ['revision', link.revision],
        ]);
        if (link.token) ctx.out.print(`\n  ${link.token}\n\nJoin with: gatehouse invite-link join ${link.token} --email <email> --account ${ctx.account()}`);
      }
      if (link.token) ctx.out.warn('Share this invite link token now: it will not be shown again.');
    },
  },
  {
    path: ['invite-link', 'join'],
    summary: 'join an account through an invite link (no API key needed)',
    args: ['<TOKEN>'],
    options: { email: { type: 'string', value: '<email>', required: true, help: 'the email to join with' } },
    examples: ['gatehouse invite-link join ghl_… --email dana@example.com --account acme'],
    async run(ctx) {
      const member = await ctx.client.post<Member & Written>(
        `${links(ctx)}/join`,
        { token: ctx.input.arg('TOKEN'), email: ctx.input.string('email') },
        { auth: false },
      );
      if (ctx.out.json) return ctx.out.data(member);
      showMember(ctx, member);
    },
  },
  {
    path: ['invite-link', 'list'],
    summary: 'list invite links (never their tokens)',
    examples: ['gatehouse invite-link list'],
    async run(ctx) {
      const list = await ctx.client.get<List<InviteLink>>(links(ctx));
      if (ctx.out.json) return ctx.out.data(list);
      ctx.out.table(list.items, [
        { header: 'ID', value: (l) => l.id },
        { header: 'ROLES', value: (l) => l.roles },
        { header: 'USES', value: (l) => `${l.uses}/${l.maxUses ?? '∞'}` },
        { header: 'EXPIRES', value: (l) => l.expiresAt },
        { header: 'STATUS', value: (l) => (l.revoked ? 'revoked' : Date.parse(l.expiresAt) <= Date.now() ? 'expired' : l.maxUses !== undefined && l.uses >= l.maxUses ? 'used up' : 'open') },
      ], 'no invite links');
    },
  },
  {
    path: ['invite-link', 'revoke'],
    summary: 'revoke an invite link: nobody else can join through it',
    args: ['<LINK_ID>'],
    examples: ['gatehouse invite-link revoke 25sxp66jvik3ev72'],
    async run(ctx) {
      const id = ctx.input.arg('LINK_ID');
      written(ctx, await ctx.client.delete<Written>(`${links(ctx)}${route`/${id}`}`), `Revoked invite link ${id}`);
    },
  },
];
