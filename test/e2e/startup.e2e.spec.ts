import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * `npm start` as a user runs it: the built service as a child process on a real port,
 * with its embedded defaults. A restart keeps every user, role and key, and the root
 * key printed at the first start keeps working.
 */
const root = resolve(__dirname, '../..');
const main = join(root, 'dist/apps/gatehouse/src/main.js');

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });
}

function start(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [main], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

async function waitHealthy(base: string, output: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${base}/readyz`)).status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`service did not become ready:\n${output()}`);
}

async function call(base: string, method: string, path: string, key: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('start-up (child process, embedded defaults)', () => {
  let dataDir: string;
  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'ignore' });
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-start-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints a root key once, serves the walkthrough, and keeps everything across a restart', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { PORT: String(port), HOST: '127.0.0.1', GATEHOUSE_DATA_DIR: dataDir, GRPC_PORT: '0' };
    const first = start(env);
    await waitHealthy(base, first.output);
    const rootKey = /Platform root key.*\n\n\s+(\S+)/.exec(first.output())?.[1];
    expect(rootKey).toMatch(/^ghroot_/);

    const acct = await call(base, 'POST', '/v1/accounts', rootKey!, { id: 'acme', preset: 'fireworks', admins: ['alice@acme.test'] });
    expect(acct.status).toBe(201);
    const alice = acct.body.admins[0].id;
    const key = await call(base, 'POST', `/v1/accounts/acme/users/${alice}/api-keys`, rootKey!, {});
    const bob = await call(base, 'POST', '/v1/accounts/acme/users', key.body.key, { email: 'bob@acme.test', roles: ['contributor'] });
    expect(bob.status).toBe(201);
    expect(first.output()).not.toContain(key.body.key);
    expect(first.output()).not.toContain(bob.body.invitation.token);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = start(env);
    await waitHealthy(base, second.output);
    expect(second.output()).not.toContain('Platform root key');
    // The audit's snapshot follower catches up in the background, and /readyz says how far it is.
    let ready: { projection: { head: string }; auditSnapshots: { follower: string; position?: string; lag?: number } } | undefined;
    for (let deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      ready = (await (await fetch(`${base}/readyz`)).json()) as typeof ready;
      if (ready!.auditSnapshots.lag === 0) break;
    }
    expect(ready!.auditSnapshots).toEqual({ follower: 'running', position: ready!.projection.head, lag: 0 });
    const users = await call(base, 'GET', '/v1/accounts/acme/users', key.body.key);
    expect(users.status).toBe(200);
    expect(users.body.items.map((u: { email: string; roles: string[] }) => [u.email, u.roles]).sort()).toEqual([
      ['alice@acme.test', ['admin']],
      ['bob@acme.test', ['contributor']],
    ]);
    const check = await call(base, 'POST', '/v1/accounts/acme/check', rootKey!, { principal: { apiKey: key.body.key }, action: 'user:create' });
    expect(check.body).toMatchObject({ allowed: true });
    second.child.kill('SIGTERM');
    await second.exited;
  }, 60_000);

  it.each([
    ['PORT', 'eighty', 'PORT: must be a whole number'],
    ['REDIS_URL', 'http://x', 'REDIS_URL: must use redis or rediss://'],
    ['GATEHOUSE_ROOT_KEY', 'short', 'GATEHOUSE_ROOT_KEY: must be at least 32 characters'],
    ['GATEHOUSE_ROLES', 'api,worker', 'GATEHOUSE_ROLES: unknown role "worker"'],
  ])('refuses a bad %s and names it', async (name, value, message) => {
    const run = start({ GATEHOUSE_DATA_DIR: dataDir, PORT: '0', GRPC_PORT: '0', [name]: value });
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain(message);
  });
});
