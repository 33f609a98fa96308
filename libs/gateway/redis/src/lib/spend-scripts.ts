/**
 * Lua scripts of the spend counters (vault-and-spend.md §6, §8; types in `spend-counters.ts`). Each
 * runs atomically. Amounts are integer micro-USD; reservation members are `{owner}:{amount}`.
 * Negations are only ever passed for non-zero amounts: Lua turns `-0` into the string "-0", which
 * HINCRBY refuses.
 */

/**
 * Reserve an estimate on every cap, all or nothing.
 * KEYS: per cap: counter, reservations.
 * ARGV: [nowMs or '' (Redis TIME), ttlMs, member, amount, then per cap: limit]
 * Returns {0, remaining...} reserved; {1, index, spent, reserved} rejected (nothing reserved);
 * {2, index...} counters without a PostgreSQL base (nothing changed).
 */
export const SPEND_RESERVE_LUA = `
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local ttl = tonumber(ARGV[2])
local member = ARGV[3]
local amount = tonumber(ARGV[4])
local n = #KEYS / 2
local missing = { 2 }
for i = 1, n do
  if redis.call('HGET', KEYS[2 * i - 1], 'loaded') ~= '1' then missing[#missing + 1] = i - 1 end
end
if #missing > 1 then return missing end
local spent = {}
local reserved = {}
local already = {}
for i = 1, n do
  local c = KEYS[2 * i - 1]
  local r = KEYS[2 * i]
  local expired = redis.call('ZRANGEBYSCORE', r, '-inf', now)
  if #expired > 0 then
    local drop = 0
    for _, m in ipairs(expired) do drop = drop + (tonumber(string.match(m, ':(%d+)$')) or 0) end
    redis.call('ZREMRANGEBYSCORE', r, '-inf', now)
    if drop > 0 and redis.call('HINCRBY', c, 'reserved', -drop) < 0 then redis.call('HSET', c, 'reserved', 0) end
  end
  local s = tonumber(redis.call('HGET', c, 'spent') or '0')
  local rs = tonumber(redis.call('HGET', c, 'reserved') or '0')
  spent[i] = s
  reserved[i] = rs
  already[i] = redis.call('ZSCORE', r, member)
  local add = amount
  if already[i] then add = 0 end
  if s + rs + add > tonumber(ARGV[4 + i]) then return { 1, i - 1, s, rs } end
end
local out = { 0 }
for i = 1, n do
  local c = KEYS[2 * i - 1]
  local r = KEYS[2 * i]
  local rs = reserved[i]
  if already[i] then
    redis.call('ZADD', r, 'XX', now + ttl, member)
  else
    redis.call('ZADD', r, now + ttl, member)
    rs = redis.call('HINCRBY', c, 'reserved', amount)
  end
  redis.call('PEXPIRE', r, ttl + 60000)
  out[#out + 1] = tonumber(ARGV[4 + i]) - spent[i] - rs
end
return out
`;

/**
 * Settle: release the reservation and add the actual cost, once.
 * KEYS: [guard?] then per delta: counter, reservations, dirty set.
 * ARGV: [hasGuard '1'|'0', guardTtlSecs, member or '', reservedAmount,
 *        then per delta: cost, requests, expireAtSecs or '', counter name for the dirty set]
 * Returns {0, spent...} settled (each counter's spent after the settlement); {1} duplicate (guard
 * already set); {2, index...} counters without a base.
 */
