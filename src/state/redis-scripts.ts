/** Lua scripts of the Redis store: each runs atomically on the server. Expiry compares stored times with ARGV `now`. */

/** KEYS: entry, index, fence. ARGV: value, px, member, expiresAt, fence ('' = none). */
export const SET_ENTRY = `
if ARGV[5] ~= '' then
  local latest = redis.call('GET', KEYS[3])
  if latest and tonumber(latest) > tonumber(ARGV[5]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
return 1`;

/**
 * KEYS: entry, index, text. ARGV: value, px, member, expiresAt, text. A result: its entry and its text (UTF-16LE,
 * read by GETRANGE) written together with the same TTL.
 */
export const SET_RESULT = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[3], ARGV[5], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
return 1`;

/**
 * KEYS: index. ARGV: now, batch, entry key prefix, text key prefix. Deletes up to `batch` entries whose stored
 * expiry passed, with a result's text key.
 */
export const SWEEP = `
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, m in ipairs(members) do
  redis.call('DEL', ARGV[3] .. m, ARGV[4] .. m)
  redis.call('ZREM', KEYS[1], m)
end
return #members`;

/**
 * KEYS: entry, index, text. ARGV: now, member. Deletes the entry (and a result's text) only if it is still expired
 * (not rewritten since).
 */
export const DELETE_IF_EXPIRED = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local exp = tonumber(string.match(cur, '^(%d+)\\n'))
  if exp and exp > tonumber(ARGV[1]) then return 0 end
  redis.call('DEL', KEYS[1], KEYS[3])
end
redis.call('ZREM', KEYS[2], ARGV[2])
return 1`;

/**
 * KEYS: lock, fence sequence, fence. ARGV: now, ttl, token, fence retention, expiresAt.
 * The lock value is `expiresAt|token|fence`; SET ... PX lets Redis drop it natively as well.
 */
export const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local exp = tonumber(string.match(cur, '^(%d+)|'))
  if exp and exp > tonumber(ARGV[1]) then return 0 end
end
local fence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[5] .. '|' .. ARGV[3] .. '|' .. fence, 'PX', ARGV[2])
redis.call('SET', KEYS[3], fence, 'PX', tonumber(ARGV[2]) + tonumber(ARGV[4]))
return fence`;

/** KEYS: lock, fence. ARGV: now, ttl, token, fence retention, expiresAt. 1 when extended. */
export const EXTEND = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local exp, token, fence = string.match(cur, '^(%d+)|([^|]+)|(%d+)$')
if token ~= ARGV[3] or tonumber(exp) <= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[5] .. '|' .. token .. '|' .. fence, 'PX', ARGV[2])
if redis.call('GET', KEYS[2]) == fence then
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]) + tonumber(ARGV[4]))
end
return 1`;

/** KEYS: lock. ARGV: now, token. Compare-and-delete: 1 when this token held it (and it had not expired). */
export const RELEASE = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local exp, token = string.match(cur, '^(%d+)|([^|]+)|')
if token ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
if tonumber(exp) > tonumber(ARGV[1]) then return 1 end
return 0`;

/** KEYS: counter. ARGV: now, ttl, step, expiresAt. Value `expiresAt|count`; a fresh window starts at `step`. */
export const INCREMENT = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local exp, val = string.match(cur, '^(%d+)|(-?%d+)$')
  if exp and tonumber(exp) > tonumber(ARGV[1]) then
    local nv = tonumber(val) + tonumber(ARGV[3])
    redis.call('SET', KEYS[1], exp .. '|' .. string.format('%d', nv), 'KEEPTTL')
    return nv
  end
end
redis.call('SET', KEYS[1], ARGV[4] .. '|' .. ARGV[3], 'PX', ARGV[2])
return tonumber(ARGV[3])`;
