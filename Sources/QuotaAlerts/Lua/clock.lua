-- Redis's time in milliseconds (prepended to the scripts that need it).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
