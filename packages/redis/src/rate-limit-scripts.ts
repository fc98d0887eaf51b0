/**
 * The store's Lua scripts. Each runs atomically in Redis, so concurrent relay instances never interleave
 * between reading a count and writing it, and each reads the clock with `TIME` so that instances whose own
 * clocks disagree still agree on every decision. Replies are integers only: how Redis converts Lua booleans
 * and floats differs between RESP2 and RESP3, integers do not.
 */
export const rateLimitScripts: {
  readonly hit: string;
  readonly acquire: string;
} = {
  /**
   * GCRA, exactly as `createMemoryRateLimitStore`: the key holds the time (ms) at which the budget is fully
   * refilled; a request moves it `window / limit` later unless that would start more than a window ahead.
   * A refused request writes nothing (it is not counted). The key expires when the budget is full again, so a
   * principal that went away costs nothing.
   *
   * KEYS[1] rate key; ARGV[1] windowMs; ARGV[2] limit. Returns { 1, 0 } or { 0, retryAfterMs }.
   */
  hit: `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local window = tonumber(ARGV[1])
local interval = window / tonumber(ARGV[2])
local refilled = tonumber(redis.call('GET', KEYS[1])) or now
if refilled < now then refilled = now end
local nextRefilled = refilled + interval
local allowedAt = nextRefilled - window
if allowedAt > now then
  return { 0, math.ceil(allowedAt - now) }
end
redis.call('SET', KEYS[1], string.format('%.3f', nextRefilled), 'PX', math.ceil(nextRefilled - now))
return { 1, 0 }
`,
  /**
   * A counting semaphore of leases: a sorted set of lease ids scored by their expiry time. Expired leases
   * (those of an instance that crashed or lost Redis before releasing) are purged before counting, so slots
   * come back on their own. The set itself expires with its last lease.
   *
   * KEYS[1] lease set; ARGV[1] max; ARGV[2] lease id; ARGV[3] lease TTL in ms. Returns 1 (taken) or 0 (full).
   */
  acquire: `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[2])
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return 1
`,
};
