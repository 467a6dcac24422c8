import { AccountRecord, CompiledRole, MemberStatus, PrincipalRecord, principalKey } from '@gatehouse/domain';
import { Redis, ReplyError } from 'ioredis';
import { CachedKey, CachedSubject, CacheOp, PermissionCache, PermissionCacheUnavailableError, ResourceRef, SubjectRef, SubjectsRead } from '../permission-cache.port';
import { APPLY_LUA, SUBJECTS_LUA } from './lua';
import { RedisLookups } from '../lookups/redis-lookups';
import { CandidateSet, isLookupOp, PrincipalPage, ResourcePage } from '../lookups/lookups.port';
import { ResourceRecord } from '@gatehouse/domain';

export interface RedisPermissionCacheOptions {
  /** The connection; the cache owns it from now on (`close` quits it). */
  redis: Redis;
  /** Namespace of every key, so several caches (or test files) can share one server. Default `gh`. */
  prefix?: string;
}

/** Reply of the subjects script: meta, checkpoint, key and principal per subject, then role names and their JSON. */
type SubjectsReply = (string | null | (string | null)[])[];

interface ScriptCommands {
  gatehousePermissionCacheApply(...args: string[]): Promise<number>;
  gatehousePermissionCacheSubjects(...args: string[]): Promise<SubjectsReply>;
}

/** Replies that mean "not now" rather than "wrong": the server is loading, busy, failing over. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY|NOREPLICAS)\b/;

/** How long one command may take before the cache counts as unavailable: a hung Redis must not hang checks. */
const COMMAND_TIMEOUT_MS = 5_000;

/**
 * The permission cache in Redis. Per account, in one hash slot (the account is the
 * Cluster hash tag): `<p>:{<account>}:meta` (AccountRecord JSON), `:roles`,
 * `:principals` and `:keys` (hashes of JSON records). Global: `<p>:checkpoint` (decimal)
 * and `<p>:keyaccount` (key id → account).
 *
 * Writes are one Lua script per batch (data and checkpoint together); a subject read is
 * one Lua script too, so a check costs exactly one round trip. Semantics follow the
 * in-process adapter, which the shared contract suite holds both to.
 */
export class RedisPermissionCache implements PermissionCache {
  /** Commands this adapter has sent: a check must cost one (benchmarks and tests read it). */
  roundTrips = 0;

  private readonly redis: Redis & ScriptCommands;
  private readonly prefix: string;
  private readonly checkpointKey: string;
  private readonly keyAccountKey: string;
  /**
   * The checkpoint the next apply expects to find: the last one this adapter wrote (or,
   * before it wrote any, the first it read). Null when unknown: at first, after a clear,
   * after an apply failed. Applies sent back to back are executed in order, so each one
   * expects what the one before it leaves.
   */
  private expected: bigint | null = null;
  private applying = 0;

  constructor(options: RedisPermissionCacheOptions) {
    const prefix = options.prefix ?? 'gh';
    if (!prefix || /[{}]/.test(prefix)) {
      throw new Error(`RedisPermissionCache: prefix "${prefix}" must be non-empty and free of braces (they set the Cluster hash tag)`);
    }
    // The apply script builds account keys from the prefix itself, which ioredis' keyPrefix would not reach.
    if (options.redis.options.keyPrefix) {
      throw new Error('RedisPermissionCache: use the prefix option, not an ioredis keyPrefix');
    }
    this.prefix = prefix;
    this.checkpointKey = `${prefix}:checkpoint`;
    this.keyAccountKey = `${prefix}:keyaccount`;
    // defineCommand sends EVALSHA, falling back to EVAL once per connection when the server lacks the script.
    options.redis.defineCommand('gatehousePermissionCacheApply', { numberOfKeys: 2, lua: APPLY_LUA });
    options.redis.defineCommand('gatehousePermissionCacheSubjects', { numberOfKeys: 5, lua: SUBJECTS_LUA });
    this.redis = options.redis as Redis & ScriptCommands;
    this.lookups = new RedisLookups(options.redis, prefix, this.checkpointKey);
  }

  /** The resource registry and lookup indexes (see lookups/redis-lookups.ts). */
  private readonly lookups: RedisLookups;

  static connect(url: string, prefix?: string): RedisPermissionCache {
    const redis = new Redis(url, {
      // While Redis is down a check fails after one reconnection attempt (≤ 1 s apart), not after several growing ones.
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(attempt * 50, 1_000),
      commandTimeout: COMMAND_TIMEOUT_MS,
      // No auto-pipelining: a check already costs one script call, and batching the calls of
      // concurrent checks per tick measured no gain (CPU per check at 1,000 checks/s, 10 connections).
    });
    return new RedisPermissionCache({ redis, prefix });
  }

