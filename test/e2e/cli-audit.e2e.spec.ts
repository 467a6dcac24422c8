import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPrivately, CliResult, freePort, httpSetup, RunningGatehouse, runCli, startGatehouseProcess } from '../support/cli-harness';

/**
 * `gatehouse audit …`, `check --as-of` and `gatehouse projection …` as an operator runs
 * them: the built binary against a real Gatehouse in a child process, over a scripted
 * history (Bob joins, changes role, gets a key that is then revoked; root creates teams).
 */
const ROOT_KEY = 'cli-audit-e2e-root-key-0123456789abcdef0123';

let build: { dist: string; remove(): void };
let server: RunningGatehouse;
let home: string;

async function expectExit(code: number, ...args: string[]): Promise<CliResult> {
  const result = await runCli(build.dist, args, { HOME: home, GATEHOUSE_CONFIG: join(home, 'profiles.json'), GATEHOUSE_SERVER: server.base });
  if (result.code !== code) throw new Error(`gatehouse ${args.join(' ')}: exit ${result.code}, expected ${code}\n${result.stdout}${result.stderr}`);
  return result;
}

const json = <T = any>(r: CliResult): T => JSON.parse(r.stdout) as T; // eslint-disable-line @typescript-eslint/no-explicit-any
const lines = (text: string) => text.split('\n').filter((l) => l !== '');
/** The rows of a table (header and trailing notes left out), split into cells. */
const rows = (r: CliResult) => lines(r.stdout).slice(1).filter((l) => /^\d+ /.test(l)).map((l) => l.split(/\s{2,}/));

interface Entry {
  position: string;
  type: string;
  actor: string;
  targets: string[];
}

/** Setup goes straight to the HTTP API: the CLI is what the tests exercise. */
const http = (method: string, path: string, key: string | undefined, body?: unknown) => httpSetup(server, method, path, key, body);

const history = {} as {
  admin: string;
  adminKey: string;
  bob: string;
  bobKey: string;
  accepted: string;
  keyCreated: string;
  revoked: string;
  whileValid: string;
};

beforeAll(async () => {
  build = buildPrivately();
  home = mkdtempSync(join(tmpdir(), 'gatehouse-cli-audit-'));
  server = await startGatehouseProcess(build.dist, { dataDir: join(home, 'data'), rootKey: ROOT_KEY });

  const A = '/v1/accounts/acme';
  const account = await http('POST', '/v1/accounts', ROOT_KEY, { id: 'acme', preset: 'fireworks', admins: ['alice@acme.test'] });
  history.admin = account.admins[0].id;
  history.adminKey = (await http('POST', `${A}/users/${history.admin}/api-keys`, ROOT_KEY, {})).key;
  // Another account's events never show in acme's log.
  await http('POST', '/v1/accounts', ROOT_KEY, { id: 'other', preset: 'fireworks', admins: ['olga@other.test'] });
  const invited = await http('POST', `${A}/users`, history.adminKey, { email: 'bob@acme.test', roles: ['inference-user'] });
  history.bob = invited.id;
  history.accepted = (await http('POST', `${A}/invitations/accept`, undefined, { token: invited.invitation.token })).revision;
  await http('POST', `${A}/users/${history.bob}/roles`, history.adminKey, { role: 'contributor' });
  await http('DELETE', `${A}/users/${history.bob}/roles/inference-user`, history.adminKey);
  const key = await http('POST', `${A}/users/${history.bob}/api-keys`, history.adminKey, { name: 'laptop' });
  history.bobKey = key.key;
  history.keyCreated = key.revision;
  await new Promise((r) => setTimeout(r, 30));
  history.whileValid = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 30));
  history.revoked = (await http('DELETE', `${A}/api-keys/${key.id}`, history.adminKey)).revision;
  for (let i = 0; i < 6; i++) await http('POST', `${A}/teams`, ROOT_KEY, { name: `t${i}` });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  build?.remove();
  rmSync(home, { recursive: true, force: true });
});

