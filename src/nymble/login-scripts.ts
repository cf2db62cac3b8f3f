/** Lua scripts of the fleet-wide login: atomic on Redis, so no two processes race. */

// Adds a login slot unless the window is full. Returns 0 when added, or the milliseconds until
// the oldest slot leaves the window. KEYS[1]: sorted set of login times (ms) by member.
// ARGV: now (ms), window (ms), limit, member.
export const RESERVE_SLOT_SCRIPT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)`;

// Deletes or extends the lock only while it still contains this process's random value, so that
// a process whose lock expired never removes the lock another process took over.
export const RELEASE_LOCK_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export const EXTEND_LOCK_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

// Deletes the shared token only when its id (a keyed hash) matches ARGV[1], so that invalidating
// an old token never removes the newer one that another process stored.
export const DELETE_TOKEN_SCRIPT = `
local value = redis.call('GET', KEYS[1])
if not value then return 0 end
local ok, record = pcall(cjson.decode, value)
if ok and type(record) == 'table' and record.id == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

// Sets the block deadline unless a later one is already set. ARGV: deadline (ms since the
// epoch), duration (ms). Both are rounded down to whole ms and the duration is raised to 1,
// because SET rejects a PX of 0 or a fraction. The caller caps the duration, because '%d'
// cannot format numbers beyond the 64-bit integer range.
export const BLOCK_SCRIPT = `
local deadline = math.floor(tonumber(ARGV[1]))
local duration = math.max(1, math.floor(tonumber(ARGV[2])))
local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if deadline > current then
  redis.call('SET', KEYS[1], string.format('%d', deadline), 'PX', string.format('%d', duration))
end
return 1`;
