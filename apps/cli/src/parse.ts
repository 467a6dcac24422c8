import { parseArgs } from 'node:util';
import type { GlobalFlags } from './config';
import { UsageError } from './errors';
import { argName, Input, isOptionalArg, OptionSpec, VerbSpec } from './verb';

type GlobalOption = OptionSpec & { short?: string };

/** Accepted before or after the verb, by every verb. */
export const GLOBAL_OPTIONS: Readonly<Record<string, GlobalOption>> = {
  server: { type: 'string', value: '<url>', help: 'Gatehouse base URL (GATEHOUSE_SERVER; default http://127.0.0.1:8080)' },
  'api-key': { type: 'string', value: '<key>', help: 'API key to authenticate with (GATEHOUSE_API_KEY)' },
  account: { type: 'string', value: '<id>', help: 'account to act in (GATEHOUSE_ACCOUNT)' },
  profile: { type: 'string', value: '<name>', help: 'take server, key and account from this saved profile (GATEHOUSE_PROFILE)' },
  json: { type: 'boolean', help: "print the server's JSON answer instead of a table" },
  timeout: { type: 'string', value: '<seconds>', help: 'give up on a call after this long (default 30)' },
  help: { type: 'boolean', short: 'h', help: 'show help for the verb' },
};

const takesValue = (token: string) => {
  const option = token.startsWith('--') ? token.slice(2) : undefined;
  return option !== undefined && !option.includes('=') && GLOBAL_OPTIONS[option]?.type === 'string';
};

/**
 * Splits argv into the verb path and the rest. Words are taken into the path while they
 * extend some verb's path (`service-account key create`); global options may come
 * before the verb. The first word that does not fit is left in the rest, where it is
 * either the verb's first positional or reported as an unknown verb.
 */
export function locate(argv: readonly string[], verbs: readonly VerbSpec[]): { path: string[]; rest: string[] } {
  const path: string[] = [];
  const rest: string[] = [];
  let pathOpen = true;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (token.startsWith('-') && token !== '-') {
      rest.push(token);
      if (takesValue(token) && i + 1 < argv.length) rest.push(argv[++i]);
      continue;
    }
    const candidate = [...path, token];
    if (pathOpen && verbs.some((v) => v.path.length >= candidate.length && candidate.every((w, j) => v.path[j] === w))) {
      path.push(token);
    } else {
      pathOpen = false;
      rest.push(token);
    }
  }
  return { path, rest };
}

export function helpRequested(rest: readonly string[]): boolean {
  const end = rest.indexOf('--');
  return (end < 0 ? rest : rest.slice(0, end)).some((t) => t === '--help' || t === '-h');
}

/** The first positional word of the rest (skipping options and their values). */
export function firstPositional(rest: readonly string[]): string | undefined {
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i];
    if (token === '--') return rest[i + 1];
    if (token.startsWith('-') && token !== '-') {
      if (takesValue(token)) i++;
      continue;
    }
    return token;
  }
  return undefined;
}

export interface Parsed {
  input: Input;
  flags: GlobalFlags;
}

/** Parses the rest of argv against the verb's declaration; every problem is a UsageError. */
export function parseVerb(verb: VerbSpec, rest: readonly string[]): Parsed {
  const options = { ...GLOBAL_OPTIONS, ...(verb.options ?? {}) } as Record<string, GlobalOption>;
  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...rest],
      options: Object.fromEntries(
        Object.entries(options).map(([option, spec]) => [option, { type: spec.type, multiple: spec.multiple === true, ...(spec.short ? { short: spec.short } : {}) }]),
      ),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    if (!String((error as { code?: string }).code).startsWith('ERR_PARSE_ARGS')) throw error;
    throw new UsageError(parseArgsMessage(error));
  }

  if (verb.expandArgs) parsed.positionals = verb.expandArgs(parsed.positionals);
  const declared = verb.args ?? [];
  const positionals: Record<string, string | undefined> = {};
  declared.forEach((spec, i) => (positionals[argName(spec)] = parsed.positionals[i]));
  const missing = declared.filter((spec, i) => !isOptionalArg(spec) && parsed.positionals[i] === undefined);
  if (missing.length) throw new UsageError(`missing ${missing.map(argName).join(' and ')}`);
  if (parsed.positionals.length > declared.length) {
    throw new UsageError(`unexpected argument "${parsed.positionals[declared.length]}"`);
  }
  for (const [option, spec] of Object.entries(verb.options ?? {})) {
    if (spec.required && parsed.values[option] === undefined) throw new UsageError(`--${option} is required`);
  }

  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const str = (option: string) => (typeof values[option] === 'string' ? (values[option] as string) : undefined);
  return {
    input: new Input(positionals, values),
    flags: { server: str('server'), apiKey: str('api-key'), account: str('account'), profile: str('profile'), timeout: str('timeout'), json: values.json === true },
  };
}

/** Node's messages, shortened to what a person needs. */
function parseArgsMessage(error: unknown): string {
  const { code, message } = error as { code?: string; message: string };
  const option = /'(-[^' ]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option ${option}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option && message.includes('argument missing')) return `${option} needs a value`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option && message.includes('does not take an argument')) return `${option} takes no value`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option && message.includes('ambiguous')) {
    return `${option} needs a value (write ${option}=<value> for a value that starts with "-")`;
  }
  return message;
}
