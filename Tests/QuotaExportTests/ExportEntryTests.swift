import Testing
@testable import QuotaExport

@Suite("Recorded event to point")
struct RecordedEventTests {
    let encoder = LineProtocolEncoder(measurement: "llm_usage")

    func event(_ fields: [String: String], id: String = "1700000000000-0", tenant: String = "acme") -> ExportEntry {
        ExportEntry(tenant: tenant, streamID: id, fields: fields)
    }

    @Test("fields: cache writes 5 min + 1 h, absent counts 0, latency when known, error 0/1")
    func fields() {
        let point = event([
            "n": "42", "e": "ev", "u": "alice", "g": "", "m": "gpt-4o", "p": "openai", "s": "client",
            "at": "1700000000123", "rt": "1700000000200", "lat": "250", "err": "1",
            "in": "100", "cin": "40", "cw": "3", "cw1": "4", "out": "7", "rsn": "2", "cost": "999",
        ]).point
        #expect(encoder.line(point) == "llm_usage,model=gpt-4o,provider=openai,source=client,tenant=acme,user=alice "
            + "input_tokens=100i,cached_input_tokens=40i,cache_write_tokens=7i,output_tokens=7i,reasoning_tokens=2i,"
            + "cost_nano_usd=999i,latency_ms=250i,error=1i 1700000000123000042")
    }

    @Test("unknown latency is left out; missing counts are 0")
    func unknownLatency() {
        let point = event(["n": "1", "u": "bob", "m": "m", "at": "1000", "lat": ""]).point
        #expect(!point.fields.contains { $0.key == "latency_ms" })
        #expect(point.fields.first { $0.key == "input_tokens" }?.value == 0)
        #expect(point.fields.last == .init("error", 0))
    }

    @Test("timestamp: at ms × 1e6 + n mod 1e6, so same-millisecond events differ and re-sends are identical")
    func timestamps() {
        let first = event(["n": "1000001", "u": "u", "at": "1700000000000"]).point
        let second = event(["n": "1000002", "u": "u", "at": "1700000000000"]).point
        #expect(first.timestampNanoseconds == 1_700_000_000_000_000_001)
        #expect(second.timestampNanoseconds == 1_700_000_000_000_000_002)
        let again = event(["n": "1000001", "u": "u", "at": "1700000000000"]).point
        #expect(encoder.line(first) == encoder.line(again))
    }

    @Test("without at the recorded time, then the stream id's time is used")
    func fallbackTime() {
        #expect(event(["n": "3", "rt": "5000"]).point.timestampNanoseconds == 5_000_000_003)
        #expect(event(["n": "3"], id: "6000-1").point.timestampNanoseconds == 6_000_000_003)
    }

    @Test("declared dimensions become tags; a dimension named like a built-in tag is left out")
    func dimensions() {
        let point = event(["n": "1", "u": "alice", "at": "1", "d:feature": "chat search", "d:user": "mallory", "d:task_id": "t=1"]).point
        #expect(point.tags["feature"] == "chat search")
        #expect(point.tags["task_id"] == "t=1")
        #expect(point.tags["user"] == "alice")
        #expect(encoder.line(point).hasPrefix(#"llm_usage,feature=chat\ search,task_id=t\=1,tenant=acme,user=alice "#))
    }
}
