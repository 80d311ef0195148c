-- complete: records an attempt's outcome. KEYS: 1 due queue, 2 the delivery's hash. ARGV: 1 id, 2 outcome
-- (ok, fail, gone), 3 status code ('' = none), 4 error, 5 retry delay ms, 6 retry window ms, 7 TTL s of a
-- finished delivery. Returns delivered, retry, dead or missing.
local queue, key, id = KEYS[1], KEYS[2], ARGV[1]
if redis.call('EXISTS', key) == 0 then
  redis.call('ZREM', queue, id)
  return 'missing'
end
if redis.call('HGET', key, 'st') == 'delivered' then
  redis.call('ZREM', queue, id)
  return 'delivered'
end
redis.call('HINCRBY', key, 'n', 1)
redis.call('HSET', key, 'code', ARGV[3], 'err', ARGV[4], 'last', now)
if ARGV[2] == 'ok' then
  redis.call('HSET', key, 'st', 'delivered', 'next', '')
  redis.call('ZREM', queue, id)
  redis.call('EXPIRE', key, tonumber(ARGV[7]))
  return 'delivered'
end
local first = tonumber(redis.call('HGET', key, 'first') or now) or now
if ARGV[2] == 'gone' or now - first >= tonumber(ARGV[6]) then
  redis.call('HSET', key, 'st', 'dead', 'next', '')
  redis.call('ZREM', queue, id)
  redis.call('EXPIRE', key, tonumber(ARGV[7]))
  return 'dead'
end
local due = now + tonumber(ARGV[5])
redis.call('HSET', key, 'st', 'pending', 'next', due)
redis.call('ZADD', queue, due, id)
return 'retry'
