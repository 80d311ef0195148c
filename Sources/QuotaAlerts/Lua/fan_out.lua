-- fan_out: turns alerts into deliveries. KEYS: 1 alert stream, 2 webhooks hash, 3 due queue. ARGV: 1 tenant
-- key prefix, 2 delivery TTL s, 3 recent list length, 4.. alert stream ids. Per id, XACK decides (1 = this
-- call owns the entry, 0 = another consumer already fanned it out); only the owner creates one delivery per
-- webhook subscribed to the alert's type. The delivery keys (`<prefix>wd:<id>`, `<prefix>wl:<webhook>`) are
-- built here from the prefix, which carries the tenant's hash tag, so they share the declared keys' slot.
-- Returns the number of deliveries created.
local stream, hooks, queue = KEYS[1], KEYS[2], KEYS[3]
local prefix, ttl, keep = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local list = redis.call('HGETALL', hooks)
local parsed = {}
for i = 1, #list, 2 do
  local ok, hook = pcall(cjson.decode, list[i + 1])
  if ok and type(hook) == 'table' and type(hook.events) == 'table' then
    parsed[#parsed + 1] = { list[i], hook.events }
  end
end
local created = 0
for a = 4, #ARGV do
  local id = ARGV[a]
  if redis.call('XACK', stream, 'webhooks', id) == 1 then
    local entries = redis.call('XRANGE', stream, id, id)
    if #entries == 1 then
      local fields = entries[1][2]
      local kind = ''
      for i = 1, #fields, 2 do if fields[i] == 'type' then kind = fields[i + 1] end end
      for _, hook in ipairs(parsed) do
        local subscribed = false
        for _, name in ipairs(hook[2]) do if name == kind then subscribed = true end end
        if subscribed then
          local delivery = id .. '.' .. hook[1]
          local key = prefix .. 'wd:' .. delivery
          local values = { 'wh', hook[1], 'msg', id, 'st', 'pending', 'n', 0, 'next', now, 'created', now }
          for i = 1, #fields, 2 do
            values[#values + 1] = 'f:' .. fields[i]
            values[#values + 1] = fields[i + 1]
          end
          redis.call('HSET', key, unpack(values))
          redis.call('EXPIRE', key, ttl)
          redis.call('ZADD', queue, now, delivery)
          local recent = prefix .. 'wl:' .. hook[1]
          redis.call('LPUSH', recent, delivery)
          redis.call('LTRIM', recent, 0, keep - 1)
          created = created + 1
        end
      end
    end
  end
end
return created