describe('gatehouse audit / check --as-of / projection against a running Gatehouse', () => {
  const as = () => ['--account', 'acme', '--api-key', history.adminKey];
  /** Every acme entry, oldest first, as the server pages them (one big page). */
  const everything = async () => json<{ items: Entry[]; nextCursor: null }>(await expectExit(0, 'audit', 'replay', '--order', 'asc', '--limit', '1000', '--json', ...as())).items;

  it('audit replay: a table newest first, filters, and the next-page command', async () => {
    const all = await everything();
    expect(all.length).toBeGreaterThan(12);
    expect(all[0].type).toBe('AccountCreated');
    expect(all.every((e) => (e as Entry & { data: { accountId: string } }).data.accountId === 'acme')).toBe(true);

    const table = await expectExit(0, 'audit', 'replay', ...as());
    expect(lines(table.stdout)[0]).toMatch(/^POSITION\s+TIME\s+TYPE\s+ACTOR\s+TARGETS\s+CORRELATION$/);
    const shown = rows(table);
    expect(shown.map((r) => r[0])).toEqual(all.map((e) => e.position).reverse());
    expect(shown[0]).toEqual([all[all.length - 1].position, expect.stringMatching(/^\d{4}-\d\d-\d\dT/), 'TeamCreated', 'root', 't5', expect.any(String)]);
    const revokedRow = shown.find((r) => r[0] === history.revoked)!;
    expect(revokedRow.slice(2, 4)).toEqual(['ApiKeyRevoked', `user:${history.admin}`]);

    const aboutBob = json(await expectExit(0, 'audit', 'replay', '--target', history.bob, '--order', 'asc', '--json', ...as()));
    expect(aboutBob.items.map((e: Entry) => e.type)).toEqual(['UserInvited', 'InvitationAccepted', 'RoleAssigned', 'RoleUnassigned', 'ApiKeyCreated', 'ApiKeyRevoked']);
    const roles = await expectExit(0, 'audit', 'replay', '--type', 'RoleAssigned,RoleUnassigned', '--order', 'asc', ...as());
    expect(rows(roles).map((r) => r[2])).toEqual(['RoleAssigned', 'RoleUnassigned']);
    const repeated = json(await expectExit(0, 'audit', 'replay', '--type', 'RoleAssigned', '--type', 'ApiKeyRevoked', '--json', ...as()));
    expect(repeated.items.map((e: Entry) => e.type)).toEqual(['ApiKeyRevoked', 'RoleAssigned']);
    const byRoot = json(await expectExit(0, 'audit', 'replay', '--actor', 'root', '--type', 'TeamCreated', '--json', ...as()));
    expect(byRoot.items).toHaveLength(6);
    const byAdmin = json(await expectExit(0, 'audit', 'replay', '--actor', `user:${history.admin}`, '--json', ...as()));
    expect(byAdmin.items.length).toBeGreaterThanOrEqual(4);
    expect(byAdmin.items.every((e: Entry & { actorKeyId?: string }) => e.actor === `user:${history.admin}` && typeof e.actorKeyId === 'string')).toBe(true);
    const range = json(await expectExit(0, 'audit', 'replay', '--from-revision', history.keyCreated, '--to-revision', history.revoked, '--order', 'asc', '--json', ...as()));
    expect(range.items.map((e: Entry) => e.position)).toEqual([history.keyCreated, history.revoked]);
    const since = json(await expectExit(0, 'audit', 'replay', '--from', history.whileValid, '--type', 'ApiKeyRevoked,ApiKeyCreated', '--json', ...as()));
    expect(since.items.map((e: Entry) => e.type)).toEqual(['ApiKeyRevoked']);
    const until = json(await expectExit(0, 'audit', 'replay', '--to', history.whileValid, '--type', 'ApiKeyRevoked,ApiKeyCreated', '--json', ...as()));
    expect(until.items.map((e: Entry) => e.type)).toEqual(['ApiKeyCreated', 'ApiKeyCreated']);
    const none = await expectExit(0, 'audit', 'replay', '--type', 'NoSuchEvent', ...as());
    expect(none.stdout).toBe('no audit entries match\n');

    // One page, then the command it prints for the next one (filters kept).
    const first = await expectExit(0, 'audit', 'replay', '--type', 'TeamCreated', '--limit', '4', ...as());
    expect(rows(first).map((r) => r[4])).toEqual(['t5', 't4', 't3', 't2']);
    const more = /^More: gatehouse audit replay (.+) --cursor (\d+)   \(or --all for every page\)$/m.exec(first.stdout)!;
    expect(more[1]).toBe('--type TeamCreated --limit 4');
    const second = await expectExit(0, 'audit', 'replay', ...more[1].split(' '), '--cursor', more[2], ...as());
    expect(rows(second).map((r) => r[4])).toEqual(['t1', 't0']);
    expect(second.stdout).not.toContain('More:');
  });

  it('audit replay --all follows the cursors to the end, in either order, as a table or JSON Lines', async () => {
    const all = await everything();
    const asc = await expectExit(0, 'audit', 'replay', '--all', '--limit', '2', '--order', 'asc', ...as());
    expect(lines(asc.stdout).filter((l) => l.startsWith('POSITION'))).toHaveLength(1);
    expect(rows(asc).map((r) => r[0])).toEqual(all.map((e) => e.position));
    expect(asc.stdout).not.toContain('More:');

    const desc = await expectExit(0, 'audit', 'replay', '--all', '--limit', '3', '--json', ...as());
    const streamed = lines(desc.stdout).map((l) => JSON.parse(l) as Entry);
    expect(streamed.map((e) => e.position)).toEqual(all.map((e) => e.position).reverse());
    // At an exact page boundary (the limit divides the count) there is no empty last page to print.
    const exact = await expectExit(0, 'audit', 'replay', '--all', '--type', 'TeamCreated', '--limit', '3', '--json', ...as());
    expect(lines(exact.stdout)).toHaveLength(6);
  });

  it('audit export: JSON Lines and CSV, to stdout or a file, the same entries as replay --all', async () => {
    const replayed = lines((await expectExit(0, 'audit', 'replay', '--all', '--order', 'asc', '--json', ...as())).stdout);
    const dir = mkdtempSync(join(home, 'export-'));

    const jsonl = await expectExit(0, 'audit', 'export', '--format', 'jsonl', '--output', join(dir, 'audit.jsonl'), ...as());
    expect(jsonl.stdout).toBe(`Exported ${replayed.length} audit entries (${readFileSync(join(dir, 'audit.jsonl')).length.toLocaleString('en-US')} bytes) to ${join(dir, 'audit.jsonl')}\n`);
    const exported = lines(readFileSync(join(dir, 'audit.jsonl'), 'utf8'));
    expect(exported).toHaveLength(replayed.length);
    expect(exported).toEqual(replayed); // byte for byte, line for line
    const toStdout = await expectExit(0, 'audit', 'export', '--format', 'jsonl', ...as());
    expect(toStdout.stdout).toBe(readFileSync(join(dir, 'audit.jsonl'), 'utf8'));

    const csv = json(await expectExit(0, 'audit', 'export', '--format', 'csv', '--output', join(dir, 'audit.csv'), '--json', ...as()));
    expect(csv).toMatchObject({ output: join(dir, 'audit.csv'), format: 'csv', entries: replayed.length });
    const table = lines(readFileSync(join(dir, 'audit.csv'), 'utf8'));
    expect(table).toHaveLength(replayed.length + 1);
    expect(table[0]).toBe('position,occurredAt,type,actor,actorKeyId,stream,targets,correlationId,causationId,commandId,data');
    expect(table.slice(1).map((l) => l.split(',')[0])).toEqual(replayed.map((l) => JSON.parse(l).position));

    const teams = (await expectExit(0, 'audit', 'export', '--format', 'csv', '--type', 'TeamCreated', '--actor', 'root', ...as())).stdout;
    expect(lines(teams)).toHaveLength(7);
    expect(lines(teams)[1]).toMatch(/^\d+,\d{4}-[^,]+,TeamCreated,root,,account-acme,t0,/);

    // Refused or unreachable: exit 3 / 5, and no file, not even a partial one.
    const refused = await expectExit(3, 'audit', 'export', '--format', 'csv', '--output', join(dir, 'refused.csv'), '--account', 'acme', '--api-key', 'gh_aaaaaaaaaaaaaaaa_notasecret');
    expect(refused.stderr).toContain('(AUTH.INVALID_CREDENTIALS)');
    const closed = `http://127.0.0.1:${await freePort()}`;
    const down = await expectExit(5, 'audit', 'export', '--format', 'jsonl', '--output', join(dir, 'down.jsonl'), ...as(), '--server', closed);
    expect(down.stderr).toContain(`cannot reach Gatehouse at ${closed}: is it running?`);
    expect(readdirSync(dir).sort()).toEqual(['audit.csv', 'audit.jsonl']);

    for (const [args, message] of [
      [['--format', 'xml'], '--format must be jsonl or csv, not "xml"'],
      [[], '--format is required'],
      [['--format', 'csv', '--output', join(dir, 'missing', 'x.csv')], `--output ${join(dir, 'missing', 'x.csv')}: cannot write there`],
      [['--format', 'csv', '--from', '2026-12-01', '--to', '2026-11-01'], '--from 2026-12-01 is after --to 2026-11-01: nothing could match'],
    ] as const) {
      const bad = await expectExit(2, 'audit', 'export', ...args, ...as());
      expect(bad.stderr).toContain(`gatehouse: ${message}`);
      expect(bad.stderr).toContain('Usage:\n  gatehouse audit export --format <jsonl|csv>');
    }
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });

  it('audit replay: bad arguments exit 2, a member without audit.read exits 3, a server that is down exits 5', async () => {
    for (const [args, message] of [
      [['--order', 'sideways'], '--order must be asc or desc, not "sideways"'],
      [['--limit', '5000'], '--limit must be at most 1000'],
      [['--limit', '0'], '--limit must be a positive whole number'],
      [['--from-revision', 'ten'], '--from-revision must be a revision'],
      [['--from-revision', '9', '--to-revision', '3'], '--from-revision 9 is after --to-revision 3'],
      [['--from', 'last tuesday'], '--from must be a date or time'],
      [['--cursor', 'abc'], '--cursor must be a revision'],
    ] as const) {
      const bad = await expectExit(2, 'audit', 'replay', ...args, ...as());
      expect(bad.stdout).toBe('');
      expect(bad.stderr).toContain(`gatehouse: ${message}`);
    }
    const bobKey = (await http('POST', `/v1/accounts/acme/users/${history.bob}/api-keys`, history.adminKey, {})).key as string;
    const forbidden = await expectExit(3, 'audit', 'replay', '--account', 'acme', '--api-key', bobKey);
    expect(forbidden.stderr).toContain('(PERMISSION.DENIED)');
    await expectExit(3, 'audit', 'verify', '--account', 'acme', '--api-key', bobKey);
    const closed = `http://127.0.0.1:${await freePort()}`;
    const down = await expectExit(5, 'audit', 'replay', '--all', ...as(), '--server', closed);
    expect(down.stderr).toBe(`error: cannot reach Gatehouse at ${closed}: is it running?\nhint: check --server (or GATEHOUSE_SERVER, or the profile)\n`);
    expect((await expectExit(4, 'audit', 'replay', '--account', 'nope', '--api-key', ROOT_KEY)).stderr).toContain('(ACCOUNT.NOT_FOUND)');
  });

  it('check --as-of: a key allowed before its revocation, denied from it on, by revision or time', async () => {
    const key = `key:${history.bobKey}`;
    const before = String(BigInt(history.revoked) - 1n);
    const allowed = await expectExit(0, 'check', key, 'dataset:read', 'dataset/ds-1', '--as-of', before, ...as());
    expect(allowed.stdout).toMatch(new RegExp(`^allowed as of revision ${before} \\(\\d{4}-\\d\\d-\\d\\dT[^)]+\\)\\n$`));
    const denied = await expectExit(1, 'check', key, 'dataset:read', 'dataset/ds-1', '--as-of', history.revoked, ...as());
    expect(denied.stdout).toMatch(new RegExp(`^denied \\(KEY_REVOKED\\) as of revision ${history.revoked} `));
    const live = await expectExit(1, 'check', key, 'dataset:read', 'dataset/ds-1', ...as());
    expect(live.stdout).toBe('denied (KEY_REVOKED)\n');

    const byTime = await expectExit(0, 'check', key, 'dataset:create', '--as-of', history.whileValid, '--explain', ...as());
    expect(byTime.stdout).toMatch(/^decision\s+allowed$/m);
    expect(byTime.stdout).toMatch(/^role\s+contributor$/m);
    expect(byTime.stdout).toMatch(new RegExp(`^revision\\s+${history.keyCreated}$`, 'm'));
    expect(byTime.stdout).toMatch(new RegExp(`^as of\\s+${history.whileValid.replace(/[.]/g, '\\.')}$`, 'm'));
    const notYet = json(await expectExit(1, 'check', key, 'dataset:read', '--as-of', String(BigInt(history.keyCreated) - 1n), '--json', ...as()));
    expect(notYet).toMatchObject({ allowed: false, reason: 'KEY_NOT_FOUND', asOf: expect.any(String) });
    // As an inference-user (before the role change), Bob could read but not create datasets.
    await expectExit(0, 'check', `user:${history.bob}`, 'dataset:read', '--as-of', history.accepted, ...as());
    await expectExit(1, 'check', `user:${history.bob}`, 'dataset:create', '--as-of', history.accepted, ...as());

    const both = await expectExit(2, 'check', key, 'dataset:read', '--as-of', '3', '--at-least', '3', ...as());
    expect(both.stderr).toContain('give --at-least (the live answer, once a write is applied) or --as-of (an answer from history), not both');
    expect((await expectExit(2, 'check', key, 'dataset:read', '--as-of', 'last tuesday', ...as())).stderr).toContain('--as-of must be a revision (a number a write printed, e.g. 42) or a time');
  });

  it("audit principal: a member's roles and grants now and as of the past", async () => {
    const then = await expectExit(0, 'audit', 'principal', `user:${history.bob}`, '--as-of', history.accepted, ...as());
    expect(then.stdout).toMatch(new RegExp(`^principal\\s+user:${history.bob}$`, 'm'));
    expect(then.stdout).toMatch(/^account\s+acme \(active\)$/m);
    expect(then.stdout).toMatch(/^roles\s+inference-user$/m);
    expect(then.stdout).toMatch(new RegExp(`^as of\\s+revision ${history.accepted}$`, 'm'));
    expect(then.stdout).toMatch(/^ROLE\s+GRANT\s+SCOPES$/m);
    expect(then.stdout).toMatch(/^inference-user\s+api_key:create@own\s+-$/m);
    const now = json(await expectExit(0, 'audit', 'principal', `user:${history.bob}`, '--json', ...as()));
    expect(now).toMatchObject({ principal: { type: 'user', id: history.bob }, status: 'active', roles: [{ name: 'contributor' }] });
    const before = await expectExit(4, 'audit', 'principal', `user:${history.bob}`, '--as-of', '2', ...as());
    expect(before.stderr).toContain('(PRINCIPAL.NOT_FOUND)');
    expect(before.stderr).toContain('hint: `gatehouse audit replay --target <id> --order asc`');
    expect((await expectExit(2, 'audit', 'principal', `key:${history.bobKey}`, ...as())).stderr).toContain('pass user:<USER_ID> or service_account:<SA_ID>');
    expect((await expectExit(2, 'audit', 'principal', 'bob', ...as())).stderr).toContain('principal "bob": expected user:<USER_ID>');
  });

  it('audit verify: exit 0 on an untouched store; an edited row in the SQLite file: exit 1 naming its position', async () => {
    const ok = await expectExit(0, 'audit', 'verify', ...as());
    expect(ok.stdout).toMatch(/^account\s+acme$/m);
    expect(ok.stdout).toMatch(/^chains\s+intact$/m);
    expect(ok.stdout).toMatch(/^streams\s+[3-9]$/m);
    expect(json(await expectExit(0, 'audit', 'verify', '--json', ...as()))).toMatchObject({ account: 'acme', valid: true });

    const db = new Database(join(server.dataDir, 'events.sqlite'));
    try {
      const row = db.prepare("SELECT position, data FROM events WHERE type = 'RoleAssigned' AND data LIKE '%contributor%'").get() as { position: number | bigint; data: string };
      const position = String(row.position);
      db.prepare('UPDATE events SET data = ? WHERE position = ?').run(row.data.replace('contributor', 'admin'), row.position);

      const broken = await expectExit(1, 'audit', 'verify', ...as());
      expect(broken.stdout).toMatch(/^chains\s+BROKEN$/m);
      expect(broken.stdout).toMatch(new RegExp(`^position\\s+${position}$`, 'm'));
      expect(broken.stdout).toMatch(/^stream\s+account-acme$/m);
      expect(broken.stdout).toMatch(/^problem\s+HASH_MISMATCH$/m);
      expect(broken.stdout).toContain(`First break at position ${position} (account-acme): the event's content no longer matches its hash: it was changed after it was written.`);
      expect(broken.stderr).toContain(`hint: \`gatehouse audit replay --from-revision ${position} --to-revision ${position} --json\``);
      const brokenJson = await expectExit(1, 'audit', 'verify', '--json', ...as());
      expect(json(brokenJson)).toMatchObject({ valid: false, firstBreak: { position, streamId: 'account-acme', problem: 'HASH_MISMATCH' } });
      // The replay shows the event as it is stored now: the forged role.
      const shown = json(await expectExit(0, 'audit', 'replay', '--from-revision', position, '--to-revision', position, '--json', ...as()));
      expect(shown.items[0].data.role).toBe('admin');

      db.prepare('UPDATE events SET data = ? WHERE position = ?').run(row.data, row.position);
      await expectExit(0, 'audit', 'verify', ...as());
    } finally {
      db.close();
    }
  });

  it('projection status and rebuild --wait (root key only); checks answer as before afterwards', async () => {
    const status = await expectExit(0, 'projection', 'status', '--api-key', ROOT_KEY);
    expect(status.stdout).toMatch(/^checkpoint\s+\d+$/m);
    expect(status.stdout).toMatch(/^head\s+\d+$/m);
    expect(status.stdout).toMatch(/^lag\s+\d+$/m);
    expect(status.stdout).toMatch(/^rebuilding\s+no$/m);

    const rebuilt = await expectExit(0, 'projection', 'rebuild', '--wait', '--api-key', ROOT_KEY);
    expect(rebuilt.stdout).toMatch(/^Rebuilt the projection: [\d,]+ events in (\d+ ms|[\d.]+ s|under 1 ms)( \([\d,]+ events\/s\))?; checkpoint \d+, head \d+, lag \d+\n$/);
    expect(rebuilt.stderr).not.toContain('\r'); // not a terminal: no progress bar
    const after = json(await expectExit(0, 'projection', 'status', '--json', '--api-key', ROOT_KEY));
    expect(after).toMatchObject({ rebuilding: false, rebuild: { startedAt: expect.any(String), finishedAt: expect.any(String) } });
    expect(Number(after.rebuild.applied)).toBe(Number(after.rebuild.total));
    const shown = await expectExit(0, 'projection', 'status', '--api-key', ROOT_KEY);
    expect(shown.stdout).toMatch(/^last rebuild\s+started \d{4}-/m);
    expect(shown.stdout).toMatch(/^\s+finished\s+\d{4}-/m);

    const waited = json(await expectExit(0, 'projection', 'rebuild', '--wait', '--json', '--api-key', ROOT_KEY));
    expect(waited).toMatchObject({ rebuilding: false, rebuild: { finishedAt: expect.any(String) } });
    const started = await expectExit(0, 'projection', 'rebuild', '--api-key', ROOT_KEY);
    expect(started.stdout).toMatch(/^Rebuild started at \d{4}-\S+: replaying [\d,]+ events into the permission cache\.$/m);

    // The rebuilt cache answers as the old one did (passing the head as --at-least waits for it).
    const head = json(await expectExit(0, 'projection', 'status', '--json', '--api-key', ROOT_KEY)).head as string;
    await expectExit(1, 'check', `key:${history.bobKey}`, 'dataset:read', '--at-least', head, ...as());
    await expectExit(0, 'check', `user:${history.bob}`, 'dataset:create', '--at-least', head, ...as());

    const notRoot = await expectExit(3, 'projection', 'rebuild', '--wait', ...as());
    expect(notRoot.stderr).toContain('(PERMISSION.DENIED)');
    expect(notRoot.stderr).toContain('hint: only the platform root key may do this: pass it with --api-key');
    expect((await expectExit(3, 'projection', 'status')).stderr).toContain('(AUTH.MISSING_CREDENTIALS)');
  });

  it('--help for each new verb: usage, what it does, examples', async () => {
    for (const [verb, text] of [
      ['audit replay', '--all'],
      ['audit export', 'constant memory'],
      ['audit verify', 'Exit 0 when every chain is intact, 1 when one is broken'],
      ['audit principal', 'user:<USER_ID> or service_account:<SA_ID>'],
      ['projection status', 'checkpoint'],
      ['projection rebuild', 'a progress bar with events/s'],
      ['check', '--as-of <revision|time>'],
    ] as const) {
      const help = await expectExit(0, ...verb.split(' '), '--help');
      expect(help.stdout).toContain(`Usage:\n  gatehouse ${verb}`);
      expect(help.stdout).toContain(text);
      expect(help.stdout).toContain(`Examples:\n  gatehouse ${verb}`);
    }
    const group = await expectExit(0, 'audit', '--help');
    expect(group.stdout).toMatch(/gatehouse audit replay\s+the audit log/);
  });
});
