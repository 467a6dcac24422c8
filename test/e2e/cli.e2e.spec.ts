import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPrivately, CliResult, freePort, RunningGatehouse, runCli, startGatehouseProcess } from '../support/cli-harness';

/**
 * The `gatehouse` binary as an operator runs it, against a real Gatehouse in a child
 * process: every verb the server has, their tables and --json, exit codes and errors.
 */
const ROOT_KEY = 'cli-e2e-root-key-0123456789abcdef01234567';

let build: { dist: string; remove(): void };
let server: RunningGatehouse;
let home: string;
/** Every line the CLI printed, to prove secrets appear only where they were created. */
const printed: { args: string[]; out: string }[] = [];

async function gh(...args: string[]): Promise<CliResult> {
  return ghWithInput(undefined, ...args);
}

async function ghWithInput(stdin: string | undefined, ...args: string[]): Promise<CliResult> {
  const env = { HOME: home, GATEHOUSE_CONFIG: join(home, 'profiles.json'), GATEHOUSE_SERVER: server.base };
  const result = await runCli(build.dist, args, env, stdin);
  printed.push({ args, out: result.stdout + result.stderr });
  return result;
}

/** Runs and expects an exit code, showing the output when it differs. */
async function expectExit(code: number, ...args: string[]): Promise<CliResult> {
  const result = await gh(...args);
  if (result.code !== code) throw new Error(`gatehouse ${args.join(' ')}: exit ${result.code}, expected ${code}\n${result.stdout}${result.stderr}`);
  return result;
}

const json = <T = any>(r: CliResult): T => JSON.parse(r.stdout) as T; // eslint-disable-line @typescript-eslint/no-explicit-any
const userId = (r: CliResult) => /^id\s+(usr_[a-z2-7]+)$/m.exec(r.stdout)![1];

beforeAll(async () => {
  build = buildPrivately();
  home = mkdtempSync(join(tmpdir(), 'gatehouse-cli-home-'));
  server = await startGatehouseProcess(build.dist, { dataDir: join(home, 'data'), rootKey: ROOT_KEY });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  build?.remove();
  rmSync(home, { recursive: true, force: true });
});

