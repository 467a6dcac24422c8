import type { Written } from '../api';
import { route } from '../client';
import { VerbSpec } from '../verb';

interface AccountCreated extends Written {
  id: string;
  preset: string;
  admins: { id: string; email: string }[];
}

const PRESETS = ['fireworks', 'predibase', 'firefly', 'adaptive', 'custom'];

export const accountVerbs: VerbSpec[] = [
  {
    path: ['account', 'create'],
    summary: 'create an account from a preset (platform root key only)',
    args: ['<ACCOUNT_ID>'],
    options: {
      preset: { type: 'string', value: '<preset>', required: true, help: `access model to start from: ${PRESETS.join(', ')}` },
      admin: { type: 'string', value: '<email>', multiple: true, help: 'seed admin: an active member with the admin role' },
      'default-role': { type: 'string', value: '<role>', help: "role of new members, instead of the preset's" },
      'default-team': { type: 'string', value: '<team>', help: 'team new members join (created with the account)' },
    },
    description: 'Authenticates with the platform root key (--api-key or GATEHOUSE_API_KEY).\nThe account id is lower-case letters, digits and dashes.',
    examples: [
      'gatehouse account create acme --preset fireworks --admin alice@acme.test --api-key "$GATEHOUSE_ROOT_KEY"',
      'gatehouse account create lab --preset adaptive --admin ops@lab.test --default-role read_only --default-team research',
    ],
    async run(ctx) {
      const id = ctx.input.arg('ACCOUNT_ID');
      const body = {
        id,
        preset: ctx.input.string('preset'),
        admins: ctx.input.strings('admin'),
        ...(ctx.input.has('default-role') ? { defaultRole: ctx.input.string('default-role') } : {}),
        ...(ctx.input.has('default-team') ? { defaultTeam: ctx.input.string('default-team') } : {}),
      };
      const created = await ctx.client.post<AccountCreated>(route`/v1/accounts`, body);
      if (ctx.out.json) return ctx.out.data(created);
      ctx.out.print(`Created account ${created.id} from preset ${created.preset} (revision ${created.revision}).`);
      if (created.admins.length) {
        ctx.out.print();
        ctx.out.table(created.admins, [
          { header: 'ADMIN', value: (a) => a.id },
          { header: 'EMAIL', value: (a) => a.email },
        ], '');
        ctx.out.print(`Next: a key for an admin: gatehouse key create ${created.admins[0].id} --account ${created.id}`);
      }
    },
  },
];
