import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon = require('autocannon');
import type { OpenLoopConfig, OpenLoopResult } from './children/open-loop';
import { Latency, latencyOf } from './measure';

/**
 * One bounded load phase with autocannon against a loopback server. Latency comes from
 * every 2xx response's own time (microsecond precision; autocannon's histogram rounds to
 * whole milliseconds), throughput from the 2xx count over the phase.
 */
export interface LoadPhase {
  connections: number;
  seconds: number;
  /** The rate asked for (null: as fast as it goes). */
  targetRate: number | null;
  requestsPerSecond: number;
  latencyMs: Latency;
  ok: number;
  non2xx: number;
  /** Requests written to the server (autocannon), answered or not when the phase ended. */
  sent?: number;
  errors: number;
  /** CPU of the server process and of the load generator over the phase, in cores (1 = one core busy). */
  serverCpu: number | null;
  loadgenCpu: number;
  /**
   * autocannon: closed loop, each connection sends its next request when the last is
   * answered. open-loop: children/open-loop.ts, requests evenly spaced in time.
   */
  generator: 'autocannon' | 'open-loop';
  /** open-loop only: requests the generator wrote more than 2 ms behind schedule (its tick is 1 ms). */
  late?: number;
}

export interface LoadTarget {
  url: string;
  /** Request templates, cycled per connection. */
  requests: { method: string; path: string; headers?: Record<string, string>; body?: string }[];
  /** The server's pid, to report its CPU use. */
  pid?: number;
}

/** utime + stime of a process in seconds (Linux), or null elsewhere. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

export async function load(target: LoadTarget, o: { connections: number; seconds: number; rate?: number }): Promise<LoadPhase> {
  const samples: number[] = [];
  let ok = 0;
  let non2xx = 0;
  const serverCpu0 = target.pid ? cpuSeconds(target.pid) : null;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url,
        connections: o.connections,
        duration: o.seconds,
        requests: target.requests,
        timeout: 10,
        ...(o.rate ? { overallRate: Math.max(1, Math.round(o.rate)) } : {}),
      },
      (error, r) => (error ? reject(error) : resolve(r)),
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (statusCode >= 200 && statusCode < 300) {
        ok++;
        if (samples.length < 2_000_000) samples.push(responseTime);
      } else non2xx++;
    });
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const serverCpu1 = target.pid ? cpuSeconds(target.pid) : null;
  return {
    connections: o.connections,
    seconds: Number(seconds.toFixed(2)),
    targetRate: o.rate ? Math.round(o.rate) : null,
    requestsPerSecond: Math.round(ok / seconds),
    latencyMs: latencyOf(samples, 3),
    ok,
    non2xx,
    sent: result.requests.sent,
    errors: result.errors + result.timeouts,
    serverCpu: serverCpu0 !== null && serverCpu1 !== null ? Number(((serverCpu1 - serverCpu0) / seconds).toFixed(2)) : null,
    loadgenCpu: Number(((cpu.user + cpu.system) / 1e6 / seconds).toFixed(2)),
    generator: 'autocannon',
  };
}

/**
 * `rate` requests per second, evenly spaced, for `seconds`, from children/open-loop.ts in
 * its own process: the latency at a given rate. (autocannon's `overallRate` is no such
 * thing: each connection spends its per-second budget back to back, then waits for the
 * next second, so "half rate" is full speed half of the time.)
 */
export async function openLoad(target: LoadTarget, o: { connections: number; seconds: number; rate: number }): Promise<LoadPhase> {
  const config: OpenLoopConfig = { url: target.url, requests: target.requests, rate: o.rate, seconds: o.seconds, connections: o.connections };
  const serverCpu0 = target.pid ? cpuSeconds(target.pid) : null;
  const t0 = process.hrtime.bigint();
  const r = await new Promise<OpenLoopResult>((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'children/open-loop.js')], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`open-loop generator exited with ${code}: ${err.slice(-2000)}`));
      try {
        resolve(JSON.parse(out) as OpenLoopResult);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    child.stdin.end(JSON.stringify(config));
  });
  const serverSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const serverCpu1 = target.pid ? cpuSeconds(target.pid) : null;
  return {
    connections: r.connectionsUsed,
    seconds: r.seconds,
    targetRate: Math.round(o.rate),
    requestsPerSecond: Math.round(r.ok / r.seconds),
    latencyMs: r.latencyMs,
    ok: r.ok,
    non2xx: r.non2xx,
    errors: r.errors,
    // The generator's start-up falls in this window too; it is idle then, so the figure is a little low, never high.
    serverCpu: serverCpu0 !== null && serverCpu1 !== null ? Number(((serverCpu1 - serverCpu0) / serverSeconds).toFixed(2)) : null,
    loadgenCpu: r.cpu,
    generator: 'open-loop',
    late: r.late,
  };
}

/**
 * Max rate at fixed concurrency (autocannon, closed loop), then half that rate from the
 * open-loop generator: the two figures issue 8 asks for.
 */
export async function maxAndHalf(
  target: LoadTarget,
  o: { connections: number; warmupSeconds: number; seconds: number },
): Promise<{ max: LoadPhase; half: LoadPhase }> {
  await load(target, { connections: o.connections, seconds: o.warmupSeconds });
  const max = await load(target, o);
  const half = await openLoad(target, { connections: o.connections, seconds: o.seconds, rate: max.requestsPerSecond / 2 });
  return { max, half };
}
