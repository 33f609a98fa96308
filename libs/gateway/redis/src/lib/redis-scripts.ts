/**
 * Lua scripts of {@link RedisKeyValueStore}. Each runs atomically; ioredis `defineCommand` sends
 * EVALSHA and loads the script (EVAL) on a connection that does not know it yet.
 */

/**
 * Sliding-window logs, all or nothing, plus counters, in one atomic step (vault-and-spend.md §7).
 * KEYS: one sorted set per limit (n), then one counter per increment (m).
 * ARGV: [nowMs or '' (use Redis TIME), member suffix, n,
 *        then per limit: limit, windowMs, shadow (0|1),
 *        then per counter: by, ttlSecs]
 * A non-shadow limit that does not admit refuses the request: then no non-shadow log gets an entry.
 * A shadow limit never refuses; its log gets an entry when it alone admits. Counters always count.
 * Returns: [admitted (0|1), nowMs, then per limit: allowedAlone, count, oldestScore|-1, unblockScore|-1,
 *           then per counter: its new value]
 */
export const SLIDING_WINDOW_LUA = `
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local n = tonumber(ARGV[3])
local counts = {}
local admit = 1
for i = 1, n do
  local base = 1 + 3 * i
  local limit = tonumber(ARGV[base])
  local window = tonumber(ARGV[base + 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local c = redis.call('ZCARD', KEYS[i])
  counts[i] = c
  if ARGV[base + 2] ~= '1' and (limit <= 0 or c >= limit) then admit = 0 end
end
local out = { admit, now }
for i = 1, n do
  local base = 1 + 3 * i
  local limit = tonumber(ARGV[base])
  local window = tonumber(ARGV[base + 1])
  local shadow = ARGV[base + 2] == '1'
  local c = counts[i]
  local alone = 0
  if limit > 0 and c < limit then alone = 1 end
  if (shadow and alone == 1) or ((not shadow) and admit == 1) then
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
local first = 4 + 3 * n
for j = n + 1, #KEYS do
  local arg = first + 2 * (j - n - 1)
  local v = redis.call('INCRBY', KEYS[j], ARGV[arg])
  if redis.call('TTL', KEYS[j]) == -1 then
    redis.call('EXPIRE', KEYS[j], ARGV[arg + 1])
  end
  out[#out + 1] = v
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
