import { readdirSync, readFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join, relative } from 'node:path';

/**
 * CPU profiles for the targets a run misses (`npm run bench -- --profile`): the
 * in-process phases are profiled with the inspector in this thread, the Gatehouse child
 * over one load phase (children/profiler-hook.ts); either way the output shows the top
 * frames by self time and the share of each area (our code, each package, GC).
 */

export interface Frame {
  /** Percentage of the profile's samples spent in this function itself. */
  selfPercent: number;
  name: string;
  location: string;
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export function topFrames(profile: CpuProfile, count = 12): Frame[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, { name: string; location: string; us: number }>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (!node) return;
    const us = profile.timeDeltas[i] ?? 0;
    if (node.callFrame.functionName === '(idle)' || (node.callFrame.functionName === 'dispatch' && !node.callFrame.url)) return;
    total += us;
    const f = node.callFrame;
    // `(idle)`, and the inspector's own message dispatch (the profiler talking to itself).
    if (f.functionName === '(idle)' || (f.functionName === 'dispatch' && !f.url)) return;
    const url = f.url.startsWith('file://') ? f.url.slice(7) : f.url;
    const location = url ? `${shorten(url)}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName}@${location}`;
    const entry = self.get(key) ?? { name: f.functionName || '(anonymous)', location, us: 0 };
    entry.us += us;
    self.set(key, entry);
  });
  return [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, count)
    .map((e) => ({ selfPercent: Number(((100 * e.us) / Math.max(1, total)).toFixed(1)), name: e.name, location: e.location }));
}

function shorten(url: string): string {
  const rel = relative(process.cwd(), url);
  return rel.startsWith('..') ? url.replace(/^.*node_modules\//, '') : rel;
}

/** Profiles `work` in this thread with the inspector (sampling every 250 µs). */
export async function profileHere(work: () => void | Promise<void>, count = 12): Promise<{ frames: Frame[]; areas: { area: string; selfPercent: number }[] }> {
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params?: object) =>
    new Promise<T>((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))));
  try {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 250 });
    await post('Profiler.start');
    await work();
    const { profile } = await post<{ profile: CpuProfile }>('Profiler.stop');
    return { frames: topFrames(profile, count), areas: areas(profile) };
  } finally {
    session.disconnect();
  }
}

/**
 * Self time by where the code lives: our apps and libs, each npm package, Node's own
 * JavaScript, native work (GC, syscalls). Tells "the framework" from "our code" at a glance.
 */
export function areas(profile: CpuProfile, count = 10): { area: string; selfPercent: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const out = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const f = byId.get(id)?.callFrame;
    if (!f || f.functionName === '(idle)' || (f.functionName === 'dispatch' && !f.url)) return;
    const us = profile.timeDeltas[i] ?? 0;
    total += us;
    let area: string;
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f.url);
    if (pkg) area = pkg[1];
    else if (f.url.includes('/dist/apps/')) area = 'gatehouse apps/';
    else if (f.url.includes('/dist/libs/')) area = 'gatehouse libs/';
    else if (f.url.startsWith('node:')) area = 'node internals (JS)';
    else if (f.functionName === '(garbage collector)') area = 'garbage collector';
    else area = 'native / other';
    out.set(area, (out.get(area) ?? 0) + us);
  });
  return [...out]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([area, us]) => ({ area, selfPercent: Number(((100 * us) / Math.max(1, total)).toFixed(1)) }));
}

export interface ProfileSummary {
  file: string;
  frames: Frame[];
  areas: { area: string; selfPercent: number }[];
}

export function summarizeProfile(file: string, count = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  return { file: relative(process.cwd(), file), frames: topFrames(profile, count), areas: areas(profile) };
}

/** Every `.cpuprofile` in `dir`, oldest first. */
export function profilesIn(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

export const formatFrames = (frames: Frame[]): string[] => frames.map((f) => `${f.selfPercent.toFixed(1).padStart(5)}%  ${f.name}  ${f.location}`);
