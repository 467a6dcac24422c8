import { DEFAULT_SERVER, DEFAULT_TIMEOUT_SECONDS } from './config';
import { GLOBAL_OPTIONS } from './parse';
import { OptionSpec, VerbSpec } from './verb';

const name = (path: readonly string[]) => ['gatehouse', ...path].join(' ');

function optionSyntax(option: string, spec: OptionSpec): string {
  return spec.type === 'boolean' ? `--${option}` : `--${option} ${spec.value ?? '<value>'}`;
}

/** `gatehouse user create --email <email> [--role <role>]… [options]` */
export function usageLine(verb: VerbSpec): string {
  const parts = [name(verb.path), ...(verb.args ?? [])];
  for (const [option, spec] of Object.entries(verb.options ?? {})) {
    const syntax = optionSyntax(option, spec) + (spec.multiple ? '…' : '');
    parts.push(spec.required ? syntax : `[${syntax}]`);
  }
  return parts.join(' ');
}

function optionLines(options: Readonly<Record<string, OptionSpec & { short?: string }>>): string[] {
  const rows = Object.entries(options).map(([option, spec]) => [
    (spec.short ? `-${spec.short}, ` : '') + optionSyntax(option, spec),
    spec.help + (spec.multiple ? ' (repeatable)' : '') + (spec.required ? ' (required)' : ''),
  ]);
  const width = Math.max(...rows.map(([syntax]) => syntax.length));
  return rows.map(([syntax, help]) => `  ${syntax.padEnd(width)}  ${help}`);
}

export function verbHelp(verb: VerbSpec): string {
  const lines = [`${name(verb.path)}: ${verb.summary}`, '', 'Usage:', `  ${usageLine(verb)}`];
  if (verb.description) lines.push('', ...verb.description.split('\n').map((l) => (l ? `  ${l}` : '')));
  if (verb.options && Object.keys(verb.options).length) lines.push('', 'Options:', ...optionLines(verb.options));
  lines.push('', 'Global options:', ...optionLines(GLOBAL_OPTIONS));
  lines.push('', 'Examples:', ...verb.examples.map((e) => `  ${e}`), '');
  return lines.join('\n');
}

export function groupHelp(prefix: readonly string[], verbs: readonly VerbSpec[]): string {
  const inGroup = verbs.filter((v) => prefix.every((p, i) => v.path[i] === p));
  const width = Math.max(...inGroup.map((v) => name(v.path).length));
  return [
    `Verbs of ${name(prefix)}:`,
    ...inGroup.map((v) => `  ${name(v.path).padEnd(width)}  ${v.summary}`),
    '',
    `Run '${name(prefix)} <verb> --help' for a verb's options and examples.`,
    '',
  ].join('\n');
}

export function mainHelp(verbs: readonly VerbSpec[]): string {
  // One line per group (`user  create, accept, …`); a verb without a group shows its summary.
  const groups = new Map<string, string[]>();
  for (const v of verbs) {
    const group = v.path.length > 1 ? v.path[0] : v.path.join(' ');
    const entry = groups.get(group) ?? [];
    entry.push(v.path.length > 1 ? v.path.slice(1).join(' ') : v.summary);
    groups.set(group, entry);
  }
  const width = Math.max(...[...groups.keys()].map((g) => g.length));
  return [
    'gatehouse: manage a Gatehouse account (users, roles, teams, API keys, resources), check permissions,',
    'look up who may do what, and read the audit log.',
    '',
    'Usage:',
    '  gatehouse <verb> [arguments] [options]',
    '',
    'Verbs:',
    ...[...groups].map(([group, entries]) => `  ${group.padEnd(width)}  ${entries.join(', ')}`),
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Where the connection comes from (first found wins): the flags; the profile named by',
    '--profile or GATEHOUSE_PROFILE; GATEHOUSE_SERVER, GATEHOUSE_API_KEY and',
    `GATEHOUSE_ACCOUNT; the profile named "default"; ${DEFAULT_SERVER}. Profiles live in`,
    '~/.config/gatehouse/profiles.json (or GATEHOUSE_CONFIG); see `gatehouse profile set --help`.',
    `Each call gives up after ${DEFAULT_TIMEOUT_SECONDS} s (--timeout).`,
    '',
    'Exit codes:',
    '  0  done (check: allowed)',
    '  1  refused by the server (check: denied)',
    '  2  usage error: bad arguments',
    '  3  not authenticated or not allowed (HTTP 401/403)',
    '  4  not found (HTTP 404)',
    '  5  server unreachable, timed out or failing (HTTP 5xx)',
    '',
    "Run 'gatehouse <group> --help' for its verbs, 'gatehouse <group> <verb> --help' for a verb's",
    'options and examples.',
    '',
  ].join('\n');
}
