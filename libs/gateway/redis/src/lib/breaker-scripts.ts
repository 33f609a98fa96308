/**
 * Lua scripts of the shared circuit breakers (proxy.md §13 "Sharing"); the memory backend runs the
 * same steps (`breaker-state.ts`). Hash fields: `state` (closed|open), `failures`, `opened_at` (ms),
 * `probe_holder`, `probe_until` (ms), and per-second failure-rate buckets `a:{sec}` / `f:{sec}`
 * (attempts / failures; kept only when a rate threshold is configured). Time is Redis `TIME`.
 *
 * Every script answers the caller's status as
 *   [state (0 closed | 1 open), failures, open_for_ms, my_lease_ms, other_lease_ms]
 * (record and claim prepend their own fields).
 */

/** Loads the hash fields and the time into locals; defines `status()`. `holder` must be set first. */
const LOAD = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function load(key)
  local h = redis.call('HMGET', key, 'state', 'failures', 'opened_at', 'probe_holder', 'probe_until')
  return {
    state = h[1] or 'closed',
    failures = tonumber(h[2]) or 0,
    opened_at = tonumber(h[3]) or 0,
    p_holder = h[4] or '',
    p_until = tonumber(h[5]) or 0,
  }
end
local function status(b, holder)
  local open_for = 0
  if b.state == 'open' then open_for = math.max(0, now - b.opened_at) end
  local mine, other = 0, 0
  if b.p_holder ~= '' and b.p_until > now then
    if b.p_holder == holder then mine = b.p_until - now else other = b.p_until - now end
  end
  local s = 0
  if b.state == 'open' then s = 1 end
  return {s, b.failures, open_for, mine, other}
end
`;

/**
 * Applies outcomes in order.
 * KEYS[1]: breaker hash.
 * ARGV: [failure_threshold, cooldown_ms, failure_rate_threshold or '', min_sample_size, idle_ttl_secs,
 *        holder, outcomes ('f' failure, 's' success, 'F' probe failure, 'S' probe success; one char each)]
 * Returns: [opened (0|1: a closed breaker opened), opened_failures, ...status]
 */
export const BREAKER_RECORD_LUA = `${LOAD}
local key = KEYS[1]
local threshold = tonumber(ARGV[1])
local cooldown = tonumber(ARGV[2])
local rate = tonumber(ARGV[3])
local min_samples = tonumber(ARGV[4])
local ttl = tonumber(ARGV[5])
local holder = ARGV[6]
local codes = ARGV[7]
local b = load(key)
local sec = tonumber(t[1])
local wa, wf, add_a, add_f = 0, 0, 0, 0
if rate then
  local all = redis.call('HGETALL', key)
  local stale = {}
  for i = 1, #all, 2 do
    local field = all[i]
    local kind = string.sub(field, 1, 2)
    if kind == 'a:' or kind == 'f:' then
      local s = tonumber(string.sub(field, 3))
      if s and s > sec - 60 then
        if kind == 'a:' then wa = wa + tonumber(all[i + 1]) else wf = wf + tonumber(all[i + 1]) end
      else
        stale[#stale + 1] = field
      end
    end
  end
  if #stale > 0 then redis.call('HDEL', key, unpack(stale)) end
end
local opened, opened_failures = 0, 0
for i = 1, #codes do
  local c = string.sub(codes, i, i)
  local failed = (c == 'f' or c == 'F')
  local probe = (c == 'F' or c == 'S')
  if rate then
    add_a = add_a + 1
    wa = wa + 1
    if failed then
      add_f = add_f + 1
      wf = wf + 1
    end
  end
  local half = b.state == 'open' and now - b.opened_at >= cooldown
  if not failed then
    if b.state == 'closed' then
      b.failures = 0
    elseif probe and half then
      b.state = 'closed'
      b.failures = 0
      b.p_holder = ''
      b.p_until = 0
    end
  else
    b.failures = b.failures + 1
    local trips = false
    local was_closed = b.state == 'closed'
    if was_closed then
      trips = b.failures >= threshold or (rate ~= nil and wa >= min_samples and wf / wa >= rate)
    else
      trips = probe and half
    end
    if trips then
      b.state = 'open'
      b.opened_at = now
      b.p_holder = ''
      b.p_until = 0
      if was_closed then
        opened = 1
        opened_failures = b.failures
      end
    end
  end
end
redis.call('HSET', key, 'state', b.state, 'failures', string.format('%d', b.failures),
  'opened_at', string.format('%d', b.opened_at), 'probe_holder', b.p_holder, 'probe_until', string.format('%d', b.p_until))
if add_a > 0 then redis.call('HINCRBY', key, 'a:' .. sec, add_a) end
if add_f > 0 then redis.call('HINCRBY', key, 'f:' .. sec, add_f) end
redis.call('EXPIRE', key, ttl)
local out = {opened, opened_failures}
for _, v in ipairs(status(b, holder)) do out[#out + 1] = v end
return out
`;

/**
 * Reads several breakers.
 * KEYS: breaker hashes. ARGV: [holder]. Returns the 5 status values per key, in order.
 */
export const BREAKER_READ_LUA = `${LOAD}
local out = {}
for _, key in ipairs(KEYS) do
  for _, v in ipairs(status(load(key), ARGV[1])) do out[#out + 1] = v end
end
return out
`;

/**
 * Claims the probe lease of a half-open breaker unless another holder's lease is live.
 * KEYS[1]: breaker hash. ARGV: [holder, cooldown_ms, lease_ms, idle_ttl_secs].
 * Returns: [granted (0|1), ...status]
 */
export const BREAKER_CLAIM_LUA = `${LOAD}
local key = KEYS[1]
local holder = ARGV[1]
local cooldown = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local b = load(key)
local granted = 0
if b.state == 'open' and now - b.opened_at >= cooldown and (b.p_until <= now or b.p_holder == holder) then
  b.p_holder = holder
  b.p_until = now + lease
  redis.call('HSET', key, 'probe_holder', b.p_holder, 'probe_until', string.format('%d', b.p_until))
  redis.call('EXPIRE', key, tonumber(ARGV[4]))
  granted = 1
end
local out = {granted}
for _, v in ipairs(status(b, holder)) do out[#out + 1] = v end
return out
`;

/**
 * Gives the probe lease back if the caller holds it.
 * KEYS[1]: breaker hash. ARGV: [holder]. Returns the status.
 */
export const BREAKER_RELEASE_LUA = `${LOAD}
local key = KEYS[1]
local b = load(key)
if b.p_holder == ARGV[1] and redis.call('EXISTS', key) == 1 then
  b.p_holder = ''
  b.p_until = 0
  redis.call('HSET', key, 'probe_holder', '', 'probe_until', '0')
end
return status(b, ARGV[1])
`;
