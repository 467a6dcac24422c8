import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

/**
 * Preloaded into a benchmarked server (`node -r …/profiler-hook.js main.js`) when the run
 * profiles: SIGUSR2 starts the CPU profiler, the next SIGUSR2 stops it and writes
 * `<BENCH_PROFILE_DIR>/<nn>.cpuprofile`, so that one load phase is profiled and not the
 * start-up. With BENCH_PROFILE_KIND=heap it samples allocation instead (`.heapprofile`).
 */
const dir = process.env.BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  let running = false;
  let n = 0;
  const heap = process.env.BENCH_PROFILE_KIND === 'heap';
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      if (heap) session.post('HeapProfiler.enable', () => session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as object));
      else session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 200 }, () => session.post('Profiler.start')));
      return;
    }
    // Written under a temporary name, then renamed: the parent waits for the final name.
    const written = (error: Error | null, result: { profile: object }, extension: string) => {
      running = false;
      if (error) return;
      const file = join(dir, `${String(n++).padStart(2, '0')}${extension}`);
      writeFileSync(file + '.tmp', JSON.stringify(result.profile));
      renameSync(file + '.tmp', file);
    };
    if (heap) session.post('HeapProfiler.stopSampling', (error, result) => written(error, result, '.heapprofile'));
    else session.post('Profiler.stop', (error, result) => written(error, result, '.cpuprofile'));
  });
}
