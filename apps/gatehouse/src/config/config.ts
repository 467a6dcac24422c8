/**
 * Configuration is read from the environment once, at startup, and validated: a bad
 * value stops the process with a message naming the variable.
 */
export interface Config {
  port: number;
  host: string;
  /** gRPC port (GRPC_PORT, default 50051; 0 picks a free one) and bind address (GRPC_HOST, default HOST). */
  grpcPort: number;
  grpcHost: string;
  dataDir: string;
  /** Set: EventStoreDB is the store; unset: the embedded SQLite file under dataDir. */
  eventStoreConnectionString?: string;
  eventStoreDeadlineMs: number;
  /** Set: Redis is the permission cache; unset: the in-process cache. */
  redisUrl?: string;
  redisPrefix: string;
  /** The platform root key; when unset in embedded mode one is generated and printed once. */
  rootKey?: string;
  /** How long a check with `consistency.atLeast` waits for the cache to reach that revision. */
  consistencyTimeoutMs: number;
  invitationTtlHours: number;
  /** Which parts this instance runs: the API, the projector, or both (embedded default). */
  roles: { api: boolean; projector: boolean };
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** account → emails that become admins at startup (and at the account's creation), Adaptive's Helm values. */
  seedAdmins: Map<string, string[]>;
  bodyLimitBytes: number;
  /** Failed authentications per source address and minute before answers turn to 429. */
  authFailuresPerMinute: number;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function url(env: Env, name: string, schemes: string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a valid URL: "${raw}"`);
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  if (!schemes.includes(scheme)) throw new ConfigError(name, `must use ${schemes.join(' or ')}://, got ${scheme}://`);
  return raw;
}

/** `acme:alice@x.test,acme:bob@y.test,globex:carol@z.test` */
function seedAdmins(raw: string | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const item of (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z0-9][a-z0-9-]{0,62}):([^\s@:,]+@[^\s@:,]+\.[^\s@:,]+)$/.exec(item);
    if (!m) throw new ConfigError('GATEHOUSE_SEED_ADMINS', `expected account:email items separated by commas, got "${item}"`);
    out.set(m[1], [...(out.get(m[1]) ?? []), m[2]]);
  }
  return out;
}

export function loadConfig(env: Env = process.env): Config {
  const rootKey = env.GATEHOUSE_ROOT_KEY || undefined;
  if (rootKey !== undefined && rootKey.length < 32) {
    throw new ConfigError('GATEHOUSE_ROOT_KEY', 'must be at least 32 characters (generate one with `openssl rand -hex 32`)');
  }
  const rolesRaw = (env.GATEHOUSE_ROLES ?? 'api,projector').split(',').map((s) => s.trim()).filter(Boolean);
  for (const r of rolesRaw) {
    if (r !== 'api' && r !== 'projector') throw new ConfigError('GATEHOUSE_ROLES', `unknown role "${r}" (expected api, projector)`);
  }
  if (rolesRaw.length === 0) throw new ConfigError('GATEHOUSE_ROLES', 'must name at least one of api, projector');
  const logLevel = (env.LOG_LEVEL ?? 'info') as Config['logLevel'];
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of debug, info, warn, error, silent; got "${logLevel}"`);
  }
  const port = int(env, 'PORT', 8080, 0, 65535);
  const grpcPort = int(env, 'GRPC_PORT', 50051, 0, 65535);
  if (grpcPort !== 0 && grpcPort === port) throw new ConfigError('GRPC_PORT', `must differ from PORT (both are ${port})`);
  const grpcHost = env.GRPC_HOST || env.HOST || '0.0.0.0';
  if (!/^[A-Za-z0-9.:-]{1,253}$/.test(grpcHost)) throw new ConfigError('GRPC_HOST', `must be a host name or IP address, got "${grpcHost}"`);
  const redisPrefix = env.REDIS_PREFIX ?? 'gh';
  if (!/^[A-Za-z0-9_.-]{1,32}$/.test(redisPrefix)) throw new ConfigError('REDIS_PREFIX', 'must be 1-32 of A-Z a-z 0-9 _ . -');
  return {
    seedAdmins: seedAdmins(env.GATEHOUSE_SEED_ADMINS),
    port,
    host: env.HOST || '0.0.0.0',
    grpcPort,
    grpcHost,
    dataDir: env.GATEHOUSE_DATA_DIR || './data',
    eventStoreConnectionString: url(env, 'EVENTSTORE_CONNECTION_STRING', ['esdb', 'esdb+discover', 'kurrentdb', 'kurrentdb+discover']),
    eventStoreDeadlineMs: int(env, 'EVENTSTORE_DEADLINE_MS', 5000, 100, 120000),
    redisUrl: url(env, 'REDIS_URL', ['redis', 'rediss']),
    redisPrefix,
    rootKey,
    consistencyTimeoutMs: int(env, 'GATEHOUSE_CONSISTENCY_TIMEOUT_MS', 2000, 0, 60000),
    invitationTtlHours: int(env, 'GATEHOUSE_INVITATION_TTL_HOURS', 168, 1, 24 * 90),
    roles: { api: rolesRaw.includes('api'), projector: rolesRaw.includes('projector') },
    logLevel,
    bodyLimitBytes: int(env, 'GATEHOUSE_BODY_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    authFailuresPerMinute: int(env, 'GATEHOUSE_AUTH_FAILURES_PER_MINUTE', 30, 1, 1_000_000),
  };
}