  async apply(position: bigint, ops: CacheOp[]): Promise<boolean> {
    // The script compares decimal strings by length, which holds only without a sign.
    if (position < 0n) throw new RangeError(`cache position must not be negative: ${position}`);
    const expected = this.expected;
    const args = [this.checkpointKey, this.keyAccountKey, this.prefix, position.toString(), expected?.toString() ?? ''];
    for (const op of ops) if (!isLookupOp(op)) args.push(...opArgs(op));
    if (expected !== null && position > expected) this.expected = position;
    this.roundTrips++;
    this.applying++;
    let applied: boolean;
    try {
      applied = await this.applyScripts(position, ops, args);
    } catch (error) {
      // Whatever happened (CHECKPOINT_MOVED included), the writer must re-read the checkpoint before the next batch.
      this.expected = null;
      throw translated('apply', error);
    } finally {
      this.applying--;
    }
    if (applied && (this.expected === null || this.expected < position)) this.expected = position;
    return applied;
  }

  private async applyScripts(position: bigint, ops: CacheOp[], args: string[]): Promise<boolean> {
    const lookupArgs = this.lookups.applyArgs(position, ops);
    if (!lookupArgs) return (await this.redis.gatehousePermissionCacheApply(...args)) === 1;
    // Both scripts in one MULTI: one round trip, and no reader sees one without the other.
    const multi = this.redis.multi() as unknown as ScriptCommands & { gatehouseLookupApply(...a: string[]): unknown; exec(): Promise<[Error | null, unknown][] | null> };
    multi.gatehouseLookupApply(...lookupArgs);
    multi.gatehousePermissionCacheApply(...args);
    const replies = await multi.exec();
    const failed = replies?.find(([error]) => error);
    if (!replies || failed) throw failed?.[0] ?? new Error('Redis MULTI aborted');
    return replies[1][1] === 1;
  }

  async checkpoint(): Promise<bigint | null> {
    this.roundTrips++;
    const raw = await this.read('checkpoint', this.redis.get(this.checkpointKey));
    const value = raw === null ? null : BigInt(raw);
    // A writer that starts by reading the checkpoint (the projector) expects to find it again.
    if (this.expected === null && this.applying === 0 && value !== null) this.expected = value;
    return value;
  }

  async subject(account: string, subject: SubjectRef): Promise<CachedSubject> {
    return (await this.subjects(account, [subject])).subjects[0];
  }

  async subjects(account: string, refs: readonly SubjectRef[], resources: readonly ResourceRef[] = []): Promise<SubjectsRead> {
    const k = this.accountKeys(account);
    const args = [k.meta, k.keys, k.principals, k.roles, this.checkpointKey, String(refs.length)];
    for (const ref of refs) args.push(...('keyId' in ref ? ['key', ref.keyId] : ['principal', principalKey(ref.principal)]));
    for (const r of resources) args.push(r.type, r.id);
    this.roundTrips++;
    const reply = await this.read('subjects', this.redis.gatehousePermissionCacheSubjects(...args));
    const [metaJson, checkpoint] = reply as [string | null, string | null];
    const [roleNames, roleJsons, resourceJsons] = reply.slice(2 + 2 * refs.length) as [string[], (string | null)[], (string | null)[]];

    // Built exactly as InProcessPermissionCache.subjectSync builds it; each role parsed once, however many subjects hold it.
    const record = metaJson === null ? null : (JSON.parse(metaJson) as AccountRecord);
    const position = checkpoint === null ? null : BigInt(checkpoint);
    const definitions = new Map<string, CompiledRole | undefined>();
    roleNames.forEach((name, i) => {
      const json = roleJsons[i];
      definitions.set(name, json ? (JSON.parse(json) as CompiledRole) : undefined);
    });
    const subjects = refs.map((ref, i): CachedSubject => {
      const keyJson = reply[2 + 2 * i] as string | null;
      const principalJson = reply[3 + 2 * i] as string | null;
      const key = 'keyId' in ref ? (keyJson === null ? null : (JSON.parse(keyJson) as CachedKey)) : undefined;
      const principal = principalJson === null ? null : (JSON.parse(principalJson) as PrincipalRecord);
      const roles: Record<string, CompiledRole | undefined> = {};
      if (principal && record) for (const name of principal.roles) roles[name] = definitions.get(name);
      return {
        view: { account: record, principal, roles, ...(key !== undefined ? { key } : {}) },
        ...(key !== undefined ? { key } : {}),
        position,
      };
    });
    return { subjects, resources: resourceJsons.map((json) => (json ? (JSON.parse(json) as ResourceRecord) : null)), position };
  }

  async accountOfKey(keyId: string): Promise<string | null> {
    this.roundTrips++;
    return this.read('accountOfKey', this.redis.hget(this.keyAccountKey, keyId));
  }

  async keys(account: string): Promise<CachedKey[]> {
    this.roundTrips++;
    return (await this.read('keys', this.redis.hvals(this.accountKeys(account).keys))).map((raw) => JSON.parse(raw) as CachedKey);
  }

  async accountsOfUser(userId: string): Promise<{ account: string; status: MemberStatus }[]> {
    this.roundTrips++;
    const all = await this.read('accountsOfUser', this.redis.hgetall(`${this.prefix}:{u:${userId}}:accounts`));
    return Object.entries(all).map(([account, status]) => ({ account, status: status as MemberStatus }));
  }

