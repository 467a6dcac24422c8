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
 * ARGV[1] after ('' = from the start), ARGV[2] limit. Returns { checkpoint, records }:
 * the stored JSON of the first `limit` ids of the union of the sets after the cursor, in
 * byte order, as they are stored, joined by commas (`[${records}]` is a JSON array). One
 * string rather than ids and records: the reply is what a page costs the client to read.
 *
 * Several sets (own and team grants) are merged here, each read with ZRANGEBYLEX in
 * chunks as far as the page needs: the cost depends on the page, never on the sets'
 * sizes, and nothing is written (no scratch set whose writes a page would send to the
 * AOF and the replicas). Ids are compared by their bytes, as Redis orders them: Lua's `<`
 * on strings follows the server's locale. The first 12 bytes are two exact numbers (each
 * byte + 1 in base 257, 0 past the end, so a prefix sorts first); ids equal that far are
 * compared byte by byte from the 13th.
 */
export const CANDIDATES_LUA = `
local byte = string.byte
local min = ARGV[1] == '' and '-' or ('(' .. ARGV[1])
local limit = tonumber(ARGV[2])
local out
if #KEYS == 3 then
  out = redis.call('ZRANGEBYLEX', KEYS[3], min, '+', 'LIMIT', 0, limit)
else
  local function key(id)
    local a, b, c, d, e, f, g, h, i, j, k, l = byte(id, 1, 12)
    return ((((((a or -1) + 1) * 257 + (b or -1) + 1) * 257 + (c or -1) + 1) * 257 + (d or -1) + 1) * 257 + (e or -1) + 1) * 257 + (f or -1) + 1,
      ((((((g or -1) + 1) * 257 + (h or -1) + 1) * 257 + (i or -1) + 1) * 257 + (j or -1) + 1) * 257 + (k or -1) + 1) * 257 + (l or -1) + 1
  end
  -- x > y, their first 12 bytes equal.
  local function later(x, y)
    local i = 13
    while true do
      local p, q = byte(x, i), byte(y, i)
      if p ~= q then return q == nil or (p ~= nil and p > q) end
      if p == nil then return false end
      i = i + 1
    end
  end
  local n = #KEYS - 2
  local chunk = math.ceil(limit / n) + 8
  local ids, at, more, k1, k2 = {}, {}, {}, {}, {}
  local function fill(s, from)
    local page = redis.call('ZRANGEBYLEX', KEYS[s + 2], from, '+', 'LIMIT', 0, chunk)
    ids[s], at[s], more[s] = page, 1, #page == chunk
    if page[1] then k1[s], k2[s] = key(page[1]) else k1[s] = nil end
  end
  for s = 1, n do fill(s, min) end
  out = {}
  local count, last = 0, nil
  while count < limit do
    local m
    for s = 1, n do
      if k1[s] ~= nil then
        if m == nil or k1[s] < k1[m] or (k1[s] == k1[m] and (k2[s] < k2[m] or (k2[s] == k2[m] and later(ids[m][at[m]], ids[s][at[s]])))) then m = s end
      end
    end
    if m == nil then break end
    local id = ids[m][at[m]]
    local nxt = ids[m][at[m] + 1]
    if nxt then
      at[m] = at[m] + 1
      k1[m], k2[m] = key(nxt)
    elseif more[m] then
      fill(m, '(' .. id)
    else
      k1[m] = nil
    end
    -- An id in several sets comes out of each in turn: keep it once.
    if id ~= last then
      count = count + 1
      out[count] = id
      last = id
    end
  end
end
local records = {}
if #out > 0 then
  local raw = redis.call('HMGET', KEYS[1], unpack(out))
  -- A record missing beside its index entry cannot happen (one script writes both); skip it if it ever does.
  for i = 1, #raw do
    if raw[i] then records[#records + 1] = raw[i] end
  end
end
return { redis.call('GET', KEYS[2]), table.concat(records, ',') }
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
  gatehouseLookupCandidates(...args: string[]): Promise<[string | null, string]>;
  gatehouseLookupPrincipals(...args: string[]): Promise<[string | null, string | null, (string | null)[], string[], (string | null)[]]>;
}

/** The Redis side of the registry and lookups; RedisPermissionCache delegates to it. */
export class RedisLookups {
  roundTrips = 0;
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
    const [checkpoint, records] = await this.redis.gatehouseLookupCandidates(String(2 + keys.length), `${base}res:${type}`, this.checkpointKey, ...keys, after ?? '', String(limit));
    return {
      resources: JSON.parse(`[${records}]`) as ResourceRecord[],
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
