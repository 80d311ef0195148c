import AsyncRedis
import Foundation

/// The Lua scripts of ``RedisQuotaRepository`` (the files in `Sources/TokenQuota/Lua`, compiled into the
/// binary). Each touches one tenant's keys (one hash tag, so one Redis Cluster slot) and runs atomically;
/// `common.lua` is prepended to each, and `levels.lua` to those that work on every level.
///
/// Numbers: counters change with HINCRBY (exact 64-bit integers). Sums computed in Lua use doubles, exact up
/// to 2^53; every stored total is therefore kept at or below ``totalBound`` (2^53 tokens, requests or
/// nano-USD — about $9M per level and cycle): the record script refuses, before changing anything, an event
/// that would push any total of any level past it. Limits are capped at 9 × 10^15, below the bound. Replies
/// carry integers (formatted with `%d`), never Lua floats.
enum QuotaScripts {
    /// The largest value a stored total may reach: 2^53.
    static let totalBound = 9_007_199_254_740_992


    /// A script file's text with its comment lines emptied: the text travels with every `EVAL` (the first
    /// call of each script on each server) and the files are mostly comments; the lines stay, so Lua's error
    /// line numbers still point into the concatenated files.
    private static func source(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.drop { $0 == " " }.hasPrefix("--") ? "" : $0 }
            .joined(separator: "\n")
    }
    private static let common = source(PackageResources.common_lua)
    private static let levels = source(PackageResources.levels_lua)

    /// record(event) at every level: idempotent by event id, all or nothing (see `record.lua`), with its
    /// parts: the count rows, the bound checks, thresholds and cycle limits, the event stream.
    static let record = RedisScript(
        common + levels + source(PackageResources.record_rows_lua) + source(PackageResources.record_bounds_lua)
            + source(PackageResources.record_thresholds_lua) + source(PackageResources.record_events_lua)
            + source(PackageResources.record_lua)
    )
    /// reserve(estimate) at every level (see `reserve.lua`).
    static let reserve = RedisScript(common + levels + source(PackageResources.reserve_lua))
    /// extend(reservation) at every level it is held at (see `extend.lua`).
    static let extend = RedisScript(common + levels + source(PackageResources.extend_lua))
    /// release(reservation) (see `release.lua`).
    static let release = RedisScript(common + source(PackageResources.release_lua))
    /// One level's state (see `read.lua`).
    static let read = RedisScript(common + source(PackageResources.read_lua))
    /// The quotas that apply to a user with the tenant's quota epoch, in one atomic read (see `context.lua`).
    static let context = RedisScript(source(PackageResources.context_lua))
    /// Replaces a quota hash atomically and changes the tenant's quota epoch.
    static let replaceQuota = RedisScript(source(PackageResources.quota_epoch_lua) + source(PackageResources.replace_quota_lua))
    /// Starts a user's running cycle from zero and records the reset in the report rows.
    static let resetUsage = RedisScript(common + source(PackageResources.reset_usage_lua))
}
