-- reset_usage: starts a user's running cycle from zero, on purpose, and writes down who did it and what was
-- spent: the user's cycle hashes (of their own schedule and of the default's, when they differ) and rolling
-- windows are deleted; the group's and tenant's totals and the report rows keep what happened, and the
-- report rows of the tenant cycle get a row 'z|<user>|<Redis time ms>' = '<by>|<tokens>|<cost nano-USD>'.
-- KEYS: 1 the user's cycle hash, 2 the user's cycle hash of the other schedule (or KEYS[1]), 3 the user's
-- windows, 4 the report rows of the tenant cycle.
-- ARGV: 1 user, 2 who reset, 3 the report rows' EXPIREAT s.
-- Returns {tokens, cost, Redis time ms}: what the deleted cycle totals held.
local now = redis_now()
local tokens, cost = 0, 0
local cycles = {KEYS[1]}
if KEYS[2] ~= KEYS[1] then cycles[2] = KEYS[2] end
for _, key in ipairs(cycles) do
  local t = redis.call('HMGET', key, 'in', 'out', 'cost')
  tokens = tokens + tonumber(t[1] or '0') + tonumber(t[2] or '0')
  cost = cost + tonumber(t[3] or '0')
  redis.call('DEL', key)
end
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[4], 'z|' .. ARGV[1] .. '|' .. int(now), ARGV[2] .. '|' .. int(tokens) .. '|' .. int(cost))
if redis.call('TTL', KEYS[4]) < 0 then redis.call('EXPIREAT', KEYS[4], ARGV[3]) end
return {int(tokens), int(cost), int(now)}
