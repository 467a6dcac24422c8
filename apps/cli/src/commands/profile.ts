import { maskKey, profilesPath, readProfiles, writeProfiles } from '../config';
import { EXIT, UsageError } from '../errors';
import { VerbSpec } from '../verb';

export const profileVerbs: VerbSpec[] = [
  {
    path: ['profile', 'set'],
    summary: 'save --server, --api-key and --account under a name',
    args: ['<NAME>'],
    description:
      'Merges the given values into the profile (others are kept). The file\n(~/.config/gatehouse/profiles.json, or GATEHOUSE_CONFIG) is written readable by you only.\nUse a profile with --profile <name> or GATEHOUSE_PROFILE; one named "default" is used\nwhen nothing else names a server, key or account.',
    ownsProfiles: true,
    examples: [
      'gatehouse profile set prod --server https://gatehouse.example.com --api-key "$KEY" --account acme',
      'gatehouse --profile prod user list',
    ],
    async run(ctx) {
      const name = ctx.input.arg('NAME');
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) throw new UsageError(`profile name "${name}": use letters, digits, ".", "_" and "-"`);
      const { server, apiKey, account } = ctx.flags;
      if (server === undefined && apiKey === undefined && account === undefined) throw new UsageError('nothing to save: give --server, --api-key or --account');
      const path = profilesPath(ctx.env);
      const profiles = readProfiles(path);
      const profile = { ...(profiles[name] ?? {}) };
      if (server !== undefined) profile.server = ctx.settings.server;
      if (apiKey !== undefined) profile.apiKey = apiKey;
      if (account !== undefined) profile.account = account;
      writeProfiles(path, { ...profiles, [name]: profile });
      if (ctx.out.json) return ctx.out.data({ name, server: profile.server, account: profile.account, apiKey: maskKey(profile.apiKey) });
      ctx.out.print(`Saved profile ${name} in ${path}`);
    },
  },
  {
    path: ['profile', 'list'],
    summary: 'list saved profiles (API keys shown by id only)',
    ownsProfiles: true,
    examples: ['gatehouse profile list'],
    async run(ctx) {
      const path = profilesPath(ctx.env);
      const rows = Object.entries(readProfiles(path)).map(([name, p]) => ({ name, server: p.server, account: p.account, apiKey: maskKey(p.apiKey) }));
      if (ctx.out.json) return ctx.out.data({ items: rows });
      ctx.out.table(rows, [
        { header: 'PROFILE', value: (r) => r.name },
        { header: 'SERVER', value: (r) => r.server },
        { header: 'ACCOUNT', value: (r) => r.account },
        { header: 'API KEY', value: (r) => r.apiKey },
      ], `no profiles in ${path}`);
    },
  },
  {
    path: ['profile', 'delete'],
    summary: 'forget a saved profile',
    args: ['<NAME>'],
    ownsProfiles: true,
    examples: ['gatehouse profile delete prod'],
    async run(ctx) {
      const name = ctx.input.arg('NAME');
      const path = profilesPath(ctx.env);
      const profiles = readProfiles(path);
      if (!Object.prototype.hasOwnProperty.call(profiles, name)) {
        ctx.out.warn(`error: no profile "${name}" in ${path}`);
        return EXIT.notFound;
      }
      delete profiles[name];
      writeProfiles(path, profiles);
      ctx.out.print(`Deleted profile ${name}`);
    },
  },
];
