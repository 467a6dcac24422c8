import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { benchAudit } from './audit.bench';
import { benchEvaluatorScaling } from './evaluator.bench';
import { startRedisServer } from '../test/support/redis-server';

/**
 * `npm run bench [-- --quick]`: measures side by side in one run and writes
 * bench/results/<date>.json and .md. Targets are checked here, never in unit tests.
 */
async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    cores: cpus().length,
    cpu: cpus()[0]?.model,
    quick,
  };
  const scaling = benchEvaluatorScaling(quick);
  results.evaluatorScaling = scaling;

  // A private redis-server for the Redis figures (REDIS_URL wins when set).
  const redis = process.env.REDIS_URL ? { url: process.env.REDIS_URL, stop: async () => undefined } : await startRedisServer().catch(() => null);
  const audit = await benchAudit(quick, redis?.url);
  await redis?.stop();
  results.audit = audit;

  const n = (x: number) => x.toLocaleString('en-US');
  const verdict = (met: boolean | null, missed: string) => (met === null ? 'not run (no redis-server)' : met ? 'met' : `MISSED: ${missed}`);
  const rows = [
    ['evaluator checks/s, 10 roles held, account of 10 roles', n(scaling.smallChecksPerSecond), ''],
    ['evaluator checks/s, 10 roles held, account of 10,000 roles', n(scaling.largeChecksPerSecond), ''],
    ['large ÷ small cost per check (target ≤ 1.2×)', `${scaling.ratio}×`, scaling.met ? 'met' : `MISSED by ${(scaling.ratio - 1.2).toFixed(3)}`],
    [`audit export from SQLite, ${n(audit.events)} events (target ≥ 50,000/s)`, `${n(audit.exportEventsPerSecond)}/s`, verdict(audit.targets.export, `${n(audit.exportEventsPerSecond)}/s`)],
    [`as-of check, account of ${n(audit.events)} events, warm p50 / p99 (target < 50 ms)`, `${audit.asOfWarmP50Ms} / ${audit.asOfWarmP99Ms} ms`, verdict(audit.targets.asOf, `${audit.asOfWarmP99Ms} ms`)],
    ['as-of check, first answer (builds the snapshots)', `${audit.asOfColdMs} ms`, ''],
    ['projection rebuild into Redis (target ≥ 50,000 events/s)', audit.rebuildRedisEventsPerSecond === null ? '—' : `${n(audit.rebuildRedisEventsPerSecond)}/s`, verdict(audit.targets.rebuildRedis, `${n(audit.rebuildRedisEventsPerSecond ?? 0)}/s`)],
    ['projection rebuild into the in-process cache', `${n(audit.rebuildInProcessEventsPerSecond)}/s`, ''],
  ];
  const md = [
    `# Gatehouse benchmark, ${results.date}`,
    '',
    `Node ${process.version}, ${cpus().length} cores (${String(results.cpu)})${quick ? ', quick run' : ''}.`,
    '',
    '| measure | value | target |',
    '|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ].join('\n');
  const dir = join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = String(results.date).replace(/[:.]/g, '-');
  writeFileSync(join(dir, `${stamp}.json`), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(dir, `${stamp}.md`), md);
  writeFileSync(join(dir, 'latest.md'), md);
  process.stdout.write(md + `\nwritten to bench/results/${stamp}.json\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
