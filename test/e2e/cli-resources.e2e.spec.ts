import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPrivately, CliResult, freePort, httpSetup, RunningGatehouse, runCli, startGatehouseProcess } from '../support/cli-harness';

/**
 * `gatehouse resource …` and `gatehouse lookup …` (issue 5) as an operator runs them: the
 * built binary against a real Gatehouse in a child process, in a Fireworks account where
 * Alice is admin, Bob a contributor (updates only what he owns), Carol an inference-user
 * (reads everything, writes nothing), and a service account is an inference-user too.
 */
const ROOT_KEY = 'cli-resources-e2e-root-key-0123456789abcdef';
// Each test runs the binary tens of times (about 0.2 s each, more on a busy machine).
jest.setTimeout(120_000);

let build: { dist: string; remove(): void };
let server: RunningGatehouse;
let home: string;

function gh(...args: string[]): Promise<CliResult> {
  return runCli(build.dist, args, { HOME: home, GATEHOUSE_CONFIG: join(home, 'profiles.json'), GATEHOUSE_SERVER: server.base });
}

/** Runs and expects an exit code, showing the output when it differs. */
async function expectExit(code: number, ...args: string[]): Promise<CliResult> {
  const result = await gh(...args);
  if (result.code !== code) throw new Error(`gatehouse ${args.join(' ')}: exit ${result.code}, expected ${code}\n${result.stdout}${result.stderr}`);
  return result;
}

const json = <T = any>(r: CliResult): T => JSON.parse(r.stdout) as T; // eslint-disable-line @typescript-eslint/no-explicit-any
const jsonLines = <T = any>(r: CliResult): T[] => r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as T); // eslint-disable-line @typescript-eslint/no-explicit-any
const lines = (r: CliResult) => r.stdout.split('\n').filter((l) => l !== '');

/** Setup goes straight to the HTTP API: the CLI is what the tests exercise. */
const http = (method: string, path: string, key: string | undefined, body?: unknown) => httpSetup(server, method, path, key, body);

const A = '/v1/accounts/acme';
const acct = {} as { alice: string; aliceKey: string; bob: string; bobKey: string; carol: string; sa: string };
/** Alice's connection, as flags. */
let asAlice: string[];
let asBob: string[];

async function member(email: string, role: string): Promise<{ id: string; key: string }> {
  const invited = await http('POST', `${A}/users`, ROOT_KEY, { email, roles: [role] });
  await http('POST', `${A}/invitations/accept`, undefined, { token: invited.invitation.token });
  return { id: invited.id, key: (await http('POST', `${A}/users/${invited.id}/api-keys`, ROOT_KEY, {})).key };
}

beforeAll(async () => {
  build = buildPrivately();
  home = mkdtempSync(join(tmpdir(), 'gatehouse-cli-resources-'));
  server = await startGatehouseProcess(build.dist, { dataDir: join(home, 'data'), rootKey: ROOT_KEY });

  const account = await http('POST', '/v1/accounts', ROOT_KEY, { id: 'acme', preset: 'fireworks', admins: ['alice@acme.test'] });
  acct.alice = account.admins[0].id;
  acct.aliceKey = (await http('POST', `${A}/users/${acct.alice}/api-keys`, ROOT_KEY, {})).key;
  const bob = await member('bob@acme.test', 'contributor');
  [acct.bob, acct.bobKey] = [bob.id, bob.key];
  acct.carol = (await member('carol@acme.test', 'inference-user')).id;
  acct.sa = (await http('POST', `${A}/service-accounts`, ROOT_KEY, { name: 'ci-bot', roles: ['inference-user'] })).id;
  await http('POST', `${A}/teams`, ROOT_KEY, { name: 'research' });
  asAlice = ['--account', 'acme', '--api-key', acct.aliceKey];
  asBob = ['--account', 'acme', '--api-key', acct.bobKey];
}, 180_000);

