import { GatehouseClient } from './client';
import { Env, resolveSettings, Settings } from './config';
import { ApiError, EXIT, hintFor, UnreachableError, UsageError } from './errors';
import { groupHelp, mainHelp, usageLine, verbHelp } from './help';
import { Output, Writer } from './output';
import { firstPositional, helpRequested, locate, parseVerb } from './parse';
import { Context, VerbSpec } from './verb';
import { VERBS } from './commands';

export interface Io {
  stdout: Writer;
  stderr: Writer;
  env: Env;
}

const name = (path: readonly string[]) => ['gatehouse', ...path].join(' ');

/** One invocation of the CLI: argv in, exit code out (see errors.ts for the codes). */
export async function run(argv: readonly string[], io: Io, verbs: readonly VerbSpec[] = VERBS): Promise<number> {
  if (argv[0] === 'help') return run([...argv.slice(1), '--help'], io, verbs);
  const { path, rest } = locate(argv, verbs);
  const wantsHelp = helpRequested(rest);
  const verb = verbs.find((v) => v.path.length === path.length && v.path.every((w, i) => path[i] === w));

  if (!verb) {
    const word = firstPositional(rest);
    if (word !== undefined) {
      io.stderr.write(`gatehouse: unknown verb '${word}'${path.length ? ` for '${name(path)}'` : ''}\n\n`);
      io.stderr.write(path.length ? groupHelp(path, verbs) : "Run 'gatehouse --help' for the list of verbs.\n");
      return EXIT.usage;
    }
    const help = path.length ? groupHelp(path, verbs) : mainHelp(verbs);
    if (wantsHelp) {
      io.stdout.write(help);
      return EXIT.ok;
    }
    io.stderr.write(`gatehouse: ${path.length ? `which '${name(path)}' verb?` : 'which verb?'}\n\n${help}`);
    return EXIT.usage;
  }
  if (wantsHelp) {
    io.stdout.write(verbHelp(verb));
    return EXIT.ok;
  }

  let settings: Settings | undefined;
  let out = new Output(io.stdout, io.stderr, false);
  try {
    const { input, flags } = parseVerb(verb, rest);
    settings = resolveSettings(flags, io.env, { profiles: !verb.ownsProfiles });
    out = new Output(io.stdout, io.stderr, settings.json);
    const resolved = settings;
    const ctx: Context = {
      input,
      settings,
      flags,
      env: io.env,
      out,
      client: new GatehouseClient({ server: settings.server, apiKey: settings.apiKey, timeoutMs: settings.timeoutMs }),
      account: () => {
        if (!resolved.account) throw new UsageError('no account: pass --account <id>, set GATEHOUSE_ACCOUNT, or use a profile that names one');
        return resolved.account;
      },
    };
    return (await verb.run(ctx)) ?? EXIT.ok;
  } catch (error) {
    return report(error, verb, settings, out, io);
  }
}

function report(error: unknown, verb: VerbSpec, settings: Settings | undefined, out: Output, io: Io): number {
  if (error instanceof UsageError) {
    io.stderr.write(`gatehouse: ${error.message}\n\nUsage:\n  ${usageLine(verb)}\n\nRun '${name(verb.path)} --help' for details and examples.\n`);
    return EXIT.usage;
  }
  if (error instanceof ApiError) {
    const { problem } = error;
    if (out.json) out.data(problem);
    const lines = [`error: ${problem.detail ?? problem.title ?? 'refused'} (${problem.code})`];
    for (const e of problem.errors ?? []) lines.push(`  ${e.pointer ?? '#'}: ${e.message ?? ''}`);
    lines.push(...error.notes);
    const hint = hintFor(problem, settings?.account);
    if (hint) lines.push(`hint: ${hint}`);
    io.stderr.write(lines.join('\n') + '\n');
    return error.exitCode;
  }
  if (error instanceof UnreachableError) {
    io.stderr.write(`error: ${error.message}\nhint: ${error.hint}\n`);
    return EXIT.unavailable;
  }
  const message = error instanceof Error ? (io.env.GATEHOUSE_DEBUG ? (error.stack ?? error.message) : error.message) : String(error);
  io.stderr.write(`gatehouse: unexpected error: ${message}\n`);
  return EXIT.refused;
}
