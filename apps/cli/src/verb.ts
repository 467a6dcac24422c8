import type { GatehouseClient } from './client';
import type { Env, GlobalFlags, Settings } from './config';
import { UsageError } from './errors';
import type { Output } from './output';

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** May be given several times; the values are collected in order. */
  multiple?: boolean;
  /** Placeholder shown in help, e.g. `<email>`. */
  value?: string;
  help: string;
  required?: boolean;
}

/**
 * One verb of the CLI: its path (`['user', 'create']`), positionals (`<USER_ID>`
 * required, `[<resource>]` optional), options, help and handler. The parser, help and
 * usage errors are all driven by this description.
 */
export interface VerbSpec {
  path: readonly string[];
  summary: string;
  args?: readonly string[];
  options?: Readonly<Record<string, OptionSpec>>;
  /** Longer explanation shown by --help. */
  description?: string;
  examples: readonly string[];
  /** Rewrites the positionals before they are checked against `args` (e.g. `type/id` as `type id`). */
  expandArgs?(positionals: readonly string[]): string[];
  /** Manages the profile file itself: the connection comes from flags and environment only. */
  ownsProfiles?: boolean;
  run(ctx: Context): Promise<number | void>;
}

export interface Context {
  input: Input;
  settings: Settings;
  flags: GlobalFlags;
  env: Env;
  out: Output;
  client: GatehouseClient;
  /** The account to act in; a usage error when none is configured. */
  account(): string;
}

export const argName = (spec: string) => spec.replace(/[[\]<>.…]/g, '');
export const isOptionalArg = (spec: string) => spec.startsWith('[');

/** Parsed arguments of one invocation, read by name. */
export class Input {
  constructor(
    private readonly positionals: Readonly<Record<string, string | undefined>>,
    private readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>,
  ) {}

  /** A required positional (presence checked by the parser). */
  arg(name: string): string {
    const value = this.positionals[name];
    if (value === undefined) throw new Error(`positional ${name} was not declared as required`);
    return value;
  }

  optionalArg(name: string): string | undefined {
    return this.positionals[name];
  }

  string(name: string): string | undefined {
    const value = this.values[name];
    return typeof value === 'string' ? value : undefined;
  }

  strings(name: string): string[] {
    const value = this.values[name];
    return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }
}

/** Throws a usage error unless the value is a positive whole number. */
export function positiveInteger(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]{0,8}$/.test(value)) throw new UsageError(`--${option} must be a positive whole number, not "${value}"`);
  return Number(value);
}

/** RFC 3339 for the server; a bare date means midnight UTC. */
export function timestamp(option: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const time = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(time)) {
    throw new UsageError(`--${option} must be a date or time such as 2026-12-31 or 2026-12-31T00:00:00Z, not "${value}"`);
  }
  return new Date(time).toISOString();
}

/** A revision (position in the store) as the server prints it: digits. */
export function revision(option: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]{1,20}$/.test(value)) throw new UsageError(`--${option} must be a revision (a whole number, as every write prints), not "${value}"`);
  return value;
}

/** A point in the past: a revision (digits) or a date or time (RFC 3339 for the server). */
export function revisionOrTime(option: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (/^[0-9]{1,20}$/.test(value)) return value;
  try {
    return timestamp(option, value);
  } catch {
    throw new UsageError(`--${option} must be a revision (a number a write printed, e.g. 42) or a time such as 2026-11-03T10:00:00Z, not "${value}"`);
  }
}
