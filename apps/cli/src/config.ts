import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from './errors';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';
export const DEFAULT_TIMEOUT_SECONDS = 30;

export interface Profile {
  server?: string;
  apiKey?: string;
  account?: string;
}

export type Env = Record<string, string | undefined>;

/** Where the connection comes from; resolved once per invocation. */
export interface Settings {
  server: string;
  apiKey?: string;
  account?: string;
  timeoutMs: number;
  json: boolean;
}

/** The global flags as typed on the command line (absent = not given). */
export interface GlobalFlags {
  server?: string;
  apiKey?: string;
  account?: string;
  profile?: string;
  timeout?: string;
  json: boolean;
}

export function profilesPath(env: Env): string {
  if (env.GATEHOUSE_CONFIG) return env.GATEHOUSE_CONFIG;
  const home = env.HOME ?? env.USERPROFILE;
  if (!home) throw new UsageError('cannot find the profile file: set GATEHOUSE_CONFIG or HOME');
  return join(home, '.config', 'gatehouse', 'profiles.json');
}

/** `{ "<name>": { "server", "apiKey", "account" } }`; a missing file is no profiles. */
export function readProfiles(path: string): Record<string, Profile> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UsageError(`cannot read the profile file ${path}: ${(error as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('expected an object of profiles');
    return parsed as Record<string, Profile>;
  } catch (error) {
    throw new UsageError(`the profile file ${path} is not valid: ${(error as Error).message}`);
  }
}

/** Written whole through a temporary file, readable by its owner only: it holds API keys. */
export function writeProfiles(path: string, profiles: Record<string, Profile>): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(profiles, null, 2) + '\n', { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/**
 * Precedence, most specific first: a flag; the profile named by --profile or
 * GATEHOUSE_PROFILE; GATEHOUSE_SERVER / GATEHOUSE_API_KEY / GATEHOUSE_ACCOUNT; a profile
 * named "default"; the built-in default. A named profile beats the environment so that
 * `--profile prod` never mixes prod's server with a key left in the shell.
 */
export function resolveSettings(flags: GlobalFlags, env: Env, options: { profiles: boolean } = { profiles: true }): Settings {
  const profileName = options.profiles ? (flags.profile ?? env.GATEHOUSE_PROFILE) : undefined;
  let named: Profile = {};
  let fallback: Profile = {};
  if (profileName !== undefined) {
    const path = profilesPath(env);
    const profiles = readProfiles(path);
    if (!Object.prototype.hasOwnProperty.call(profiles, profileName)) {
      throw new UsageError(`no profile "${profileName}" in ${path}: create it with \`gatehouse profile set ${profileName} --server … --api-key … --account …\``);
    }
    named = profiles[profileName];
  } else if (options.profiles && (env.GATEHOUSE_CONFIG || env.HOME)) {
    fallback = readProfiles(profilesPath(env)).default ?? {};
  }
  const pick = (flag: string | undefined, key: keyof Profile, variable: string) =>
    nonEmpty(flag) ?? nonEmpty(named[key]) ?? nonEmpty(env[variable]) ?? nonEmpty(fallback[key]);

  const server = pick(flags.server, 'server', 'GATEHOUSE_SERVER') ?? DEFAULT_SERVER;
  return {
    server: validServer(server),
    apiKey: pick(flags.apiKey, 'apiKey', 'GATEHOUSE_API_KEY'),
    account: pick(flags.account, 'account', 'GATEHOUSE_ACCOUNT'),
    timeoutMs: timeout(flags.timeout),
    json: flags.json,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function validServer(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new UsageError(`--server must be a URL such as ${DEFAULT_SERVER}, not "${server}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--server must use http:// or https://, not "${url.protocol}"`);
  return server.replace(/\/+$/, '');
}

function timeout(value: string | undefined): number {
  if (value === undefined) return DEFAULT_TIMEOUT_SECONDS * 1000;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--timeout must be a positive number of seconds, not "${value}"`);
  return Math.round(seconds * 1000);
}

/** An API key as it may be shown: its public id, never its secret. */
export function maskKey(key: string | undefined): string {
  if (!key) return '-';
  const match = /^(gh_[a-z2-7]+)_/.exec(key);
  return match ? `${match[1]}_…` : '(set)';
}
