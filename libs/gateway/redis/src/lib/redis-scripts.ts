/**
 * Lua scripts of {@link RedisKeyValueStore}. Each runs atomically; ioredis `defineCommand` sends
 * EVALSHA and loads the script (EVAL) on a connection that does not know it yet.
 */

/**
 * Sliding-window logs, all or nothing.
 * KEYS: one sorted set per limit.
 * ARGV: [nowMs or '' (use Redis TIME), member suffix, limit1, windowMs1, limit2, windowMs2, ...]
 * Returns: [admitted (0|1), nowMs, then per key: allowedAlone, count, oldestScore|-1, unblockScore|-1]
 */
export const SLIDING_WINDOW_LUA = `
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local n = #KEYS
local counts = {}
local admit = 1
for i = 1, n do
  local limit = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local c = redis.call('ZCARD', KEYS[i])
  counts[i] = c
  if limit <= 0 or c >= limit then admit = 0 end
end
local out = { admit, now }
for i = 1, n do
  local limit = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  local c = counts[i]
  local alone = 0
  if limit > 0 and c < limit then alone = 1 end
  if admit == 1 then
    redis.call('ZADD', KEYS[i], now, now .. '-' .. ARGV[2])
    redis.call('PEXPIRE', KEYS[i], window)
    c = c + 1
  end
  local oldest = -1
  if c > 0 then
    oldest = tonumber(redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')[2])
  end
  local unblock = -1
  if alone == 0 and limit > 0 then
    unblock = tonumber(redis.call('ZRANGE', KEYS[i], c - limit, c - limit, 'WITHSCORES')[2])
  end
  out[#out + 1] = alone
  out[#out + 1] = c
  out[#out + 1] = oldest
  out[#out + 1] = unblock
end
return out
`;

/**
 * INCRBY that sets a TTL when the key has none afterwards (it is new).
 * KEYS: [counter]; ARGV: [by, ttlSecs]
 */
export const INCR_WITH_TTL_LUA = `
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) == -1 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return v
`;

/**
 * INCR a version counter and (re)set its TTL. KEYS: [versionKey]; ARGV: [ttlSecs]
 */
export const BUMP_VERSION_LUA = `
local v = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return v
`;

/**
 * Refill guard: SET key only while the version counter is what the reader saw.
 * KEYS: [key, versionKey]; ARGV: [value, ttlSecs, expectNone ('1'|'0'), expectedVersion]
 */
export const SET_IF_VERSION_LUA = `
local current = redis.call('GET', KEYS[2])
if ARGV[3] == '1' then
  if current then return 0 end
elseif current ~= ARGV[4] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
`;

/**
 * Bounded list push: LPUSH as many values as fit under a maximum length.
 * KEYS: [list]. ARGV: [maxLength, value1, value2, ...]. Returns how many values were pushed.
 */
export const PUSH_LIST_BOUNDED_LUA = `
local room = tonumber(ARGV[1]) - redis.call('LLEN', KEYS[1])
local n = #ARGV - 1
if room < n then n = room end
if n <= 0 then return 0 end
local i = 2
while i <= n + 1 do
  local j = math.min(i + 999, n + 1)
  redis.call('LPUSH', KEYS[1], unpack(ARGV, i, j))
  i = j + 1
end
return n
`;