afterAll(async () => {
  await server?.stop();
  build?.remove();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('gatehouse resource', () => {
  it('put registers (then replaces), get shows, transfer moves, delete removes: tables and --json', async () => {
    const registered = await expectExit(0, 'resource', 'put', 'deployment', 'dep-1', '--owner', acct.bob, '--tag', 'env=prod', '--tag', 'region=us,eu', ...asBob);
    expect(registered.stdout).toMatch(/^Registered deployment\/dep-1 \(revision \d+\)$/m);
    expect(registered.stdout).toMatch(/^resource\s+deployment\/dep-1$/m);
    expect(registered.stdout).toMatch(new RegExp(`^owner\\s+${acct.bob}$`, 'm'));
    expect(registered.stdout).toMatch(/^team\s+-$/m);
    expect(registered.stdout).toMatch(/^tags\s+env=prod,region=eu\|us$/m);
    expect(registered.stderr).toBe('');

    // PUT replaces: what is not given is removed (the region tag); the answer says "Updated".
    const updated = await expectExit(0, 'resource', 'put', 'deployment', 'dep-1', '--owner', acct.bob, '--team', 'research', '--tag', 'env=prod,dev', ...asBob);
    expect(updated.stdout).toMatch(/^Updated deployment\/dep-1 \(revision \d+\)$/m);
    const revision = /\(revision (\d+)\)/.exec(updated.stdout)![1];

    const shown = await expectExit(0, 'resource', 'get', 'deployment', 'dep-1', ...asAlice);
    expect(shown.stdout).toBe(
      [`resource  deployment/dep-1`, `owner     ${acct.bob}`, 'team      research', 'tags      env=dev|prod', `revision  ${revision}`, ''].join('\n'),
    );
    // TYPE/ID in one word, as `check` names resources, and --json: the server's answer.
    const got = json(await expectExit(0, 'resource', 'get', 'deployment/dep-1', ...asAlice, '--json'));
    expect(got).toEqual({ type: 'deployment', id: 'dep-1', owner: acct.bob, team: 'research', tags: { env: ['dev', 'prod'] }, revision });

    const created = json(await expectExit(0, 'resource', 'put', 'model', 'm-1', '--owner', acct.alice, ...asAlice, '--json'));
    expect(created).toEqual({ type: 'model', id: 'm-1', owner: acct.alice, tags: {}, revision: expect.stringMatching(/^\d+$/) });

    // Lookups see the owner: Bob may update his deployment, not Alice's model.
    const bobsDeployments = json(await expectExit(0, 'lookup', 'resources', `user:${acct.bob}`, 'deployment:update', '--at-least', revision, ...asAlice, '--json'));
    expect(bobsDeployments.resources.map((r: { id: string }) => r.id)).toEqual(['dep-1']);
    const bobsModels = json(await expectExit(0, 'lookup', 'resources', `user:${acct.bob}`, 'model:update', '--at-least', created.revision, ...asAlice, '--json'));
    expect(bobsModels.resources).toEqual([]);

    // An admin transfers; the team follows --team / --no-team, or stays.
    const moved = await expectExit(0, 'resource', 'transfer', 'deployment', 'dep-1', '--owner', acct.sa, ...asAlice);
    expect(moved.stdout).toMatch(new RegExp(`^Transferred deployment/dep-1 to ${acct.sa} \\(revision \\d+\\)$`, 'm'));
    expect(moved.stdout).toMatch(new RegExp(`^owner\\s+${acct.sa}$`, 'm'));
    expect(moved.stdout).toMatch(/^team\s+research$/m);
    const noTeam = json(await expectExit(0, 'resource', 'transfer', 'deployment/dep-1', '--owner', acct.bob, '--no-team', ...asAlice, '--json'));
    expect(noTeam).toMatchObject({ type: 'deployment', id: 'dep-1', owner: acct.bob, tags: { env: ['dev', 'prod'] } });
    expect(noTeam.team).toBeUndefined();
    const toTeam = json(await expectExit(0, 'resource', 'transfer', 'model', 'm-1', '--owner', acct.bob, '--team', 'research', ...asAlice, '--json'));
    expect(toTeam).toMatchObject({ owner: acct.bob, team: 'research' });

    // Bob owns m-1 now, so he may delete it; afterwards it is gone (exit 4).
    const deleted = await expectExit(0, 'resource', 'delete', 'model', 'm-1', ...asBob);
    expect(deleted.stdout).toMatch(/^Deleted model\/m-1 \(revision \d+\)$/m);
    await expectExit(4, 'resource', 'get', 'model', 'm-1', ...asBob);
    json(await expectExit(0, 'resource', 'put', 'model', 'm-1', '--owner', acct.alice, ...asAlice, '--json'));
    expect(json(await expectExit(0, 'resource', 'delete', 'model/m-1', ...asAlice, '--json'))).toEqual({ type: 'model', id: 'm-1', deleted: true, revision: expect.stringMatching(/^\d+$/) });
  });

  it('refusals: not allowed exits 3, an unknown type or owner says what to do', async () => {
    await expectExit(0, 'resource', 'put', 'dataset', 'ds-alice', '--owner', acct.alice, ...asAlice);
    // A contributor may update only what it owns, and may not give its own away.
    const notOwner = await expectExit(3, 'resource', 'put', 'dataset', 'ds-alice', '--owner', acct.bob, ...asBob);
    expect(notOwner.stderr).toContain('error: not allowed: dataset:update (NOT_OWNER) (PERMISSION.DENIED)');
    expect(notOwner.stderr).toContain('hint: ');
    await expectExit(3, 'resource', 'transfer', 'dataset', 'ds-alice', '--owner', acct.bob, ...asBob);
    await expectExit(3, 'resource', 'delete', 'dataset', 'ds-alice', ...asBob);

    const unknownType = await expectExit(1, 'resource', 'put', 'notebook', 'nb-1', ...asAlice);
    expect(unknownType.stderr).toContain('(RESOURCE.UNKNOWN_TYPE)');
    expect(unknownType.stderr).toContain('hint: `gatehouse catalog get` lists what the account knows');
    const stranger = await expectExit(4, 'resource', 'put', 'dataset', 'ds-2', '--owner', 'usr_aaaaaaaaaaaaaaaa', ...asAlice);
    expect(stranger.stderr).toContain('(RESOURCE.OWNER_NOT_FOUND)');
    expect(stranger.stderr).toContain('hint: the owner must be a member of the account');
    const noTeam = await expectExit(4, 'resource', 'put', 'dataset', 'ds-2', '--team', 'no-such-team', ...asAlice);
    expect(noTeam.stderr).toContain('(TEAM.NOT_FOUND)');
    // Under --json the problem is on stdout too.
    expect(json(await expectExit(1, 'resource', 'put', 'notebook', 'nb-1', ...asAlice, '--json'))).toMatchObject({ status: 400, code: 'RESOURCE.UNKNOWN_TYPE' });
  });

  it('a resource that is not registered: exit 4 with a hint, and the problem under --json', async () => {
    for (const args of [
      ['resource', 'get', 'deployment', 'never'],
      ['resource', 'delete', 'deployment', 'never'],
      ['resource', 'transfer', 'deployment', 'never', '--owner', acct.bob],
    ]) {
      const missing = await expectExit(4, ...args, ...asAlice);
      expect(missing.stdout).toBe('');
      expect(missing.stderr).toContain('error: resource deployment/never is not registered in this account (RESOURCE.NOT_FOUND)');
      expect(missing.stderr).toContain('hint: `gatehouse lookup resources user:<USER_ID> <TYPE>:read` lists the registered resources');
    }
    expect(json(await expectExit(4, 'resource', 'get', 'deployment', 'never', ...asAlice, '--json'))).toMatchObject({ status: 404, code: 'RESOURCE.NOT_FOUND' });
    const account = await expectExit(4, 'resource', 'put', 'deployment', 'dep-1', '--account', 'nope', '--api-key', ROOT_KEY);
    expect(account.stderr).toContain('(ACCOUNT.NOT_FOUND)');
  });
});

describe('gatehouse lookup', () => {
  /** The revision of the last write of the fixture: lookups pass it as --at-least. */
  let last: string;

  beforeAll(async () => {
    // Twelve deployments: every third one Bob's, the rest Alice's.
    for (let i = 0; i < 12; i++) {
      const owner = i % 3 === 0 ? acct.bob : acct.alice;
      last = (await http('PUT', `${A}/resources/deployment/lk-${String(i).padStart(2, '0')}`, acct.aliceKey, { owner, tags: { env: [i % 2 ? 'dev' : 'prod'] } })).revision;
    }
  });

  it('resources: what the member may do, as a table, a page at a time, or --all', async () => {
    const bobs = await expectExit(0, 'lookup', 'resources', `user:${acct.bob}`, 'deployment:update', '--at-least', last, ...asAlice);
    expect(lines(bobs)[0]).toMatch(/^RESOURCE\s+OWNER\s+TEAM\s+TAGS$/);
    const ids = lines(bobs).slice(1).map((l) => l.split(/\s+/)[0]);
    expect(ids).toEqual(['deployment/dep-1', 'deployment/lk-00', 'deployment/lk-03', 'deployment/lk-06', 'deployment/lk-09']);
    expect(bobs.stdout).toMatch(new RegExp(`^deployment/lk-03\\s+${acct.bob}\\s+-\\s+env=dev$`, 'm'));
    expect(bobs.stdout).not.toContain('More:');

    // One page, and the command for the next one, which the operator may paste as printed.
    const first = await expectExit(0, 'lookup', 'resources', `user:${acct.carol}`, 'deployment:read', '--limit', '5', ...asAlice);
    expect(lines(first)).toHaveLength(1 + 5 + 1);
    const more = /^More: gatehouse (lookup resources \S+ deployment:read --limit 5 --cursor (\S+))   \(or --all for every page\)$/m.exec(first.stdout)!;
    expect(more).not.toBeNull();
    const seen = lines(first).slice(1, 6).map((l) => l.split(/\s+/)[0]);
    let next: string[] | null = more[1].split(' ');
    while (next) {
      const page = await expectExit(0, ...next, ...asAlice);
      seen.push(...lines(page).filter((l) => l.startsWith('deployment/')).map((l) => l.split(/\s+/)[0]));
      const again = /^More: gatehouse (.+?)   \(or --all/m.exec(page.stdout);
      next = again ? again[1].split(' ') : null;
    }
    expect(seen).toHaveLength(13);
    expect(new Set(seen).size).toBe(13);

    // --all follows the cursors: a table, or one JSON object per line.
    const all = await expectExit(0, 'lookup', 'resources', `user:${acct.carol}`, 'deployment:read', '--limit', '4', '--all', ...asAlice);
    expect(lines(all).slice(1).map((l) => l.split(/\s+/)[0])).toEqual(seen);
    expect(all.stdout).not.toContain('More:');
    const stream = jsonLines(await expectExit(0, 'lookup', 'resources', `service_account:${acct.sa}`, 'deployment:read', '--limit', '5', '--all', '--json', ...asAlice));
    expect(stream.map((r) => `${r.type}/${r.id}`)).toEqual(seen);
    expect(stream[0]).toMatchObject({ type: 'deployment', id: 'dep-1', owner: acct.bob, tags: { env: ['dev', 'prod'] } });

    // One page under --json: the server's answer whole, cursor and revision included.
    const page = json(await expectExit(0, 'lookup', 'resources', `user:${acct.carol}`, 'deployment:read', '--limit', '2', '--json', ...asAlice));
    expect(page).toMatchObject({ resources: [{ id: 'dep-1' }, { id: 'lk-00' }], nextCursor: expect.any(String), revision: expect.stringMatching(/^\d+$/) });
    const rest = json(await expectExit(0, 'lookup', 'resources', `user:${acct.carol}`, 'deployment:read', '--limit', '1000', '--cursor', page.nextCursor, '--json', ...asAlice));
    expect(rest.resources).toHaveLength(11);
    expect(rest.nextCursor).toBeNull();

    // Nothing allowed: a sentence, exit 0.
    const none = await expectExit(0, 'lookup', 'resources', `user:${acct.carol}`, 'deployment:update', ...asAlice);
    expect(none.stdout).toBe(`no deployment that user:${acct.carol} may update\n`);
    expect(json(await expectExit(0, 'lookup', 'resources', `user:${acct.carol}`, 'deployment:update', '--json', ...asAlice))).toMatchObject({ resources: [], nextCursor: null });
  });

  it('subjects: who may act on a resource, with the role and grant that allow it', async () => {
    const updaters = await expectExit(0, 'lookup', 'subjects', 'deployment/lk-03', 'deployment:update', '--at-least', last, ...asAlice);
    expect(lines(updaters)[0]).toMatch(/^PRINCIPAL\s+ROLE\s+GRANT\s+CONDITION$/);
    expect(updaters.stdout).toMatch(new RegExp(`^user:${acct.bob}\\s+contributor\\s+deployment:update\\s+own$`, 'm'));
    expect(updaters.stdout).toMatch(new RegExp(`^user:${acct.alice}\\s+admin\\s+\\*\\s+any$`, 'm'));
    expect(lines(updaters)).toHaveLength(3);

    const readers = jsonLines(await expectExit(0, 'lookup', 'subjects', 'deployment/lk-03', 'deployment:read', '--limit', '1', '--all', '--json', ...asAlice));
    expect(readers.map((s) => `${s.type}:${s.id}`).sort()).toEqual([`user:${acct.alice}`, `user:${acct.bob}`, `user:${acct.carol}`, `service_account:${acct.sa}`].sort());
    expect(readers.find((s) => s.id === acct.carol)).toEqual({ type: 'user', id: acct.carol, matched: { role: 'inference-user', grant: 'deployment:read', condition: 'any' } });

    const first = await expectExit(0, 'lookup', 'subjects', 'deployment/lk-03', 'deployment:read', '--limit', '2', ...asAlice);
    expect(lines(first)).toHaveLength(1 + 2 + 1);
    expect(first.stdout).toMatch(/^More: gatehouse lookup subjects deployment\/lk-03 deployment:read --limit 2 --cursor \S+   \(or --all for every page\)$/m);
    const page = json(await expectExit(0, 'lookup', 'subjects', 'deployment/lk-03', 'deployment:read', '--limit', '2', '--json', ...asAlice));
    expect(page).toMatchObject({ subjects: [{}, {}], nextCursor: expect.any(String), revision: expect.stringMatching(/^\d+$/) });

    // A resource that is not registered has no owner: only `any` grants apply.
    const unregistered = await expectExit(0, 'lookup', 'subjects', 'deployment/never', 'deployment:delete', ...asAlice);
    expect(lines(unregistered).slice(1)).toEqual([expect.stringMatching(new RegExp(`^user:${acct.alice}\\s+admin`))]);
  });

  it('a cursor from another lookup is refused (exit 1) with what to do', async () => {
    const page = json(await expectExit(0, 'lookup', 'resources', `user:${acct.carol}`, 'deployment:read', '--limit', '1', '--json', ...asAlice));
    const misuse = await expectExit(1, 'lookup', 'resources', `user:${acct.alice}`, 'deployment:read', '--cursor', page.nextCursor, ...asAlice);
    expect(misuse.stderr).toContain('(LOOKUP.CURSOR_MISMATCH)');
    expect(misuse.stderr).toContain('hint: pass --cursor exactly as the previous page printed it');
    const garbage = await expectExit(1, 'lookup', 'subjects', 'deployment/dep-1', 'deployment:read', '--cursor', 'not-a-cursor', ...asAlice);
    expect(garbage.stderr).toContain('(LOOKUP.INVALID_CURSOR)');
  });
});

describe('arguments, help and a server that is down', () => {
  /** A port nobody listens on: a request would exit 5, so exit 2 proves none was sent. */
  let closed: string;
  beforeAll(async () => {
    closed = `http://127.0.0.1:${await freePort()}`;
  });

  it('bad arguments: exit 2 with the problem and the usage, before any request', async () => {
    const bob = acct.bob;
    for (const [args, message, usage] of [
      [['resource', 'put', 'deployment'], 'missing ID', 'gatehouse resource put <TYPE> <ID> [--owner <USER_ID|SA_ID>] [--team <team>] [--tag <dimension=v1,v2>…]'],
      [['resource', 'get'], 'missing TYPE and ID', 'gatehouse resource get <TYPE> <ID>'],
      [['resource', 'delete', 'deployment', 'a', 'b'], 'unexpected argument "b"', 'gatehouse resource delete <TYPE> <ID>'],
      [['resource', 'put', 'deployment', 'd1', '--tag', 'env'], '--tag "env": expected dimension=value (env=prod), or several values: env=prod,dev', 'gatehouse resource put <TYPE> <ID>'],
      [['resource', 'put', 'deployment', 'd1', '--tag', 'env='], '--tag "env=": expected dimension=value', 'gatehouse resource put <TYPE> <ID>'],
      [['resource', 'put', 'deployment', 'd1', '--tag', 'Env=prod'], '--tag "Env=prod": the dimension before = must be lower case', 'gatehouse resource put <TYPE> <ID>'],
      [['resource', 'put', 'deployment', 'd1', '--tag'], '--tag needs a value', 'gatehouse resource put <TYPE> <ID>'],
      [['resource', 'put', 'deployment', 'd1', '--owner', 'bob@acme.test'], '--owner "bob@acme.test" is not a user id (usr_…) or service account id (sa_…)', 'gatehouse resource put <TYPE> <ID>'],
      [['resource', 'put', 'Deployment', 'd1'], 'TYPE "Deployment" is not a resource type', 'gatehouse resource put <TYPE> <ID>'],
      [['resource', 'get', 'deployment', 'has space'], 'ID "has space" is not a resource id', 'gatehouse resource get <TYPE> <ID>'],
      [['resource', 'transfer', 'deployment', 'd1'], '--owner is required', 'gatehouse resource transfer <TYPE> <ID> --owner <USER_ID|SA_ID> [--team <team>] [--no-team]'],
      [['resource', 'transfer', 'deployment', 'd1', '--owner', bob, '--team', 'research', '--no-team'], 'give --team or --no-team, not both', 'gatehouse resource transfer <TYPE> <ID>'],
      [['lookup', 'resources', `user:${bob}`], 'missing action', 'gatehouse lookup resources <principal> <action> [--limit <n>] [--cursor <cursor>] [--all] [--at-least <revision>]'],
      [['lookup', 'resources', 'bob', 'deployment:read'], 'principal "bob": expected user:<USER_ID>, service_account:<id> or key:<api key>', 'gatehouse lookup resources <principal> <action>'],
      [['lookup', 'resources', 'user:bob@acme.test', 'deployment:read'], 'principal "user:bob@acme.test": the id "bob@acme.test" is not a user id (usr_…)', 'gatehouse lookup resources <principal> <action>'],
      [['lookup', 'resources', 'key:gh_abc_def', 'deployment:read'], 'principal "key:gh_abc_def": a lookup names a member: pass user:<USER_ID> or service_account:<SA_ID>', 'gatehouse lookup resources <principal> <action>'],
      [['lookup', 'resources', `user:${bob}`, 'deployment'], 'action "deployment": expected resource:action without wildcards, e.g. deployment:read', 'gatehouse lookup resources <principal> <action>'],
      [['lookup', 'resources', `user:${bob}`, 'deployment:*'], 'action "deployment:*": expected resource:action without wildcards', 'gatehouse lookup resources <principal> <action>'],
      [['lookup', 'resources', `user:${bob}`, 'deployment:read', '--limit', '0'], '--limit must be a positive whole number, not "0"', 'gatehouse lookup resources <principal> <action>'],
      [['lookup', 'resources', `user:${bob}`, 'deployment:read', '--limit', '1001'], '--limit must be at most 1000, not 1001', 'gatehouse lookup resources <principal> <action>'],
      [['lookup', 'resources', `user:${bob}`, 'deployment:read', '--at-least', 'latest'], '--at-least must be a revision', 'gatehouse lookup resources <principal> <action>'],
      [['lookup', 'subjects', 'dep-1', 'deployment:read'], 'resource "dep-1": expected type/id, e.g. deployment/dep-1', 'gatehouse lookup subjects <resource> <action>'],
      [['lookup', 'subjects', 'model/m-1', 'deployment:read'], 'resource model/m-1 is a model, action deployment:read is about a deployment: they must name the same type', 'gatehouse lookup subjects <resource> <action>'],
      [['lookup', 'subjects', 'deployment/dep-1', 'deployment:read', '--all', '--frobnicate'], 'unknown option --frobnicate', 'gatehouse lookup subjects <resource> <action>'],
    ] as const) {
      const result = await expectExit(2, ...args, ...asAlice, '--server', closed);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(`gatehouse: ${message}`);
      expect(result.stderr).toContain(`Usage:\n  ${usage}`);
    }
    const noAccount = await expectExit(2, 'resource', 'get', 'deployment', 'dep-1', '--api-key', acct.aliceKey);
    expect(noAccount.stderr).toContain('no account: pass --account <id>, set GATEHOUSE_ACCOUNT, or use a profile');
    expect((await expectExit(2, 'resource', 'frobnicate')).stderr).toContain("gatehouse: unknown verb 'frobnicate' for 'gatehouse resource'");
    expect((await expectExit(2, 'lookup')).stderr).toContain("which 'gatehouse lookup' verb?");
  });

  it('--help on every verb and group, and the verbs in the top-level help', async () => {
    for (const verb of [['resource', 'put'], ['resource', 'get'], ['resource', 'transfer'], ['resource', 'delete'], ['lookup', 'resources'], ['lookup', 'subjects']]) {
      const help = await expectExit(0, ...verb, '--help');
      expect(help.stdout).toContain(`Usage:\n  gatehouse ${verb.join(' ')} `);
      expect(help.stdout).toContain(`Examples:\n  gatehouse ${verb.join(' ')} `);
    }
    expect((await expectExit(0, 'resource', 'put', '--help')).stdout).toContain('what is left out is removed');
    expect((await expectExit(0, 'lookup', 'resources', '--help')).stdout).toContain('--all');
    const group = await expectExit(0, 'lookup', '--help');
    expect(group.stdout).toMatch(/^ {2}gatehouse lookup subjects\s+which members may act on this resource/m);
    const top = await expectExit(0, '--help');
    expect(top.stdout).toMatch(/^ {2}resource\s+put, get, transfer, delete$/m);
    expect(top.stdout).toMatch(/^ {2}lookup\s+resources, subjects$/m);
  });

  it('a server that is down: exit 5, "cannot reach Gatehouse at <url>: is it running?"', async () => {
    const expected = `error: cannot reach Gatehouse at ${closed}: is it running?\nhint: check --server (or GATEHOUSE_SERVER, or the profile)\n`;
    for (const args of [
      ['resource', 'put', 'deployment', 'dep-1', '--owner', acct.bob],
      ['resource', 'get', 'deployment', 'dep-1'],
      ['resource', 'transfer', 'deployment', 'dep-1', '--owner', acct.bob],
      ['resource', 'delete', 'deployment', 'dep-1'],
      ['lookup', 'resources', `user:${acct.bob}`, 'deployment:read', '--all'],
      ['lookup', 'subjects', 'deployment/dep-1', 'deployment:read', '--json'],
    ]) {
      const down = await expectExit(5, ...args, ...asAlice, '--server', closed);
      expect([down.stdout, down.stderr]).toEqual(['', expected]);
    }
  });
});
