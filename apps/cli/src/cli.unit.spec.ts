import { run } from './cli';
import { VERBS } from './commands';
import { GLOBAL_OPTIONS } from './parse';

/** The dispatcher in-process: help, usage errors and exit codes that need no server. */
async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: { write: (t) => (stdout += t) }, stderr: { write: (t) => (stderr += t) }, env: {} });
  return { code, stdout, stderr };
}

describe('gatehouse (in-process)', () => {
  it.each(VERBS.map((v) => [v.path.join(' ')]))('%s --help prints usage and examples', async (path) => {
    const result = await cli(...path.split(' '), '--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage:\n  gatehouse ${path}`);
    expect(result.stdout).toContain('Examples:\n  gatehouse ');
    expect(result.stdout).toContain('--api-key <key>');
  });

  it('verbs are unique, and no verb option shadows a global one', () => {
    const paths = VERBS.map((v) => v.path.join(' '));
    expect(new Set(paths).size).toBe(paths.length);
    for (const v of VERBS) for (const option of Object.keys(v.options ?? {})) expect(GLOBAL_OPTIONS[option]).toBeUndefined();
  });

  it('help comes from --help, -h and `help`', async () => {
    expect((await cli('--help')).stdout).toContain('Exit codes:');
    expect((await cli('help', 'user', 'update')).stdout).toContain("make ROLE the user's only role");
    expect((await cli('user', '-h')).stdout).toContain('gatehouse user update');
  });

  it('no verb, a partial verb or an unknown verb is a usage error', async () => {
    expect(await cli()).toMatchObject({ code: 2, stdout: '' });
    const partial = await cli('team');
    expect(partial.code).toBe(2);
    expect(partial.stderr).toContain("which 'gatehouse team' verb?");
    const unknown = await cli('user', 'promote', 'usr_x');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown verb 'promote' for 'gatehouse user'");
    expect(unknown.stderr).toContain('gatehouse user update');
  });

  it('a usage error prints the verb usage', async () => {
    const result = await cli('user', 'update', 'usr_abcdefgh');
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe(
      "gatehouse: --role is required\n\nUsage:\n  gatehouse user update <USER_ID> --role <ROLE>\n\nRun 'gatehouse user update --help' for details and examples.\n",
    );
  });

  it('account delete needs --yes before it calls anything', async () => {
    const result = await cli('account', 'delete', 'acme', '--server', 'http://127.0.0.1:9');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('add --yes to confirm');
  });
});
