/**
 * Timing helpers shared by the benchmarks: bounded in time, percentiles from recorded
 * samples (no bucketing), medians of rounds because the machine is shared.
 */

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  count: number;
}

export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function latencyOf(samples: number[] | Float64Array, digits = 3): Latency {
  const sorted = Float64Array.from(samples).sort();
  const r = (x: number) => Number(x.toFixed(digits));
  return {
    p50: r(percentile(sorted, 0.5)),
    p90: r(percentile(sorted, 0.9)),
    p99: r(percentile(sorted, 0.99)),
    max: r(sorted[sorted.length - 1] ?? NaN),
    count: sorted.length,
  };
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const now = () => process.hrtime.bigint();

/**
 * Calls `fn(i)` for i = start, start+1, … in chunks until `seconds` have passed (checking
 * the clock once per chunk, so the clock costs nothing per call); returns calls per second.
 */
export function rate(fn: (i: number) => unknown, seconds: number, start = 0): { perSecond: number; calls: number; next: number } {
  const budget = BigInt(Math.round(seconds * 1e9));
  const t0 = now();
  let last = t0;
  let i = start;
  let chunk = 1;
  let elapsed = 0n;
  for (;;) {
    const end = i + chunk;
    for (; i < end; i++) fn(i);
    const t = now();
    elapsed = t - t0;
    if (elapsed >= budget) break;
    // Grow the chunk until one takes about a millisecond.
    if (t - last < 1_000_000n && chunk < 1 << 16) chunk *= 2;
    last = t;
  }
  return { perSecond: (i - start) / (Number(elapsed) / 1e9), calls: i - start, next: i };
}

/** Times calls one by one for `seconds` (at most `max` calls); microseconds per call, timer cost included. */
export function sampleLatency(fn: (i: number) => unknown, seconds: number, max = 500_000, start = 0): Float64Array {
  const out = new Float64Array(max);
  const deadline = now() + BigInt(Math.round(seconds * 1e9));
  let n = 0;
  for (let i = start; n < max; i++) {
    const t = now();
    fn(i);
    const e = now();
    out[n++] = Number(e - t) / 1000;
    if (e >= deadline) break;
  }
  return out.subarray(0, n);
}

/** What one hrtime.bigint() pair costs here, in microseconds (the floor of every sampled latency). */
export function timerOverheadUs(): number {
  const samples = sampleLatency(() => undefined, 0.05, 100_000);
  return latencyOf(samples).p50;
}

export const round = (x: number, digits = 0): number => Number(x.toFixed(digits));
