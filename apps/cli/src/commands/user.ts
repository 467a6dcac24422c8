import type { List, Member, Written } from '../api';
import { route } from '../client';
import { ApiError } from '../errors';
import { requireUserId } from '../syntax';
import { Context, VerbSpec } from '../verb';
import { memberColumns, showMember, written } from '../views';

interface Invited extends Member, Written {
  invitation?: { id: string; token?: string; expiresAt?: string };
}

const users = (ctx: Context) => route`/v1/accounts/${ctx.account()}/users`;
const user = (ctx: Context, id: string) => route`/v1/accounts/${ctx.account()}/users/${requireUserId(id)}`;

/**
 * firectl's `user update --role`: the role becomes the user's only role. Assign first,
 * so the user is never left without a role; if an unassign is refused (the last admin,
 * say), undo what was done so the command changes all or nothing.
 */
async function makeOnlyRole(ctx: Context, userId: string, role: string): Promise<Member & Written> {
  const base = user(ctx, userId);
  const before = await ctx.client.get<Member & Written>(base);
  const undo: (() => Promise<unknown>)[] = [];
  let current: Member & Written = before;
  try {
    if (!before.roles.includes(role)) {
      current = await ctx.client.post<Member & Written>(`${base}/roles`, { role });
      undo.push(() => ctx.client.delete(`${base}${route`/roles/${role}`}`));
    }
    for (const other of before.roles.filter((r) => r !== role)) {
      current = await ctx.client.delete<Member & Written>(`${base}${route`/roles/${other}`}`);
      undo.push(() => ctx.client.post(`${base}/roles`, { role: other }));
    }
    return current;
  } catch (error) {
    if (!(error instanceof ApiError) || undo.length === 0) throw error;
    try {
      for (const step of undo.reverse()) await step();
      error.notes.push(`nothing changed: ${userId} keeps the roles ${before.roles.join(', ') || '(none)'}`);
    } catch {
      error.notes.push(`could not undo every step: \`gatehouse user get ${userId}\` shows the roles ${userId} holds now`);
    }
    throw error;
  }
}

export const userVerbs: VerbSpec[] = [
  {
    path: ['user', 'create'],
    summary: 'invite a user by email; prints the invitation token once',
    options: {
      email: { type: 'string', value: '<email>', required: true, help: "the user's email" },
      role: { type: 'string', value: '<role>', multiple: true, help: "role to give (default: the account's default role)" },
    },
    description:
      'Creates an invited member (InviteUser). The user becomes active when the invitation\ntoken is accepted with `gatehouse user accept <token>`; the token is shown only here.',
    examples: ['gatehouse user create --email alice@example.com', 'gatehouse user create --email alice@example.com --role=admin'],
    async run(ctx) {
      const body = { email: ctx.input.string('email'), ...(ctx.input.has('role') ? { roles: ctx.input.strings('role') } : {}) };
      const invited = await ctx.client.post<Invited>(users(ctx), body);
      const token = invited.invitation?.token;
      if (ctx.out.json) ctx.out.data(invited);
      else {
        ctx.out.fields([
          ['id', invited.id],
          ['email', invited.email],
          ['status', invited.status],
          ['roles', invited.roles],
          ['teams', invited.teams],
          ['invitation', invited.invitation?.id],
          ['expires', invited.invitation?.expiresAt],
          ['revision', invited.revision],
        ]);
        if (token) ctx.out.print(`\n  ${token}\n\nAccept with: gatehouse user accept ${token} --account ${ctx.account()}`);
      }
      if (token) ctx.out.warn('Send this invitation token to the user now: it will not be shown again.');
    },
  },
  {
    path: ['user', 'accept'],
    summary: 'accept an invitation with its token (no API key needed)',
    args: ['<TOKEN>'],
    examples: ['gatehouse user accept ghi_… --account acme'],
    async run(ctx) {
      const accepted = await ctx.client.post<{ id: string; status: string } & Written>(
        route`/v1/accounts/${ctx.account()}/invitations/accept`,
        { token: ctx.input.arg('TOKEN') },
        { auth: false },
      );
      written(ctx, accepted, `${accepted.id} is now ${accepted.status} in ${ctx.account()}`);
    },
  },
  {
    path: ['user', 'update'],
    summary: "make ROLE the user's only role (firectl user update --role)",
    args: ['<USER_ID>'],
    options: { role: { type: 'string', value: '<ROLE>', required: true, help: 'the role the user ends up with, alone' } },
    description:
      'As `firectl user update --role`: ROLE replaces whatever roles the user held. Gatehouse\nassigns ROLE, then unassigns every other role; if a step is refused (e.g. demoting the\nlast admin), the steps already taken are undone. To add or remove one role and keep\nthe others, use `user add-role` and `user remove-role`.',
    examples: ['gatehouse user update usr_abc123def456 --role=contributor', 'gatehouse user update usr_abc123def456 --role admin --json'],
    async run(ctx) {
      const userId = ctx.input.arg('USER_ID');
      const role = ctx.input.string('role')!;
      const member = await makeOnlyRole(ctx, userId, role);
      if (ctx.out.json) return ctx.out.data(member);
      showMember(ctx, member);
    },
  },
  {
    path: ['user', 'add-role'],
    summary: 'give a user one more role',
    args: ['<USER_ID>', '<ROLE>'],
    examples: ['gatehouse user add-role usr_abc123def456 contributor'],
    async run(ctx) {
      const member = await ctx.client.post<Member & Written>(`${user(ctx, ctx.input.arg('USER_ID'))}/roles`, { role: ctx.input.arg('ROLE') });
      if (ctx.out.json) return ctx.out.data(member);
      showMember(ctx, member);
    },
  },
  {
    path: ['user', 'remove-role'],
    summary: 'take one role from a user',
    args: ['<USER_ID>', '<ROLE>'],
    examples: ['gatehouse user remove-role usr_abc123def456 contributor'],
    async run(ctx) {
      const member = await ctx.client.delete<Member & Written>(`${user(ctx, ctx.input.arg('USER_ID'))}${route`/roles/${ctx.input.arg('ROLE')}`}`);
      if (ctx.out.json) return ctx.out.data(member);
      showMember(ctx, member);
    },
  },
  {
    path: ['user', 'delete'],
    summary: 'remove a user from the account (their checks are denied from then on)',
    args: ['<USER_ID>'],
    examples: ['gatehouse user delete usr_abc123def456'],
    async run(ctx) {
      const id = ctx.input.arg('USER_ID');
      const removed = await ctx.client.delete<Member & Written>(user(ctx, id));
      written(ctx, removed, `Removed ${id} from ${ctx.account()}`);
    },
  },
  {
    path: ['user', 'list'],
    summary: "list the account's users",
    examples: ['gatehouse user list', 'gatehouse user list --json | jq -r \'.items[] | select(.roles | index("admin")) | .email\''],
    async run(ctx) {
      const list = await ctx.client.get<List<Member>>(users(ctx));
      if (ctx.out.json) return ctx.out.data(list);
      ctx.out.table(list.items, memberColumns, 'no users');
    },
  },
  {
    path: ['user', 'get'],
    summary: 'show one user',
    args: ['<USER_ID>'],
    examples: ['gatehouse user get usr_abc123def456'],
    async run(ctx) {
      const member = await ctx.client.get<Member & Written>(user(ctx, ctx.input.arg('USER_ID')));
      if (ctx.out.json) return ctx.out.data(member);
      showMember(ctx, member);
    },
  },
];
