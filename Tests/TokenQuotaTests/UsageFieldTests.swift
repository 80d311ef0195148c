import Foundation
import Testing
@testable import TokenQuota

/// The stored-count vocabulary is spelled once in Swift (``UsageField``) and once per Lua list; they agree.
@Suite("Usage field vocabulary")
struct UsageFieldTests {
    /// The names of the Lua table `local <name> = {...}` in a script of `Sources/TokenQuota/Lua`.
    static func luaList(_ name: String, in file: String) throws -> [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("Sources/TokenQuota/Lua/\(file)"), encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("local \(name) = {") })
        let body = line.drop { $0 != "{" }.dropFirst().prefix { $0 != "}" }
        return body.split(separator: ",").map { item in
            // `'in'`, or `['in'] = true` / `cin = true` in a set.
            let key = item.split(separator: "=").first.map(String.init) ?? String(item)
            return key.trimmingCharacters(in: CharacterSet(charactersIn: " []'"))
        }
    }

    @Test func theLuaListsSpellTheSameFields() throws {
        #expect(try Self.luaList("totals_fields", in: "common.lua") == UsageField.totalsFields.map(\.rawValue))
        #expect(try Self.luaList("row_fields", in: "record_rows.lua") == UsageField.rowFields.map(\.rawValue))
        #expect(try Set(Self.luaList("event_fields", in: "record_events.lua")) == Set(UsageField.eventFields.map(\.rawValue)))
        #expect(try Self.luaList("count_names", in: "record.lua") == UsageField.eventFields.map(\.rawValue), "ARGV 20-29")
    }

    @Test func everyFieldHasItsOwnAPIName() {
        #expect(Set(UsageField.allCases.map(\.apiName)).count == UsageField.allCases.count)
        #expect(UsageField.totals { $0 == .requests ? 3 : 0 }.requests == 3)
        #expect(UsageField.usage { $0 == .cacheWrite1hTokens ? 7 : 0 }.cacheWrite1hTokens == 7)
    }
}
