import type { ProjectionStatus, RebuildProgress } from '../api';
import { route } from '../client';
import { ApiError, UnreachableError } from '../errors';
import { formatCount, progressBar } from '../output';
import { Context, VerbSpec } from '../verb';

/**
 * Operator tools for the projection (issue 7): the permission cache that checks read,
 * built from the event store. Platform root key only.
 */

const STATUS = route`/v1/admin/projection`;
const POLL_MS = 200;
const LOG_EVERY_MS = 2000;

/** The server refuses other keys with PERMISSION.DENIED: say that only the root key may. */
async function asRoot<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof ApiError && error.problem.code === 'PERMISSION.DENIED' && error.problem.reason === undefined) error.problem.reason = 'ROOT_ONLY';
    throw error;
  }
}

const seconds = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`);

/** `5,400/12,000 events  10,234 events/s`. */
function counts(r: RebuildProgress): string {
  return `${formatCount(Number(r.applied))}/${formatCount(Number(r.total))} events  ${formatCount(r.eventsPerSecond)} events/s`;
}

/** The progress line, fitted to the terminal when there is one. */
export function progressLine(r: RebuildProgress, columns?: number): string {
  const applied = Number(r.applied);
  const total = Number(r.total);
  if (columns === undefined) return `rebuilding: ${counts(r)} (${total > 0 ? Math.floor((Math.min(applied, total) / total) * 100) : 100}%)`;
  // Padded so that the line keeps its length (and the bar its width) as the numbers grow.
  const of = formatCount(total);
  const text = `  ${formatCount(applied).padStart(of.length)}/${of} events  ${formatCount(r.eventsPerSecond).padStart(7)} events/s`;
  const bar = Math.max(10, Math.min(40, columns - 1 - text.length - 'rebuilding [] 100%'.length));
  return `rebuilding ${progressBar(applied, total, bar)}${text}`.slice(0, Math.max(0, columns - 1));
}

/** `Rebuilt the projection: 12,000 events in 0.4 s (30,000 events/s); checkpoint …, head …, lag 0`. */
export function summary(status: ProjectionStatus): string {
  const r = status.rebuild!;
  const applied = Number(r.applied);
  const ms = r.finishedAt ? Date.parse(r.finishedAt) - Date.parse(r.startedAt) : NaN;
  // Timed to the millisecond by the server: a rebuild faster than that has no meaningful rate.
  const rate = ms > 0 ? (applied * 1000) / ms : r.eventsPerSecond;
  const took = Number.isFinite(ms) ? ` in ${ms > 0 ? seconds(ms) : 'under 1 ms'}` : '';
  const speed = rate > 0 ? ` (${formatCount(rate)} events/s)` : '';
  return `Rebuilt the projection: ${formatCount(applied)} events${took}${speed}; checkpoint ${status.checkpoint}, head ${status.head}, lag ${status.lag}`;
}

/**
 * Polls the status every 200 ms until the rebuild finishes. On a terminal, a progress bar
 * redraws itself on stderr; otherwise (a log, CI) a line every 2 s. Gives up, exit 5,
 * when nothing was applied for --timeout.
 */
async function follow(ctx: Context): Promise<ProjectionStatus> {
  const terminal = ctx.out.terminal;
  let loggedAt = Date.now();
  let applied = -1;
  let movedAt = Date.now();
  for (;;) {
    const status = await asRoot(ctx.client.get<ProjectionStatus>(STATUS));
    const r = status.rebuild;
    if (!r) throw new UnreachableError('Gatehouse reports no rebuild any more: did it restart?', 'see `gatehouse projection status`; start the rebuild again if the cache lags');
    const now = Date.now();
    if (terminal) ctx.out.note(`\r${progressLine(r, terminal.columns)}\x1b[K`);
    else if (now - loggedAt >= LOG_EVERY_MS && !r.finishedAt) {
      ctx.out.note(progressLine(r) + '\n');
      loggedAt = now;
    }
    if (r.finishedAt) {
      if (terminal) ctx.out.note('\n');
      return status;
    }
    if (Number(r.applied) !== applied) {
      applied = Number(r.applied);
      movedAt = now;
    } else if (now - movedAt > ctx.settings.timeoutMs) {
      if (terminal) ctx.out.note('\n');
      throw new UnreachableError(
        `the rebuild applied nothing for ${seconds(now - movedAt)} (at ${formatCount(applied)}/${formatCount(Number(r.total))} events)`,
        "it goes on in the server: see `gatehouse projection status`, and the server's /readyz and logs; --timeout waits longer",
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export const projectionVerbs: VerbSpec[] = [
  {
    path: ['projection', 'status'],
    summary: "the permission cache's checkpoint against the store's head, and the latest rebuild (root key only)",
    description: [
      'checkpoint: the last store position the permission cache has applied; head: the last',
      'position in the store; lag: how many positions the cache is behind. Checks passing',
      '--at-least wait for the cache to reach their revision.',
    ].join('\n'),
    examples: ['gatehouse projection status --api-key "$GATEHOUSE_ROOT_KEY"', 'gatehouse projection status --json | jq .lag'],
    async run(ctx) {
      const status = await asRoot(ctx.client.get<ProjectionStatus>(STATUS));
      if (ctx.out.json) return ctx.out.data(status);
      const r = status.rebuild;
      ctx.out.fields([
        ['checkpoint', status.checkpoint],
        ['head', status.head],
        ['lag', status.lag],
        ['projector', status.running === undefined ? undefined : status.running ? 'running' : 'stopped'],
        ['rebuilding', status.rebuilding],
        ['last rebuild', r ? `started ${r.startedAt}` : 'none since the server started'],
        ...(r
          ? ([
              ['  applied', `${formatCount(Number(r.applied))}/${formatCount(Number(r.total))} events, ${formatCount(r.eventsPerSecond)} events/s`],
              ['  finished', r.finishedAt ?? 'not yet'],
            ] as const)
          : []),
      ]);
    },
  },
  {
    path: ['projection', 'rebuild'],
    summary: 'drop the permission cache and replay the whole store into it (root key only)',
    options: { wait: { type: 'boolean', help: 'follow the rebuild to its end, with a progress bar on stderr' } },
    description: [
      'The server empties the cache (Redis or in-process) and replays every event from',
      'position zero. Meanwhile checks deny what the cache does not know yet (fail closed).',
      'Without --wait it returns at once; `gatehouse projection status` shows the progress.',
      'With --wait it polls the status every 200 ms: a progress bar with events/s when stderr',
      'is a terminal, a line every 2 s otherwise; then a summary line. It gives up (exit 5,',
      'the rebuild goes on) when nothing is applied for --timeout.',
    ].join('\n'),
    examples: ['gatehouse projection rebuild --wait --api-key "$GATEHOUSE_ROOT_KEY"', 'gatehouse projection rebuild --wait --json | jq .rebuild.eventsPerSecond'],
    async run(ctx) {
      const started = await asRoot(ctx.client.post<{ startedAt: string; total?: string | number }>(route`/v1/admin/projection/rebuild`));
      if (!ctx.input.flag('wait')) {
        if (ctx.out.json) return ctx.out.data(started);
        const what = started.total !== undefined ? `: replaying ${formatCount(Number(started.total))} events into the permission cache` : '';
        ctx.out.print(`Rebuild started at ${started.startedAt}${what}.\nFollow it with \`gatehouse projection status\`, or start it with --wait.`);
        return;
      }
      const status = await follow(ctx);
      if (ctx.out.json) ctx.out.data(status);
      else ctx.out.print(summary(status));
    },
  },
];
