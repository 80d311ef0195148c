import AsyncRedis

/// The exporter's Lua script (`Sources/QuotaExport/Lua/read_new.lua`, compiled into the binary).
enum ExportScripts {
    /// Reads new entries for the group and counts the events trimmed before the group read them (see
    /// `read_new.lua`).
    static let readNew = RedisScript(String(decoding: PackageResources.read_new_lua, as: UTF8.self))
}
