/// `redis.mode` / `QUOTAD_REDIS_MODE`: how quotad reaches Redis.
public enum RedisTopology: String, Sendable, CaseIterable {
    /// One server: `redis.url`, or without it the embedded `redis-server`.
    case standalone
    /// A Redis Cluster discovered from the `redis.nodes` seeds.
    case cluster
    /// A primary found through the `redis.sentinels` under the name `redis.sentinel_master`.
    case sentinel
}
