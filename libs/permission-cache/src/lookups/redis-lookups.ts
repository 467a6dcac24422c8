import { AccountRecord, CompiledRole, PrincipalRecord, principalKey, ResourceRecord } from '@gatehouse/domain';
import { Redis } from 'ioredis';
import { LATER_LUA } from '../redis/lua';
import { CandidateSet, LookupOp, PrincipalPage, ResourcePage } from './lookups.port';

/**
 * Per account (its Cluster hash tag), per resource type:
 *   `:res:<type>` hash id → record JSON, `:rix:<type>` sorted set of every id,
 *   `:rio:<type>:<owner>` and `:rit:<type>:<team>` the ids by owner and by team;
 * and `:pix`, every principal key (`user:<id>`), for LookupSubjects.
 * Sorted sets hold score 0 and are read with ZRANGEBYLEX, which orders by bytes: the
 * order of the in-process adapter for ASCII ids.
 */

/**
 * KEYS[1] checkpoint. ARGV[1] prefix, ARGV[2] position, then three per op: name, account, value.
 * Guarded by the same checkpoint as the main apply script, which runs right after it in
 * one MULTI: a replayed batch changes nothing, an old resource version never returns.
 */
export const LOOKUP_APPLY_LUA = `${LATER_LUA}
local current = redis.call('GET', KEYS[1])
if current and not later(ARGV[2], current) then return 0 end
local prefix = ARGV[1]
for i = 3, #ARGV, 3 do
  local op, account, value = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local base = prefix .. ':{' .. account .. '}:'
  if op == 'principal.put' then
    redis.call('ZADD', base .. 'pix', 0, value)
  elseif op == 'resource.put' or op == 'resource.delete' then
    local r = cjson.decode(value)
    local h = base .. 'res:' .. r.type
    local old = redis.call('HGET', h, r.id)
    if old then
      local o = cjson.decode(old)
      redis.call('ZREM', base .. 'rix:' .. r.type, r.id)
      if type(o.owner) == 'string' then redis.call('ZREM', base .. 'rio:' .. r.type .. ':' .. o.owner, r.id) end
      if type(o.team) == 'string' then redis.call('ZREM', base .. 'rit:' .. r.type .. ':' .. o.team, r.id) end
    end
    if op == 'resource.put' then
      redis.call('HSET', h, r.id, value)
      redis.call('ZADD', base .. 'rix:' .. r.type, 0, r.id)
      if type(r.owner) == 'string' then redis.call('ZADD', base .. 'rio:' .. r.type .. ':' .. r.owner, 0, r.id) end
      if type(r.team) == 'string' then redis.call('ZADD', base .. 'rit:' .. r.type .. ':' .. r.team, 0, r.id) end
    else
      redis.call('HDEL', h, r.id)
    end
  else
    return redis.error_reply('unknown lookup op ' .. tostring(op))
  end
end
return 1
`;

/**
 * KEYS[1] the type's record hash, KEYS[2] checkpoint, KEYS[3..] the candidate sorted sets.
 * ARGV[1] after ('' = from the start), ARGV[2] limit, ARGV[3] a scratch key in the
 * account's hash slot. Returns { checkpoint, ids, records }: the union of the sets after
 * the cursor, in byte order, first `limit`.
 */
export const CANDIDATES_LUA = `
local min = ARGV[1] == '' and '-' or ('(' .. ARGV[1])
local limit = tonumber(ARGV[2])
local out
if #KEYS == 3 then
  out = redis.call('ZRANGEBYLEX', KEYS[3], min, '+', 'LIMIT', 0, limit)
else
  -- The union of the first (limit) ids after the cursor of each set, ordered by Redis
  -- itself (byte order; Lua's < follows the server's locale) in a scratch set of at most
  -- k x limit members: the cost depends on the page, never on the sets' sizes.
  local scratch = ARGV[3]
  redis.call('DEL', scratch)
  for k = 3, #KEYS do
    local ids = redis.call('ZRANGEBYLEX', KEYS[k], min, '+', 'LIMIT', 0, limit)
    for i = 1, #ids, 500 do
      local args = {}
      for j = i, math.min(i + 499, #ids) do
        args[#args + 1] = 0
        args[#args + 1] = ids[j]
      end
      redis.call('ZADD', scratch, unpack(args))
    end
  end
  out = redis.call('ZRANGEBYLEX', scratch, '-', '+', 'LIMIT', 0, limit)
  redis.call('DEL', scratch)
end
local records = {}
if #out > 0 then records = redis.call('HMGET', KEYS[1], unpack(out)) end
return { redis.call('GET', KEYS[2]), out, records }
`;

/**
 * KEYS[1] pix, KEYS[2] principals, KEYS[3] roles, KEYS[4] meta, KEYS[5] checkpoint.
 * ARGV[1] after, ARGV[2] limit. Returns { meta, checkpoint, principal JSONs, role names, role JSONs }.
 */
