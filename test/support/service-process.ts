import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Gatehouse as `npm start` runs it, in a child process that a test may kill -9: built
 * into a private directory (scripts/build.mjs run over links to the sources), so that
 * other suites rebuilding dist/ meanwhile cannot pull the files from under it.
 */
const root = resolve(__dirname, '../..');

export interface ServiceBuild {
  main: string;
  remove(): void;
}

/** Compiles the service once (about two seconds); `remove` deletes the private build. */
export function buildService(): ServiceBuild {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-build-'));
  mkdirSync(join(dir, 'scripts'));
  mkdirSync(join(dir, 'test'));
  for (const p of ['apps', 'libs', 'bench', 'node_modules', 'test/support']) symlinkSync(join(root, p), join(dir, p));
  // A copy, not a link: the script finds the tree to build from its own location.
  copyFileSync(join(root, 'scripts/build.mjs'), join(dir, 'scripts/build.mjs'));
  execFileSync(process.execPath, [join(dir, 'scripts/build.mjs')], { cwd: dir, stdio: 'ignore' });
  return { main: join(dir, 'dist/apps/gatehouse/src/main.js'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });
}

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code, or the signal's name. */
  exited: Promise<number | string | null>;
  /** kill -9: no shutdown hook runs, nothing is flushed. */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the built service on a free port with `env` (on top of a bare PATH) and waits until /readyz answers 200. */
export async function startService(build: ServiceBuild, env: Record<string, string>, o: { readyTimeoutMs?: number } = {}): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [build.main], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), GRPC_PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out = (out + d).slice(-20_000)));
  child.stderr!.on('data', (d) => (out = (out + d).slice(-20_000)));
  const exited = new Promise<number | string | null>((r) => child.once('exit', (code, signal) => r(code ?? signal)));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const url = `http://127.0.0.1:${port}`;
  const service: ServiceProcess = {
    url,
    child,
    output: () => out,
    exited,
    async crash() {
      process.removeListener('exit', killOnExit);
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const escalate = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(escalate);
    },
  };
  const deadline = Date.now() + (o.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the service exited early:\n${out}`);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return service;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await service.crash();
      throw new Error(`the service was not ready in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function call(url: string, method: string, path: string, o: { key?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { ...(o.key ? { authorization: `Bearer ${o.key}` } : {}), ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(o.headers ?? {}) },
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
  });
  const text = await res.text();
  let body: any = text; // eslint-disable-line @typescript-eslint/no-explicit-any -- asserted field by field
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* keep the text */
  }
  return { status: res.status, body, headers: Object.fromEntries(res.headers) };
}
