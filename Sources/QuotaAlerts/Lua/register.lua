-- register: adds a webhook unless the tenant has the most allowed. KEYS: 1 webhooks hash, 2 alert stream.
-- ARGV: 1 id, 2 JSON record, 3 most webhooks. Creates the `webhooks` consumer group at `$` (MKSTREAM) on the
-- first registration. Returns 1, or 0 when full.
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local created = redis.pcall('XGROUP', 'CREATE', KEYS[2], 'webhooks', '$', 'MKSTREAM')
if type(created) == 'table' and created.err and not string.find(created.err, 'BUSYGROUP', 1, true) then
  return redis.error_reply(created.err)
end
return 1
