-- retry: re-queues a dead or pending delivery now, with a fresh retry window. KEYS: 1 due queue, 2 the
-- delivery's hash. ARGV: 1 id, 2 webhook id, 3 TTL s. Returns queued, delivered or missing.
local queue, key, id = KEYS[1], KEYS[2], ARGV[1]
if redis.call('HGET', key, 'wh') ~= ARGV[2] then return 'missing' end
if redis.call('HGET', key, 'st') == 'delivered' then return 'delivered' end
redis.call('HSET', key, 'st', 'pending', 'next', now)
redis.call('HDEL', key, 'first')
redis.call('EXPIRE', key, tonumber(ARGV[3]))
redis.call('ZADD', queue, now, id)
return 'queued'
