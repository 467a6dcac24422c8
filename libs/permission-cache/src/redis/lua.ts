/**
 * The two Lua scripts of the Redis permission cache. Each runs atomically on the server,
 * so a batch and its checkpoint land together and a read sees one consistent state.
 *
 * Positions travel as decimal strings and are compared by length, then byte by byte:
 * they may exceed 2^53, where Lua's doubles (tonumber) would round them.
 */

/** Whether decimal position a is later than b, compared as strings (see above). */
export const LATER_LUA = `
local function later(a, b)
  if #a ~= #b then return #a > #b end
  for i = 1, #a do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x > y end
  end
  return false
end
`;

/**
 * KEYS[1] checkpoint, KEYS[2] keyaccount.
 * ARGV[1] key prefix, ARGV[2] position, ARGV[3] the checkpoint the writer expects to find
 * ('' when it does not know), then four per op: name, account, field, value.
 * Returns 0 (nothing written) when the checkpoint is at or past the position, else 1;
 * fails with CHECKPOINT_MOVED when the checkpoint is not the expected one.
 *
 * An account's keys are derived here from the prefix rather than declared in KEYS: one
 * batch spans many accounts and the checkpoint is global, so this script needs a single
 * shard whatever its declared keys say.
 */
export const APPLY_LUA = `${LATER_LUA}
local position = ARGV[2]
local current = redis.call('GET', KEYS[1])
-- A checkpoint that vanished (FLUSHALL, a restart without persistence) or went back (an
-- older snapshot restored) means data is missing: writing this batch on top would make a
-- partial cache look current. Refuse, so the writer re-reads the checkpoint and replays.
if ARGV[3] ~= '' and current ~= ARGV[3] then
  return redis.error_reply('CHECKPOINT_MOVED expected ' .. ARGV[3] .. ', found ' .. tostring(current))
end
if current and not later(position, current) then return 0 end

local KNOWN = {
  ['account.put'] = true, ['account.patch'] = true, ['role.put'] = true, ['role.delete'] = true,
  ['principal.put'] = true, ['principal.patch'] = true, ['key.put'] = true, ['key.patch'] = true,
  ['membership.put'] = true,
}
-- Redis does not roll back a script that fails midway, so refuse a bad batch before writing.
for i = 4, #ARGV, 4 do
  if not KNOWN[ARGV[i]] then return redis.error_reply('unknown cache op ' .. tostring(ARGV[i])) end
end

-- cjson cannot tell [] from {} (both decode to an empty table) and prints numbers with
-- 14 significant digits, so re-encoded records go through this encoder instead. A shape
-- names the fields that hold lists ('*' = every field of a map); any other empty table
-- is written as an object.
local LIST = 'list'
local PRINCIPAL = { roles = LIST, teams = LIST }
local KEY = { restriction = { ['*'] = LIST } }
local ACCOUNT = { scopeDimensions = { ['*'] = LIST } }

local function encode(value, shape)
  local kind = type(value)
  if kind == 'number' then
    if value == math.floor(value) and math.abs(value) < 2^53 then return string.format('%.0f', value) end
    return string.format('%.17g', value)
  elseif kind ~= 'table' then
    return cjson.encode(value)
  end
  local parts = {}
  -- Tables decoded from JSON objects have only string keys, so #value > 0 means a list.
  if shape == LIST or #value > 0 then
    for i = 1, #value do parts[i] = encode(value[i]) end
    return '[' .. table.concat(parts, ',') .. ']'
  end
  for k, v in pairs(value) do
    local fieldShape = type(shape) == 'table' and (shape[k] or shape['*']) or nil
    parts[#parts + 1] = cjson.encode(k) .. ':' .. encode(v, fieldShape)
  end
  return '{' .. table.concat(parts, ',') .. '}'
end

local function contains(list, x)
  for i = 1, #list do if list[i] == x then return true end end
  return false
end

local function copy(list)
  local out = {}
  for i = 1, #(list or {}) do out[i] = list[i] end
  return out
end

local function without(list, drop)
  local out = {}
  for i = 1, #list do if not contains(drop, list[i]) then out[#out + 1] = list[i] end end
  return out
end

local function addAll(list, more)
  for _, x in ipairs(more or {}) do if not contains(list, x) then list[#list + 1] = x end end
end

local prefix = ARGV[1]
local DEFAULT_ACCOUNT = '{"status":"active","scopeDimensions":{}}'
local names, touched = {}, {}

local function keysOf(account)
  local k = names[account]
  if not k then
    local base = prefix .. ':{' .. account .. '}:'
    k = { meta = base .. 'meta', roles = base .. 'roles', principals = base .. 'principals', keys = base .. 'keys' }
    names[account] = k
  end
  return k
end

-- Any op creates the account's record with defaults, as the in-process adapter's entry() does.
local function touch(account)
  local k = keysOf(account)
  if not touched[account] then
    redis.call('SETNX', k.meta, DEFAULT_ACCOUNT)
    touched[account] = true
  end
  return k
end

for i = 4, #ARGV, 4 do
  local op, account, field, value = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if op == 'account.put' then
    redis.call('SET', keysOf(account).meta, value)
    touched[account] = true
  elseif op == 'account.patch' then
    local k = touch(account)
    local record = cjson.decode(redis.call('GET', k.meta))
    record.status = value
    redis.call('SET', k.meta, encode(record, ACCOUNT))
  elseif op == 'role.put' then
    redis.call('HSET', touch(account).roles, field, value)
  elseif op == 'role.delete' then
    redis.call('HDEL', touch(account).roles, field)
  elseif op == 'principal.put' then
    redis.call('HSET', touch(account).principals, field, value)
  elseif op == 'principal.patch' then
    -- Mirrors patchPrincipal (apply-op.ts): setRoles first, then add, then remove.
    local k = touch(account)
    local raw = redis.call('HGET', k.principals, field)
    if raw then
      local p, patch = cjson.decode(raw), cjson.decode(value)
      local roles = copy(patch.setRoles or p.roles)
      addAll(roles, patch.addRoles)
      if patch.removeRoles then roles = without(roles, patch.removeRoles) end
      local teams = copy(p.teams)
      addAll(teams, patch.addTeams)
      if patch.removeTeams then teams = without(teams, patch.removeTeams) end
      if patch.status then p.status = patch.status end
      p.roles, p.teams = roles, teams
      redis.call('HSET', k.principals, field, encode(p, PRINCIPAL))
    end
  elseif op == 'key.put' then
    redis.call('HSET', touch(account).keys, field, value)
    redis.call('HSET', KEYS[2], field, account)
  elseif op == 'membership.put' then
    touch(account)
    redis.call('HSET', prefix .. ':{u:' .. field .. '}:accounts', account, value)
  elseif op == 'key.patch' then
    local k = touch(account)
    local raw = redis.call('HGET', k.keys, field)
    if raw then
      local key = cjson.decode(raw)
      key.status = value
      redis.call('HSET', k.keys, field, encode(key, KEY))
    end
  end
end

redis.call('SET', KEYS[1], position)
return 1
`;

