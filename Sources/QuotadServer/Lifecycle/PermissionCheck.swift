public import AsyncRedis

/// Checks, before quotad serves, that its Redis user may run scripts on both of quotad's key prefixes:
/// `EVALSHA` and `EVAL` of a read-only probe (`EXISTS`) on a `quotad:` and on a `q:` key.
///
/// Every quota operation is a script, so a user without `+evalsha`, `+eval` or one of the key patterns of
/// deploy/redis/quotad.acl would otherwise pass `/readyz` (which only sends `PING`) and fail every request.
/// This names the refusal at startup instead. It does not prove the whole rule (the commands the scripts call
/// are checked when they run); the live test `tests/live/test_redis_production.py` does.
///
/// Call it after ``checkRedisSchema(client:logger:timeout:)`` (which waits for the first connection).
///
/// - Throws: ``ConfigurationError`` naming Redis's `NOPERM` (or other) refusal and the rule to grant.
public func checkRedisPermissions(client: RedisClient) async throws(ConfigurationError) {
    for (command, key) in [("EVALSHA", "quotad:schema"), ("EVAL", "q:settings:metrics")] {
        let script = command == "EVALSHA" ? permissionProbe.sha1 : permissionProbe.source
        do {
            try await client.send(command, script, 1, key)
        } catch where command == "EVALSHA" && error.serverErrorPrefix == "NOSCRIPT" {
            // Not cached: the command was allowed (ACL checks come before the script lookup).
        } catch {
            throw ConfigurationError(
                "Redis refused \(command) on \(key), which quotad needs for every quota operation: \(error.message)"
                    + " (grant quotad's Redis user the rule in deploy/redis/quotad.acl)",
                key: settingKey(client)
            )
        }
    }
}

/// Reads one key; changes nothing.
private let permissionProbe = RedisScript("return redis.call('EXISTS', KEYS[1])")
