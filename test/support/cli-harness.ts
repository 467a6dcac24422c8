import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

/**
 * The CLI as users run it: the built `gatehouse` binary as a child process, against a
 * built Gatehouse on a real port (or any HTTP server standing in for one).
 */

const root = resolve(__dirname, '../..');

/**
 * Builds into a private directory so that a suite rebuilding dist/ concurrently (every
 * build starts by deleting dist/) cannot pull files from under the running processes.
 * The directory sits inside the repository so the output finds node_modules.
 */
export function buildPrivately(): { dist: string; remove(): void } {
  mkdirSync(join(root, '.cache'), { recursive: true });
  const dir = mkdtempSync(join(root, '.cache', 'cli-e2e-'));
  mkdirSync(join(dir, 'scripts'));
  copyFileSync(join(root, 'scripts/build.mjs'), join(dir, 'scripts/build.mjs'));
  for (const source of ['apps', 'libs']) symlinkSync(join(root, source), join(dir, source), 'dir');
  execFileSync(process.execPath, [join(dir, 'scripts/build.mjs')], { cwd: dir, stdio: 'pipe' });
  return { dist: join(dir, 'dist'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });
}

export interface RunningGatehouse {
  base: string;
  /** GATEHOUSE_DATA_DIR: the SQLite store is events.sqlite in it. */
  dataDir: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startGatehouseProcess(dist: string, env: { dataDir: string; rootKey: string }): Promise<RunningGatehouse> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, [join(dist, 'apps/gatehouse/src/main.js')], {
    // GRPC_PORT=0: suites run in parallel, and each server would otherwise claim 50051.
    env: { PATH: process.env.PATH ?? '', PORT: String(port), GRPC_PORT: '0', HOST: '127.0.0.1', GATEHOUSE_DATA_DIR: env.dataDir, GATEHOUSE_ROOT_KEY: env.rootKey, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/readyz`)).status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`Gatehouse did not become ready:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    dataDir: env.dataDir,
    output: () => out,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `gatehouse <args>`; the environment is exactly `env` plus PATH (no stray GATEHOUSE_*). */
export function runCli(dist: string, args: readonly string[], env: Record<string, string>, stdin?: string): Promise<CliResult> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [join(dist, 'apps/cli/src/main.js'), ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => ok({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

/**
 * A set-up request straight to a running Gatehouse's HTTP API (the CLI suites exercise the
 * CLI, not this): the parsed answer, or an error naming the call when it is not a success.
 */
export async function httpSetup(server: RunningGatehouse, method: string, path: string, key: string | undefined, body?: unknown): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(server.base + path, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}