export const SPEND_SETTLE_LUA = `
local guarded = ARGV[1] == '1'
local base = 0
if guarded then base = 1 end
local n = (#KEYS - base) / 3
local missing = { 2 }
for i = 1, n do
  if redis.call('HGET', KEYS[base + 3 * i - 2], 'loaded') ~= '1' then missing[#missing + 1] = i - 1 end
end
if #missing > 1 then return missing end
if guarded then
  if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then return { 1 } end
end
local member = ARGV[3]
local amount = tonumber(ARGV[4])
local out = { 0 }
for i = 1, n do
  local c = KEYS[base + 3 * i - 2]
  local r = KEYS[base + 3 * i - 1]
  local d = KEYS[base + 3 * i]
  local a = 4 + 4 * (i - 1)
  local cost = tonumber(ARGV[a + 1])
  local reqs = tonumber(ARGV[a + 2])
  local exp = ARGV[a + 3]
  if member ~= '' and redis.call('ZREM', r, member) == 1 and amount > 0 then
    if redis.call('HINCRBY', c, 'reserved', -amount) < 0 then redis.call('HSET', c, 'reserved', 0) end
  end
  if cost ~= 0 then
    redis.call('HINCRBY', c, 'spent', cost)
    redis.call('HINCRBY', c, 'unflushed', cost)
  end
  if reqs ~= 0 then
    redis.call('HINCRBY', c, 'requests', reqs)
    redis.call('HINCRBY', c, 'unflushed_requests', reqs)
  end
  if cost ~= 0 or reqs ~= 0 then redis.call('SADD', d, ARGV[a + 4]) end
  if exp ~= '' then redis.call('EXPIREAT', c, exp) end
  out[#out + 1] = tonumber(redis.call('HGET', c, 'spent') or '0')
end
return out
`;

/**
 * Load PostgreSQL bases into counters that have none yet (a concurrent load of the same base is a no-op).
 * KEYS: counters. ARGV: per counter: spent, requests, expireAtSecs or ''.
 */
export const SPEND_LOAD_LUA = `
for i = 1, #KEYS do
  local a = 3 * (i - 1)
  if redis.call('HGET', KEYS[i], 'loaded') ~= '1' then
    redis.call('HINCRBY', KEYS[i], 'spent', ARGV[a + 1])
    redis.call('HINCRBY', KEYS[i], 'requests', ARGV[a + 2])
    redis.call('HSET', KEYS[i], 'loaded', '1')
    if ARGV[a + 3] ~= '' then redis.call('EXPIREAT', KEYS[i], ARGV[a + 3]) end
  end
end
return #KEYS
`;

/**
 * Take the unflushed amounts of up to `count` dirty counters (zeroing them), for the flush.
 * Counters without a base are dropped from the set (their amounts cannot be told from the base).
 * KEYS: [dirty set]. ARGV: [count, key prefix]. Returns a flat list {name, spent, requests, ...}.
 */
export const SPEND_TAKE_UNFLUSHED_LUA = `
local names = redis.call('SPOP', KEYS[1], ARGV[1])
local out = {}
for _, name in ipairs(names) do
  local k = ARGV[2] .. name
  if redis.call('HGET', k, 'loaded') == '1' then
    local u = tonumber(redis.call('HGET', k, 'unflushed') or '0')
    local r = tonumber(redis.call('HGET', k, 'unflushed_requests') or '0')
    if u ~= 0 or r ~= 0 then
      redis.call('HSET', k, 'unflushed', 0, 'unflushed_requests', 0)
      out[#out + 1] = name
      out[#out + 1] = u
      out[#out + 1] = r
    end
  end
end
return out
`;

/**
 * Give taken amounts back after a failed flush. KEYS: [dirty set].
 * ARGV: [key prefix, then per counter: name, spent, requests].
 */
export const SPEND_RETURN_UNFLUSHED_LUA = `
for i = 2, #ARGV, 3 do
  local k = ARGV[1] .. ARGV[i]
  redis.call('HINCRBY', k, 'unflushed', ARGV[i + 1])
  redis.call('HINCRBY', k, 'unflushed_requests', ARGV[i + 2])
  redis.call('SADD', KEYS[1], ARGV[i])
end
return 1
`;

/**
 * Refresh a live reservation's expiry (only members that still exist). KEYS: reservation sets.
 * ARGV: [member, ttlMs]. Returns how many sets still held the member.
 */
export const SPEND_REFRESH_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
local held = 0
for i = 1, #KEYS do
  held = held + redis.call('ZADD', KEYS[i], 'XX', 'CH', now + ttl, ARGV[1])
  redis.call('PEXPIRE', KEYS[i], ttl + 60000)
end
return held
`;
