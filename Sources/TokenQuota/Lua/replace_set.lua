-- Replaces a set atomically. KEYS: 1 the set. ARGV: its members (none: delete it). Returns the new size.
redis.call('DEL', KEYS[1])
if #ARGV > 0 then redis.call('SADD', KEYS[1], unpack(ARGV)) end
return #ARGV
