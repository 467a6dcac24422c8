import { AccountRecord, CompiledRole, MemberStatus, PrincipalRecord, principalKey } from '@gatehouse/domain';
import { Redis } from 'ioredis';
import { CachedKey, CachedSubject, CacheOp, PermissionCache, SubjectRef } from '../permission-cache.port';
import { APPLY_LUA, SUBJECT_LUA } from './lua';

export interface RedisPermissionCacheOptions {
  /** The connection; the cache owns it from now on (`close` quits it). */
  redis: Redis;
  /** Namespace of every key, so several caches (or test files) can share one server. Default `gh`. */
  prefix?: string;
}

/** Reply of the subject script: meta, key, principal, checkpoint, the held roles' JSON. */
type SubjectReply = [string | null, string | null, string | null, string | null, (string | null)[]];

interface ScriptCommands {
  gatehousePermissionCacheApply(...args: string[]): Promise<number>;
  gatehousePermissionCacheSubject(...args: string[]): Promise<SubjectReply>;
}

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
    options.redis.defineCommand('gatehousePermissionCacheSubject', { numberOfKeys: 5, lua: SUBJECT_LUA });
    this.redis = options.redis as Redis & ScriptCommands;
  }

  static connect(url: string, prefix?: string): RedisPermissionCache {
    return new RedisPermissionCache({ redis: new Redis(url, { maxRetriesPerRequest: 3 }), prefix });
  }

  async apply(position: bigint, ops: CacheOp[]): Promise<boolean> {
    // The script compares decimal strings by length, which holds only without a sign.
    if (position < 0n) throw new RangeError(`cache position must not be negative: ${position}`);
    const args = [this.checkpointKey, this.keyAccountKey, this.prefix, position.toString()];
    for (const op of ops) args.push(...opArgs(op));
    this.roundTrips++;
    return (await this.redis.gatehousePermissionCacheApply(...args)) === 1;
  }

  async checkpoint(): Promise<bigint | null> {
    this.roundTrips++;
    const value = await this.redis.get(this.checkpointKey);
    return value === null ? null : BigInt(value);
  }

  async subject(account: string, subject: SubjectRef): Promise<CachedSubject> {
    const byKey = 'keyId' in subject;
    const k = this.accountKeys(account);
    this.roundTrips++;
    const [metaJson, keyJson, principalJson, checkpoint, roleJsons] = await this.redis.gatehousePermissionCacheSubject(
      k.meta,
      k.keys,
      k.principals,
      k.roles,
      this.checkpointKey,
      byKey ? 'key' : 'principal',
      byKey ? subject.keyId : principalKey(subject.principal),
    );

    // Built exactly as InProcessPermissionCache.subjectSync builds it.
    const record = metaJson === null ? null : (JSON.parse(metaJson) as AccountRecord);
    const key = byKey ? (keyJson === null ? null : (JSON.parse(keyJson) as CachedKey)) : undefined;
    const principal = principalJson === null ? null : (JSON.parse(principalJson) as PrincipalRecord);
    const roles: Record<string, CompiledRole | undefined> = {};
    if (principal && record) {
      principal.roles.forEach((name, i) => {
        const json = roleJsons[i];
        roles[name] = json ? (JSON.parse(json) as CompiledRole) : undefined;
      });
    }
    return {
      view: { account: record, principal, roles, ...(key !== undefined ? { key } : {}) },
      ...(key !== undefined ? { key } : {}),
      position: checkpoint === null ? null : BigInt(checkpoint),
    };
  }

  async accountOfKey(keyId: string): Promise<string | null> {
    this.roundTrips++;
    return this.redis.hget(this.keyAccountKey, keyId);
  }

  async keys(account: string): Promise<CachedKey[]> {
    this.roundTrips++;
    return (await this.redis.hvals(this.accountKeys(account).keys)).map((raw) => JSON.parse(raw) as CachedKey);
  }

  async accountsOfUser(userId: string): Promise<{ account: string; status: MemberStatus }[]> {
    this.roundTrips++;
    const all = await this.redis.hgetall(`${this.prefix}:{u:${userId}}:accounts`);
    return Object.entries(all).map(([account, status]) => ({ account, status: status as MemberStatus }));
  }

  async recordKeyUse(account: string, uses: Record<string, number>): Promise<void> {
    const entries = Object.entries(uses);
    if (entries.length === 0) return;
    this.roundTrips++;
    await this.redis.hset(`${this.accountKeys(account).base}keyuse`, Object.fromEntries(entries.map(([k, v]) => [k, String(v)])));
  }

  async keyUses(account: string): Promise<Record<string, number>> {
    this.roundTrips++;
    const all = await this.redis.hgetall(`${this.accountKeys(account).base}keyuse`);
    return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, Number(v)]));
  }

  async clear(): Promise<void> {
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

  async ping(): Promise<void> {
    this.roundTrips++;
    const reply = await this.redis.ping();
    if (reply !== 'PONG') throw new Error(`unexpected PING reply from Redis: ${reply}`);
  }

  async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    this.roundTrips++;
    await this.redis.quit();
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
    default: {
      const never: never = op;
      throw new Error(`unknown cache op ${JSON.stringify(never)}`);
    }
  }
}

const escapeGlob = (s: string) => s.replace(/[*?[\]\\]/g, '\\$&');
