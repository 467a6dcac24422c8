import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { benchEvaluatorScaling } from './evaluator.bench';

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

  const rows = [
    ['evaluator checks/s, 10 roles held, account of 10 roles', scaling.smallChecksPerSecond.toLocaleString('en-US'), ''],
    ['evaluator checks/s, 10 roles held, account of 10,000 roles', scaling.largeChecksPerSecond.toLocaleString('en-US'), ''],
    ['large ÷ small cost per check (target ≤ 1.2×)', `${scaling.ratio}×`, scaling.met ? 'met' : `MISSED by ${(scaling.ratio - 1.2).toFixed(3)}`],
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