/**
 * KEYS[1] meta, KEYS[2] keys, KEYS[3] principals, KEYS[4] roles, KEYS[5] checkpoint, all
 * of one account but the checkpoint. ARGV[1] the number of subjects, then two per
 * subject ('principal' or 'key', and the principal key `user:<id>` or the key id), then
 * two per registered resource (type, id).
 * Returns { meta, checkpoint, then key and principal per subject, the names of the roles
 * those principals hold (each once), their JSON in the same order, the resources' JSON },
 * with false (nil) for what does not exist: everything the checks of a request need, in
 * one round trip and at one checkpoint.
 *
 * A resource's hash (`<account base>res:<type>`, lookups/redis-lookups.ts) is named from
 * the account's base here, as the apply script names keys: same account, same hash slot.
 */
export const SUBJECTS_LUA = `
local out = { redis.call('GET', KEYS[1]), redis.call('GET', KEYS[5]) }
local names, seen = {}, {}
local last = 1 + 2 * tonumber(ARGV[1])
for i = 2, last, 2 do
  local key, principalKey = false, ARGV[i + 1]
  if ARGV[i] == 'key' then
    key = redis.call('HGET', KEYS[2], ARGV[i + 1])
    principalKey = false
    if key then
      local owner = cjson.decode(key).owner
      principalKey = owner.type .. ':' .. owner.id
    end
  end
  local principal = false
  if principalKey then
    principal = redis.call('HGET', KEYS[3], principalKey)
    if principal then
      for _, name in ipairs(cjson.decode(principal).roles) do
        if not seen[name] then
          seen[name] = true
          names[#names + 1] = name
        end
      end
    end
  end
  out[#out + 1] = key
  out[#out + 1] = principal
end
-- HMGET in slices: unpack() of thousands of names would overflow Lua's C stack.
local roles = {}
for i = 1, #names, 500 do
  local part = redis.call('HMGET', KEYS[4], unpack(names, i, math.min(i + 499, #names)))
  for j = 1, #part do roles[#roles + 1] = part[j] end
end
out[#out + 1] = names
out[#out + 1] = roles
local base = string.sub(KEYS[1], 1, #KEYS[1] - #'meta')
local resources = {}
for i = last + 1, #ARGV, 2 do
  resources[#resources + 1] = redis.call('HGET', base .. 'res:' .. ARGV[i], ARGV[i + 1])
end
out[#out + 1] = resources
return out
`;
