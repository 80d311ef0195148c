-- Replaces a quota hash atomically. KEYS: 1 quota hash. ARGV: field, value, field, value, ... (none: delete).
redis.call('DEL', KEYS[1])
if #ARGV > 0 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
return 1
