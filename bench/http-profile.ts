import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACCOUNT, generateDataset, LARGE, SMALL } from './dataset';
import { load, LoadTarget } from './load';
import { formatFrames, summarizeProfile } from './profile';
import { Child, freePort, json, profileChild, seedStore, startChild, startGatehouse } from './server';

/**
 * `node dist/bench/http-profile.js [--small] [--seconds N] [--heap]`: the HTTP check
 * target without a whole `npm run bench`. One Gatehouse child (as `npm start` runs it)
 * and one bare Fastify child under autocannon, 10 connections, side by side: req/s and
 * server CPU per request for each, then each profiled over one more phase: CPU (top
 * frames by self time) or, with --heap, allocation (bytes per request by allocating
 * function, from the sampling heap profiler).
 */
async function main(): Promise<void> {
  const small = process.argv.includes('--small');
  const heap = process.argv.includes('--heap');
  const at = process.argv.indexOf('--seconds');
  const seconds = at > 0 ? Number(process.argv[at + 1]) : 6;
  const d = generateDataset(small ? SMALL : LARGE);
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-http-profile-'));
  const pdir = join(dir, 'profiles');
  mkdirSync(join(pdir, 'bare'), { recursive: true });
  // Read by children/profiler-hook.ts in both children.
  if (heap) process.env.BENCH_PROFILE_KIND = 'heap';
  const children: Child[] = [];
  try {
    const seed = await seedStore(join(dir, 'events.sqlite'), d);
    const bodies = d.checks.slice(0, 1000).map((c) => JSON.stringify({ principal: c.principal, action: c.request.action, resource: c.request.resource }));
    const gh = await startGatehouse(dir, seed.head, { profileDir: pdir });
    children.push(gh);
    const bare = await startChild(join(process.cwd(), 'dist/bench/children/fastify-hello.js'), { BENCH_PROFILE_DIR: join(pdir, 'bare') }, {
      port: await freePort(),
      nodeArgs: ['-r', join(process.cwd(), 'dist/bench/children/profiler-hook.js')],
      ready: async (url) => (await fetch(`${url}/hello`)).ok,
    });
    children.push(bare);
    const probe = await json(`${gh.url}/v1/accounts/${ACCOUNT}/check`, 'POST', JSON.parse(bodies[0]), gh.callerKey);
    if (probe.status !== 200) throw new Error(`a benchmark check was refused: ${probe.status} ${JSON.stringify(probe.body)}`);
    const requests = (path: string, key: string) => bodies.map((body) => ({ method: 'POST', path, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body }));
    const targets: [string, Child, string, LoadTarget][] = [
      ['gatehouse POST /check', gh, pdir, { url: gh.url, pid: gh.pid, requests: requests(`/v1/accounts/${ACCOUNT}/check`, gh.callerKey) }],
      ['bare Fastify POST /hello', bare, join(pdir, 'bare'), { url: bare.url, pid: bare.pid, requests: requests('/hello', 'none') }],
    ];
    for (let round = 0; round < 3; round++) {
      const line = [];
      for (const [name, , , t] of targets) {
        const p = await load(t, { connections: 10, seconds });
        const cpu = p.serverCpu === null ? '?' : ((1e6 * p.serverCpu) / p.requestsPerSecond).toFixed(1);
        line.push(`${name} ${p.requestsPerSecond}/s, ${cpu} µs server CPU per request, p99 ${p.latencyMs.p99} ms`);
      }
      console.log(`round ${round + 1}: ${line.join('; ')}`);
    }
    for (const [name, child, where, t] of targets) {
      let sent = 0;
      const { file } = await profileChild(child, where, async () => (sent = (await load(t, { connections: 10, seconds })).sent ?? 0), heap ? '.heapprofile' : '.cpuprofile');
      if (!file) {
        console.log(`\n${name}: no profile written`);
        continue;
      }
      if (heap) console.log(`\n${name}, allocation per request (${sent} requests):\n${allocations(file, sent).join('\n')}`);
      else {
        const s = summarizeProfile(file, 30);
        console.log(`\n${name}, self time:\n${formatFrames(s.frames).join('\n')}\n  by area: ${s.areas.map((x) => `${x.area} ${x.selfPercent}%`).join(', ')}`);
      }
    }
  } finally {
    for (const c of children) await c.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

/** Bytes allocated per request by each function (sampled), the largest first. */
function allocations(file: string, requests: number, count = 30): string[] {
  const root = (JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode }).head;
  const bytes = new Map<string, number>();
  let total = 0;
  const walk = (n: HeapNode) => {
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'}  ${f.url.replace(/^.*\/(dist|node_modules)\//, '')}:${f.lineNumber + 1}`;
    total += n.selfSize;
    if (n.selfSize > 0) bytes.set(key, (bytes.get(key) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c);
  };
  walk(root);
  const per = (b: number) => (b / Math.max(1, requests)).toFixed(0).padStart(6);
  return [
    `${per(total)} B in all`,
    ...[...bytes]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([k, b]) => `${per(b)} B  ${k}`),
  ];
}

void main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
