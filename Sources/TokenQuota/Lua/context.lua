-- context: the quotas that apply to a user, read together with the tenant's quota epoch (one atomic read,
-- so the epoch is never newer than the quotas). KEYS: 1 quota epoch, 2 the user's quota, 3 the tenant's
-- per-user default, 4 the tenant aggregate quota. Returns {epoch ('0' when none), flat HGETALL x 3}.
return {redis.call('GET', KEYS[1]) or '0', redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[3]), redis.call('HGETALL', KEYS[4])}