describe('gatehouse CLI against a running Gatehouse', () => {
  let alice: string;
  let aliceKey: string;

  it('firectl flow: account → invite → accept → update --role → key → check → revoke → check --at-least → delete', async () => {
    const account = await expectExit(0, 'account', 'create', 'acme', '--preset', 'fireworks', '--admin', 'alice@acme.test', '--api-key', ROOT_KEY);
    expect(account.stdout).toMatch(/^Created account acme from preset fireworks \(revision \d+\)\.$/m);
    expect(account.stdout).toMatch(/^ADMIN\s+EMAIL$/m);
    alice = /^(usr_[a-z2-7]+)\s+alice@acme\.test$/m.exec(account.stdout)![1];

    const aliceKeyOut = await expectExit(0, 'key', 'create', alice, '--name', 'alice laptop', '--account', 'acme', '--api-key', ROOT_KEY);
    aliceKey = /^\s+(gh_[a-z2-7]+_\S+)$/m.exec(aliceKeyOut.stdout)![1];
    expect(aliceKeyOut.stdout).toMatch(/^name\s+alice laptop$/m);
    expect(aliceKeyOut.stderr).toContain('Store this API key now');

    // From here on Alice works through a profile, as an operator would.
    await expectExit(0, 'profile', 'set', 'acme', '--api-key', aliceKey, '--account', 'acme', '--server', server.base);
    expect(statSync(join(home, 'profiles.json')).mode & 0o777).toBe(0o600);
    const profiles = await expectExit(0, 'profile', 'list');
    expect(profiles.stdout).toMatch(/^PROFILE\s+SERVER\s+ACCOUNT\s+API KEY$/m);
    expect(profiles.stdout).toContain(`${aliceKey.split('_').slice(0, 2).join('_')}_…`);

    const invited = await expectExit(0, 'user', 'create', '--email', 'bob@acme.test', '--role', 'inference-user', '--profile', 'acme');
    const bob = userId(invited);
    expect(invited.stdout).toMatch(/^status\s+invited$/m);
    const token = /^\s+(ghi_\S+)$/m.exec(invited.stdout)![1];
    expect(invited.stdout).toContain(`Accept with: gatehouse user accept ${token} --account acme`);
    expect(invited.stderr).toContain('will not be shown again');

    const accepted = await expectExit(0, 'user', 'accept', token, '--account', 'acme');
    expect(accepted.stdout).toMatch(new RegExp(`^${bob} is now active in acme \\(revision \\d+\\)$`, 'm'));

    const updated = json(await expectExit(0, 'user', 'update', bob, '--role=contributor', '--profile', 'acme', '--json'));
    expect(updated).toMatchObject({ id: bob, status: 'active', roles: ['contributor'] });

    const shown = await expectExit(0, 'user', 'get', bob, '--profile', 'acme');
    expect(shown.stdout).toMatch(/^roles\s+contributor$/m);
    const listed = await expectExit(0, 'user', 'list', '--profile', 'acme');
    expect(listed.stdout.split('\n')[0]).toMatch(/^ID\s+EMAIL\s+STATUS\s+ROLES\s+TEAMS$/);
    expect(listed.stdout).toMatch(new RegExp(`^${bob}\\s+bob@acme\\.test\\s+active\\s+contributor\\s+-$`, 'm'));
    expect(json(await expectExit(0, 'user', 'list', '--profile', 'acme', '--json')).items).toHaveLength(2);

    const bobKey = json(await expectExit(0, 'key', 'create', bob, '--profile', 'acme', '--json'));
    expect(bobKey.key).toMatch(/^gh_[a-z2-7]+_/);

    const allowed = await expectExit(0, 'check', `key:${bobKey.key}`, 'dataset:create', 'dataset', '--profile', 'acme', '--explain');
    expect(allowed.stdout).toMatch(/^decision\s+allowed$/m);
    expect(allowed.stdout).toMatch(/^reason\s+GRANTED$/m);
    expect(allowed.stdout).toMatch(/^role\s+contributor$/m);
    expect(allowed.stdout).toMatch(/^grant\s+dataset:create$/m);

    const fromStdin = await ghWithInput(`${bobKey.key}\n`, 'check', 'key:-', 'dataset:read', 'dataset/ds-1', '--profile', 'acme');
    expect([fromStdin.code, fromStdin.stdout]).toEqual([0, 'allowed\n']);

    const revoked = json(await expectExit(0, 'key', 'revoke', bobKey.id, '--profile', 'acme', '--json'));
    expect(revoked).toMatchObject({ id: bobKey.id, status: 'revoked' });
    const denied = await expectExit(1, 'check', `key:${bobKey.key}`, 'dataset:create', 'dataset', '--at-least', revoked.revision, '--profile', 'acme');
    expect(denied.stdout).toBe('denied (KEY_REVOKED)\n');
    const deniedJson = json(await expectExit(1, 'check', `key:${bobKey.key}`, 'dataset:create', '--at-least', revoked.revision, '--profile', 'acme', '--json'));
    expect(deniedJson).toMatchObject({ allowed: false, reason: 'KEY_REVOKED', revision: expect.any(String) });

    const removed = await expectExit(0, 'user', 'delete', bob, '--profile', 'acme');
    expect(removed.stdout).toMatch(new RegExp(`^Removed ${bob} from acme \\(revision \\d+\\)$`, 'm'));
    const gone = await expectExit(4, 'user', 'get', bob, '--profile', 'acme');
    expect(gone.stderr).toContain('(USER.NOT_FOUND)');
    expect(gone.stderr).toContain('hint: `gatehouse user list`');

    // Secrets: printed by the command that created them, by no other (not even those handed one).
    const creators: [string, string][] = [
      [aliceKey, 'key create'],
      [bobKey.key, 'key create'],
      [token, 'user create'],
    ];
    for (const [secret, creator] of creators) {
      expect(printed.filter((p) => p.out.includes(secret)).map((p) => p.args.slice(0, 2).join(' '))).toEqual([creator]);
    }
  }, 60_000);

  it('user update makes one role the only one, and changes nothing when a step is refused', async () => {
    const carol = userId(await expectExit(0, 'user', 'create', '--email', 'carol@acme.test', '--role', 'user', '--role', 'inference-user', '--profile', 'acme'));
    await expectExit(0, 'user', 'add-role', carol, 'contributor', '--profile', 'acme');
    expect(json(await expectExit(0, 'user', 'get', carol, '--profile', 'acme', '--json')).roles.sort()).toEqual(['contributor', 'inference-user', 'user']);
    const removed = await expectExit(0, 'user', 'remove-role', carol, 'user', '--profile', 'acme');
    expect(removed.stdout).toMatch(/^roles\s+inference-user,contributor$/m);
    expect(json(await expectExit(0, 'user', 'update', carol, '--role', 'user', '--profile', 'acme', '--json')).roles).toEqual(['user']);

    // Demoting the last admin: the new role was assigned, the unassign refused, so it is undone.
    const refused = await expectExit(1, 'user', 'update', alice, '--role=user', '--profile', 'acme');
    expect(refused.stderr).toContain('(ADMIN.LAST_ADMIN)');
    expect(refused.stderr).toContain(`nothing changed: ${alice} keeps the roles admin`);
    expect(json(await expectExit(0, 'user', 'get', alice, '--profile', 'acme', '--json')).roles).toEqual(['admin']);
  }, 30_000);

  it('roles, catalog, defaults and teams in an account of its own (custom preset)', async () => {
    const lab = await expectExit(0, 'account', 'create', 'lab', '--preset', 'custom', '--admin', 'root@lab.test', '--api-key', ROOT_KEY, '--json');
    const admin = json(lab).admins[0].id as string;
    const key = json(await expectExit(0, 'key', 'create', admin, '--account', 'lab', '--api-key', ROOT_KEY, '--json')).key as string;
    const as = ['--account', 'lab', '--api-key', key];

    const extended = await expectExit(0, 'catalog', 'extend', '--type', 'document=read,write', '--dimension', 'regions=document', ...as);
    expect(extended.stdout).toMatch(/^RESOURCE TYPE\s+ACTIONS$/m);
    expect(extended.stdout).toMatch(/^document\s+read,write$/m);
    expect(extended.stdout).toMatch(/^regions\s+document$/m);
    expect(json(await expectExit(0, 'catalog', 'get', ...as, '--json'))).toMatchObject({ preset: 'custom', resourceTypes: { document: ['read', 'write'] }, scopeDimensions: { regions: ['document'] } });

    const created = await expectExit(0, 'role', 'create', 'editor', '--grant', 'document:read', '--grant', 'document:write@own', '--scope', 'regions=eu,us', '--description', 'Edits their documents', ...as);
    expect(created.stdout).toMatch(/^Created role editor with document:read, document:write@own \(revision \d+\)$/m);
    const role = await expectExit(0, 'role', 'get', 'editor', ...as);
    expect(role.stdout).toMatch(/^kind\s+custom$/m);
    expect(role.stdout).toMatch(/^GRANT\s+PERMISSION\s+CONDITION$/m);
    expect(role.stdout).toMatch(/^document:write@own\s+document:write\s+own$/m);
    expect(role.stdout).toMatch(/^regions\s+eu,us$/m);
    const roles = await expectExit(0, 'role', 'list', ...as);
    expect(roles.stdout.split('\n')[0]).toMatch(/^NAME\s+KIND\s+GRANTS\s+SCOPES\s+DESCRIPTION$/);
    expect(roles.stdout).toMatch(/^editor\s+custom\s+2\s+regions=eu\|us\s+Edits their documents$/m);
    await expectExit(2, 'role', 'update', 'editor', ...as);

    await expectExit(0, 'team', 'create', 'research', ...as);
    const defaults = await expectExit(0, 'defaults', 'set', '--role', 'editor', '--team', 'research', ...as);
    expect(defaults.stdout).toMatch(/^default role\s+editor$/m);
    expect(defaults.stdout).toMatch(/^default team\s+research$/m);

    // A new member gets the defaults, and checks follow the role's grants and scopes.
    const invited = await expectExit(0, 'user', 'create', '--email', 'dana@lab.test', ...as);
    const dana = userId(invited);
    await expectExit(0, 'user', 'accept', /^\s+(ghi_\S+)$/m.exec(invited.stdout)![1], '--account', 'lab');
    expect(json(await expectExit(0, 'user', 'get', dana, ...as, '--json'))).toMatchObject({ status: 'active', roles: ['editor'], teams: ['research'] });
    await expectExit(0, 'check', `user:${dana}`, 'document:read', 'document/d1', '--tag', 'regions=eu', ...as);
    const outOfScope = await expectExit(1, 'check', `user:${dana}`, 'document:read', 'document/d1', '--tag', 'regions=ap', ...as);
    expect(outOfScope.stdout).toBe('denied (OUT_OF_SCOPE)\n');
    const own = await expectExit(0, 'check', `user:${dana}`, 'document:write', 'document/d1', '--owner', dana, '--tag', 'regions=us', '--explain', ...as);
    expect(own.stdout).toMatch(/^role\s+editor$/m);
    expect(own.stdout).toMatch(/^grant\s+document:write$/m);
    expect(own.stdout).toMatch(/^condition\s+own$/m);
    await expectExit(1, 'check', `user:${dana}`, 'document:write', 'document/d1', '--owner', admin, '--tag', 'regions=us', ...as);
    // Lifting the scopes shows at the revision the update printed.
    const unscoped = json(await expectExit(0, 'role', 'update', 'editor', '--no-scopes', ...as, '--json'));
    expect(unscoped.scopes).toEqual({});
    await expectExit(0, 'check', `user:${dana}`, 'document:read', 'document/d1', '--tag', 'regions=ap', '--at-least', unscoped.revision, ...as);

    await expectExit(0, 'team', 'add-member', 'research', admin, ...as);
    const teams = await expectExit(0, 'team', 'list', ...as);
    expect(teams.stdout).toMatch(/^TEAM\s+SIZE\s+MEMBERS$/m);
    expect(teams.stdout).toMatch(/^research\s+2\s+usr_/m);

    const inUse = await expectExit(1, 'role', 'delete', 'editor', ...as);
    expect(inUse.stderr).toContain('(ROLE.IN_USE)');
    expect(inUse.stderr).toContain('hint: unassign the role from its holders first');
    expect(json(await expectExit(0, 'defaults', 'set', '--role', 'member', '--no-team', ...as, '--json'))).toMatchObject({ defaultRole: 'member', defaultTeam: null });
    await expectExit(0, 'user', 'delete', dana, ...as);
    await expectExit(0, 'team', 'remove-member', 'research', admin, ...as);
    await expectExit(0, 'team', 'delete', 'research', ...as);
    expect(json(await expectExit(0, 'team', 'list', ...as, '--json')).items).toEqual([]);
    const deleted = await expectExit(0, 'role', 'delete', 'editor', ...as);
    expect(deleted.stdout).toMatch(/^Deleted role editor \(revision \d+\)$/m);
    await expectExit(4, 'role', 'get', 'editor', ...as);
  }, 30_000);

  describe('errors and exit codes', () => {
    it('bad arguments: exit 2, the problem and the verb usage, nothing sent', async () => {
      for (const [args, message, usage] of [
        [['user', 'update', alice], '--role is required', 'gatehouse user update <USER_ID> --role <ROLE>'],
        [['user', 'update'], 'missing USER_ID', 'gatehouse user update <USER_ID> --role <ROLE>'],
        [['user', 'create', '--email'], '--email needs a value', 'gatehouse user create --email <email> [--role <role>…]'],
        [['user', 'list', '--frobnicate'], 'unknown option --frobnicate', 'gatehouse user list'],
        [['user', 'get', 'bob@acme.test'], 'USER_ID "bob@acme.test" is not a user id (usr_…)', 'gatehouse user get <USER_ID>'],
        [['role', 'create', 'x', '--grant', 'dataset:read:own'], '--grant "dataset:read:own": a permission is resource:action', 'gatehouse role create <ROLE>'],
        [['check', 'bob', 'dataset:read'], 'principal "bob": expected user:<USER_ID>, service_account:<id> or key:<api key>', 'gatehouse check <principal> <action> [<resource>]'],
        [['key', 'create', alice, '--expires', 'someday'], '--expires must be a date or time', 'gatehouse key create <USER_ID>'],
        [['defaults', 'set', '--role', 'user', '--team', 't', '--no-team'], 'give --team or --no-team, not both', 'gatehouse defaults set --role <role>'],
      ] as const) {
        const result = await expectExit(2, ...args, '--profile', 'acme');
        expect(result.stdout).toBe('');
        expect(result.stderr).toContain(`gatehouse: ${message}`);
        expect(result.stderr).toContain(`Usage:\n  ${usage}`);
      }
      const noAccount = await expectExit(2, 'user', 'list', '--api-key', aliceKey);
      expect(noAccount.stderr).toContain('no account: pass --account <id>, set GATEHOUSE_ACCOUNT, or use a profile');
      expect((await expectExit(2, 'user', 'list', '--profile', 'staging')).stderr).toContain('no profile "staging"');
    });

    it('unknown verbs: exit 2 with what exists; --help: exit 0 with usage and examples', async () => {
      const unknown = await expectExit(2, 'user', 'promote', alice);
      expect(unknown.stderr).toContain("gatehouse: unknown verb 'promote' for 'gatehouse user'");
      expect(unknown.stderr).toContain('gatehouse user update');
      expect((await expectExit(2, 'frobnicate')).stderr).toContain("gatehouse: unknown verb 'frobnicate'");
      const help = await expectExit(0, 'user', 'update', '--help');
      expect(help.stdout).toContain('Usage:\n  gatehouse user update <USER_ID> --role <ROLE>');
      expect(help.stdout).toContain('then unassigns every other role');
      expect(help.stdout).toContain('Examples:\n  gatehouse user update usr_abc123def456 --role=contributor');
      const check = await expectExit(0, 'check', '--help');
      expect(check.stdout).toContain('0 allowed, 1 denied');
      expect((await expectExit(0, '--help')).stdout).toContain('Exit codes:');
    });

    it('not authenticated or not allowed: exit 3 with the code and a hint', async () => {
      const missing = await expectExit(3, 'user', 'list', '--account', 'acme');
      expect(missing.stderr).toContain('(AUTH.MISSING_CREDENTIALS)');
      expect(missing.stderr).toContain('hint: pass --api-key, set GATEHOUSE_API_KEY');
      const invalid = await expectExit(3, 'user', 'list', '--account', 'acme', '--api-key', 'gh_aaaaaaaaaaaaaaaa_notasecret');
      expect(invalid.stderr).toContain('(AUTH.INVALID_CREDENTIALS)');
      expect(invalid.stderr).not.toContain('notasecret');

      // An inference-user may read users but not invite them.
      const invited = await expectExit(0, 'user', 'create', '--email', 'erin@acme.test', '--role', 'inference-user', '--profile', 'acme');
      const erin = userId(invited);
      await expectExit(0, 'user', 'accept', /^\s+(ghi_\S+)$/m.exec(invited.stdout)![1], '--account', 'acme');
      const erinKey = json(await expectExit(0, 'key', 'create', erin, '--profile', 'acme', '--json')).key as string;
      const forbidden = await expectExit(3, 'user', 'create', '--email', 'frank@acme.test', '--account', 'acme', '--api-key', erinKey);
      expect(forbidden.stderr).toContain('error: not allowed: user:create');
      expect(forbidden.stderr).toContain('(PERMISSION.DENIED)');
      expect(forbidden.stderr).toContain('hint: ');
      const notRoot = await expectExit(3, 'account', 'create', 'other', '--preset', 'custom', '--profile', 'acme');
      expect(notRoot.stderr).toContain('hint: only the platform root key may do this');
    });

    it('not found: exit 4; other refusals: exit 1, with the problem as JSON under --json', async () => {
      const user = await expectExit(4, 'user', 'get', 'usr_aaaaaaaaaaaaaaaa', '--profile', 'acme');
      expect(user.stderr).toContain('error: user usr_aaaaaaaaaaaaaaaa is not a member of this account (USER.NOT_FOUND)');
      const account = await expectExit(4, 'user', 'list', '--account', 'nope', '--api-key', ROOT_KEY);
      expect(account.stderr).toContain('(ACCOUNT.NOT_FOUND)');
      expect(account.stderr).toContain('hint: there is no account "nope" on this server');
      expect((await expectExit(4, 'key', 'revoke', 'aaaaaaaaaaaaaaaa', '--profile', 'acme')).stderr).toContain('(API_KEY.NOT_FOUND)');

      const again = await expectExit(1, 'user', 'create', '--email', 'alice@acme.test', '--profile', 'acme', '--json');
      expect(json(again)).toMatchObject({ status: 409, code: 'USER.ALREADY_MEMBER' });
      expect(again.stderr).toContain('(USER.ALREADY_MEMBER)');
    });

    it('a server that is down: exit 5, "cannot reach Gatehouse at <url>: is it running?"', async () => {
      const closed = `http://127.0.0.1:${await freePort()}`;
      const down = await expectExit(5, 'user', 'list', '--profile', 'acme', '--server', closed);
      expect(down.stderr).toBe(`error: cannot reach Gatehouse at ${closed}: is it running?\nhint: check --server (or GATEHOUSE_SERVER, or the profile)\n`);
    });
  });

  describe('identity lifecycle verbs', () => {
    const acme = ['--profile', 'acme'];

    it('account list, user deactivate / reactivate and user logins', async () => {
      const mine = await expectExit(0, 'account', 'list', ...acme);
      expect(mine.stdout).toMatch(/^ACCOUNT\s+STATUS\s+ROLES$/m);
      expect(mine.stdout).toMatch(/^acme\s+active\s+admin$/m);

      const invited = await expectExit(0, 'user', 'create', '--email', 'gina@acme.test', '--role', 'contributor', ...acme);
      const gina = userId(invited);
      await expectExit(0, 'user', 'accept', /^\s+(ghi_\S+)$/m.exec(invited.stdout)![1], '--account', 'acme');
      const ginaKey = json(await expectExit(0, 'key', 'create', gina, ...acme, '--json')).key as string;

      const off = json(await expectExit(0, 'user', 'deactivate', gina, ...acme, '--json'));
      expect(off).toMatchObject({ id: gina, status: 'deactivated' });
      const denied = await expectExit(1, 'check', `key:${ginaKey}`, 'dataset:read', '--at-least', off.revision, '--explain', ...acme);
      expect(denied.stdout).toMatch(/^reason\s+PRINCIPAL_DEACTIVATED$/m);
      const on = await expectExit(0, 'user', 'reactivate', gina, ...acme);
      expect(on.stdout).toMatch(/^status\s+active$/m);
      const revision = /^revision\s+(\d+)$/m.exec(on.stdout)![1];
      await expectExit(0, 'check', `key:${ginaKey}`, 'dataset:read', '--at-least', revision, ...acme);

      // Logins are recorded by an identity provider's integration (or the user), not by the CLI.
      for (const method of ['password', 'sso', 'api_key']) {
        const res = await fetch(`${server.base}/v1/accounts/acme/users/${gina}/logins`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ginaKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ method, sourceAddress: '10.0.0.7', userAgent: 'curl/8' }),
        });
        expect(res.status).toBe(201);
      }
      const first = await expectExit(0, 'user', 'logins', gina, '--limit', '2', ...acme);
      expect(first.stdout).toMatch(/^TIME\s+METHOD\s+SOURCE\s+USER AGENT$/m);
      expect(first.stdout).toMatch(/^\S+\s+api_key\s+10\.0\.0\.7\s+curl\/8$/m);
      const cursor = /--cursor (\S+)$/m.exec(first.stdout)![1];
      const second = json(await expectExit(0, 'user', 'logins', gina, '--limit', '2', '--cursor', cursor, ...acme, '--json'));
      expect(second).toMatchObject({ items: [{ method: 'password' }], nextCursor: null });
      await expectExit(2, 'user', 'logins', gina, '--limit', 'lots', ...acme);
    });

    it('service accounts: create, list, roles, a key, checks, delete', async () => {
      const created = json(await expectExit(0, 'service-account', 'create', 'ci-deployer', '--role', 'inference-user', ...acme, '--json'));
      expect(created).toMatchObject({ type: 'service_account', name: 'ci-deployer', roles: ['inference-user'] });
      const sa = created.id as string;
      const list = await expectExit(0, 'service-account', 'list', ...acme);
      expect(list.stdout).toMatch(/^ID\s+NAME\s+STATUS\s+ROLES$/m);
      expect(list.stdout).toMatch(new RegExp(`^${sa}\\s+ci-deployer\\s+active\\s+inference-user$`, 'm'));
      const added = await expectExit(0, 'service-account', 'add-role', sa, 'contributor', ...acme);
      expect(added.stdout).toMatch(/^roles\s+inference-user,contributor$/m);
      await expectExit(0, 'service-account', 'remove-role', sa, 'inference-user', ...acme);

      const key = await expectExit(0, 'service-account', 'key', 'create', sa, '--name', 'ci', ...acme);
      expect(key.stdout).toMatch(new RegExp(`^owner\\s+service_account:${sa}$`, 'm'));
      expect(key.stderr).toContain('Store this API key now');
      const saKey = /^\s+(gh_[a-z2-7]+_\S+)$/m.exec(key.stdout)![1];
      await expectExit(0, 'check', `key:${saKey}`, 'dataset:create', 'dataset', ...acme);
      await expectExit(0, 'check', `service_account:${sa}`, 'dataset:create', 'dataset', ...acme);
      const keys = await expectExit(0, 'key', 'list', '--service-account', sa, ...acme);
      expect(keys.stdout).toMatch(/^ID\s+OWNER\s+STATUS\s+RESTRICTED\s+EXPIRES\s+LAST USED$/m);
      expect(keys.stdout).toContain(`service_account:${sa}`);
      expect(keys.stdout).not.toContain(saKey);

      const deleted = json(await expectExit(0, 'service-account', 'delete', sa, ...acme, '--json'));
      await expectExit(1, 'check', `key:${saKey}`, 'dataset:create', 'dataset', '--at-least', deleted.revision, ...acme);
      expect((await expectExit(2, 'service-account', 'delete', 'ci-deployer', ...acme)).stderr).toContain('is not a service account id (sa_…)');
    });

    it('key list and introspect', async () => {
      const all = json(await expectExit(0, 'key', 'list', ...acme, '--json'));
      expect(all.items.length).toBeGreaterThanOrEqual(3);
      const alices = json(await expectExit(0, 'key', 'list', '--user', alice, ...acme, '--json'));
      expect(alices.items.map((k: { owner: { id: string } }) => k.owner.id)).toEqual(alices.items.map(() => alice));

      const active = await expectExit(0, 'introspect', aliceKey, ...acme);
      expect(active.stdout).toMatch(/^active\s+yes$/m);
      expect(active.stdout).toMatch(new RegExp(`^principal\\s+user:${alice}$`, 'm'));
      expect(active.stdout).not.toContain(aliceKey);
      const fromStdin = json(await ghWithInput(`${aliceKey}\n`, 'introspect', '-', ...acme, '--json'));
      expect(fromStdin).toMatchObject({ active: true, account: 'acme', roles: ['admin'] });
      const unknown = await expectExit(1, 'introspect', 'gh_aaaaaaaaaaaaaaaa_nothing', ...acme);
      expect(unknown.stdout).toMatch(/^active\s+no$/m);
    });

    it('invite links: create, join, list, revoke', async () => {
      const created = await expectExit(0, 'invite-link', 'create', '--role', 'inference-user', '--max-uses', '1', '--expires', '2030-01-01', ...acme);
      expect(created.stdout).toMatch(/^roles\s+inference-user$/m);
      expect(created.stdout).toMatch(/^expires\s+2030-01-01T00:00:00.000Z$/m);
      expect(created.stderr).toContain('will not be shown again');
      const token = /^Join with: gatehouse invite-link join (\S+) --email <email> --account acme$/m.exec(created.stdout)![1];
      const linkId = /^id\s+(\S+)$/m.exec(created.stdout)![1];

      const joined = await expectExit(0, 'invite-link', 'join', token, '--email', 'hal@acme.test', '--account', 'acme');
      expect(joined.stdout).toMatch(/^email\s+hal@acme\.test$/m);
      expect(joined.stdout).toMatch(/^roles\s+inference-user$/m);
      const list = await expectExit(0, 'invite-link', 'list', ...acme);
      expect(list.stdout).toMatch(/^ID\s+ROLES\s+USES\s+EXPIRES\s+STATUS$/m);
      expect(list.stdout).toMatch(new RegExp(`^${linkId}\\s+inference-user\\s+1/1\\s+\\S+\\s+used up$`, 'm'));
      expect(list.stdout).not.toContain(token);
      await expectExit(1, 'invite-link', 'join', token, '--email', 'ivy@acme.test', '--account', 'acme');
      const revoked = await expectExit(0, 'invite-link', 'revoke', linkId, ...acme);
      expect(revoked.stdout).toMatch(new RegExp(`^Revoked invite link ${linkId} \\(revision \\d+\\)$`, 'm'));
    });

    it('account delete: --yes required, then every check in it is denied', async () => {
      const gone = json(await expectExit(0, 'account', 'create', 'gone', '--preset', 'fireworks', '--admin', 'x@gone.test', '--api-key', ROOT_KEY, '--json'));
      await expectExit(2, 'account', 'delete', 'gone', '--api-key', ROOT_KEY);
      const deleted = json(await expectExit(0, 'account', 'delete', 'gone', '--yes', '--api-key', ROOT_KEY, '--json'));
      expect(deleted).toMatchObject({ id: 'gone', status: 'deleted' });
      const check = await expectExit(1, 'check', `user:${gone.admins[0].id}`, 'dataset:read', '--account', 'gone', '--api-key', ROOT_KEY, '--at-least', deleted.revision);
      expect(check.stdout).toBe('denied (ACCOUNT_DELETED)\n');
    });
  });
});
