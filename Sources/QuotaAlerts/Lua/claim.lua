-- claim: takes due deliveries for one lease. KEYS: 1 due queue, 2 webhooks hash. ARGV: 1 tenant key prefix,
-- 2 lease ms, 3 count. Each due id's score moves to now + lease (no other instance takes it until the lease
-- ends) and its first attempt time is set once. Returns {now, {{id, hash fields..., webhook JSON or false}...}};
-- ids whose hash expired leave the queue.
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  local key = ARGV[1] .. 'wd:' .. id
  if redis.call('EXISTS', key) == 0 then
    redis.call('ZREM', KEYS[1], id)
  else
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), id)
    redis.call('HSETNX', key, 'first', now)
    local hash = redis.call('HGETALL', key)
    local hook = redis.call('HGET', KEYS[2], redis.call('HGET', key, 'wh'))
    out[#out + 1] = { id, hash, hook }
  end
end
return { now, out }