export const PRINCIPALS_LUA = `
local min = ARGV[1] == '' and '-' or ('(' .. ARGV[1])
local keys = redis.call('ZRANGEBYLEX', KEYS[1], min, '+', 'LIMIT', 0, tonumber(ARGV[2]))
local records = {}
if #keys > 0 then records = redis.call('HMGET', KEYS[2], unpack(keys)) end
local names, seen = {}, {}
for i = 1, #records do
  if records[i] then
    for _, r in ipairs(cjson.decode(records[i]).roles) do
      if not seen[r] then seen[r] = true; names[#names + 1] = r end
    end
  end
end
local roles = {}
if #names > 0 then roles = redis.call('HMGET', KEYS[3], unpack(names)) end
return { redis.call('GET', KEYS[4]), redis.call('GET', KEYS[5]), records, names, roles }
`;

interface LookupCommands {
  gatehouseLookupApply(...args: string[]): Promise<number>;
  gatehouseLookupCandidates(...args: string[]): Promise<[string | null, string[], (string | null)[]]>;
  gatehouseLookupPrincipals(...args: string[]): Promise<[string | null, string | null, (string | null)[], string[], (string | null)[]]>;
}

/** The Redis side of the registry and lookups; RedisPermissionCache delegates to it. */
export class RedisLookups {
  roundTrips = 0;
  private scratch = 0;
  private readonly redis: Redis & LookupCommands;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly checkpointKey: string,
  ) {
    redis.defineCommand('gatehouseLookupApply', { numberOfKeys: 1, lua: LOOKUP_APPLY_LUA });
    redis.defineCommand('gatehouseLookupCandidates', { lua: CANDIDATES_LUA });
    redis.defineCommand('gatehouseLookupPrincipals', { numberOfKeys: 5, lua: PRINCIPALS_LUA });
    this.redis = redis as Redis & LookupCommands;
  }

  /**
   * The lookup script's arguments for a batch, or null when the batch touches neither
   * resources nor principals: then the caller sends only its own script.
   */
  applyArgs(position: bigint, ops: ReadonlyArray<{ op: string }>): string[] | null {
    const args = [this.checkpointKey, this.prefix, position.toString()];
    for (const raw of ops) {
      const op = raw as LookupOp | { op: 'principal.put'; account: string; principal: PrincipalRecord };
      if (op.op === 'principal.put') args.push(op.op, op.account, principalKey(op.principal));
      else if (op.op === 'resource.put') args.push(op.op, op.account, JSON.stringify(op.resource));
      else if (op.op === 'resource.delete') args.push(op.op, op.account, JSON.stringify({ type: op.type, id: op.id }));
    }
    return args.length > 3 ? args : null;
  }

  async resource(account: string, type: string, id: string): Promise<ResourceRecord | null> {
    this.roundTrips++;
    const raw = await this.redis.hget(`${this.base(account)}res:${type}`, id);
    return raw === null ? null : (JSON.parse(raw) as ResourceRecord);
  }

  async resourceCandidates(account: string, type: string, sets: CandidateSet[], after: string | null, limit: number): Promise<ResourcePage> {
    const base = this.base(account);
    const keys = sets.map((s) => (s.kind === 'all' ? `${base}rix:${type}` : s.kind === 'owner' ? `${base}rio:${type}:${s.owner}` : `${base}rit:${type}:${s.team}`));
    this.roundTrips++;
    const [checkpoint, , records] = await this.redis.gatehouseLookupCandidates(
      String(2 + keys.length),
      `${base}res:${type}`,
      this.checkpointKey,
      ...keys,
      after ?? '',
      String(limit),
      `${base}scratch:${process.pid}:${++this.scratch}`,
    );
    return {
      // A record missing beside its index entry cannot happen (one script writes both); skip it if it ever does.
      resources: records.filter((r): r is string => typeof r === 'string').map((r) => JSON.parse(r) as ResourceRecord),
      position: checkpoint === null ? null : BigInt(checkpoint),
    };
  }

  async principalCandidates(account: string, after: string | null, limit: number): Promise<PrincipalPage> {
    const base = this.base(account);
    this.roundTrips++;
    const [meta, checkpoint, records, names, roleJsons] = await this.redis.gatehouseLookupPrincipals(
      `${base}pix`,
      `${base}principals`,
      `${base}roles`,
      `${base}meta`,
      this.checkpointKey,
      after ?? '',
      String(limit),
    );
    const roles: Record<string, CompiledRole | undefined> = {};
    names.forEach((name, i) => (roles[name] = roleJsons[i] ? (JSON.parse(roleJsons[i]!) as CompiledRole) : undefined));
    return {
      account: meta === null ? null : (JSON.parse(meta) as AccountRecord),
      principals: records.filter((r): r is string => typeof r === 'string').map((r) => JSON.parse(r) as PrincipalRecord),
      roles,
      position: checkpoint === null ? null : BigInt(checkpoint),
    };
  }

  private base(account: string): string {
    return `${this.prefix}:{${account}}:`;
  }
}