  async recordKeyUse(account: string, uses: Record<string, number>): Promise<void> {
    const entries = Object.entries(uses);
    if (entries.length === 0) return;
    this.roundTrips++;
    await this.read('recordKeyUse', this.redis.hset(`${this.accountKeys(account).base}keyuse`, Object.fromEntries(entries.map(([k, v]) => [k, String(v)]))));
  }

  async keyUses(account: string): Promise<Record<string, number>> {
    this.roundTrips++;
    const all = await this.read('keyUses', this.redis.hgetall(`${this.accountKeys(account).base}keyuse`));
    return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, Number(v)]));
  }

  async clear(): Promise<void> {
    this.expected = null;
    // Checkpoint first: a clear cut short then leaves a cache that a rebuild overwrites,
    // never stale data that claims to be current.
    this.roundTrips++;
    await this.redis.unlink(this.checkpointKey, this.keyAccountKey);
    const match = `${escapeGlob(this.prefix)}:{*`;
    let cursor = '0';
    do {
      this.roundTrips++;
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) {
        this.roundTrips++;
        await this.redis.unlink(...keys);
      }
    } while (cursor !== '0');
  }

  async resource(account: string, type: string, id: string): Promise<ResourceRecord | null> {
    this.roundTrips++;
    return this.lookups.resource(account, type, id);
  }

  async resourceCandidates(account: string, type: string, sets: CandidateSet[], after: string | null, limit: number): Promise<ResourcePage> {
    this.roundTrips++;
    return this.lookups.resourceCandidates(account, type, sets, after, limit);
  }

  async principalCandidates(account: string, after: string | null, limit: number): Promise<PrincipalPage> {
    this.roundTrips++;
    return this.lookups.principalCandidates(account, after, limit);
  }

  async ping(): Promise<void> {
    this.roundTrips++;
    const reply = await this.read('ping', this.redis.ping());
    if (reply !== 'PONG') throw new Error(`unexpected PING reply from Redis: ${reply}`);
  }

  async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    this.roundTrips++;
    await this.redis.quit();
  }

  /** A command's reply, its failure translated (see `translated`). */
  private async read<T>(what: string, command: Promise<T>): Promise<T> {
    try {
      return await command;
    } catch (error) {
      throw translated(what, error);
    }
  }

  private accountKeys(account: string) {
    const base = `${this.prefix}:{${account}}:`;
    return { base, meta: `${base}meta`, roles: `${base}roles`, principals: `${base}principals`, keys: `${base}keys` };
  }
}

/** One op as the apply script reads it: name, account, field, value. */
function opArgs(op: CacheOp): [string, string, string, string] {
  switch (op.op) {
    case 'account.put':
      return [op.op, op.account, '', JSON.stringify(op.record)];
    case 'account.patch':
      return [op.op, op.account, '', op.status];
    case 'role.put':
      return [op.op, op.account, op.role.name, JSON.stringify(op.role)];
    case 'role.delete':
      return [op.op, op.account, op.name, ''];
    case 'principal.put':
      return [op.op, op.account, principalKey(op.principal), JSON.stringify(op.principal)];
    case 'principal.patch': {
      // `?? undefined` drops nulls too, as `??` and `?:` do in patchPrincipal; cjson would keep them.
      const patch = {
        status: op.status ?? undefined,
        setRoles: op.setRoles ?? undefined,
        addRoles: op.addRoles ?? undefined,
        removeRoles: op.removeRoles ?? undefined,
        addTeams: op.addTeams ?? undefined,
        removeTeams: op.removeTeams ?? undefined,
      };
      return [op.op, op.account, op.key, JSON.stringify(patch)];
    }
    case 'key.put':
      return [op.op, op.account, op.key.id, JSON.stringify(op.key)];
    case 'key.patch':
      return [op.op, op.account, op.keyId, op.status];
    case 'membership.put':
      return [op.op, op.account, op.userId, op.status];
    case 'resource.put':
    case 'resource.delete':
      throw new Error(`${op.op} is applied by the lookup script`);
    default: {
      const never: never = op;
      throw new Error(`unknown cache op ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Redis failing to answer (connection lost, timed out, loading, failing over) is the cache
 * being unavailable; any other reply error is a defect and stays as it is.
 */
function translated(what: string, error: unknown): unknown {
  // ioredis types ReplyError as `any`.
  const reply = error instanceof (ReplyError as typeof Error) ? (error as Error).message : null;
  if (reply?.startsWith('CHECKPOINT_MOVED')) {
    return new Error(`the permission cache's checkpoint moved (${reply.slice('CHECKPOINT_MOVED '.length)}): Redis lost or restored data; re-read the checkpoint and replay from it`);
  }
  if (reply !== null && !TRANSIENT_REPLY.test(reply)) return error;
  if (error instanceof PermissionCacheUnavailableError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new PermissionCacheUnavailableError(`the permission cache (Redis) did not answer ${what}: ${reason}`, { cause: error });
}

const escapeGlob = (s: string) => s.replace(/[*?[\]\\]/g, '\\$&');
