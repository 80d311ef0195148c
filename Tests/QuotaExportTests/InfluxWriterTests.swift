import Testing
@testable import QuotaExport

@Suite("InfluxDB target, answers and backoff")
struct InfluxWriterTests {
    @Test("1.x write URL: db, optional rp, precision ns, values percent-encoded; no Authorization")
    func v1URL() {
        let target = InfluxTarget(baseURL: "http://127.0.0.1:8086/", api: .v1(database: "usage db", retentionPolicy: "a&b"))
        #expect(target.writeURL == "http://127.0.0.1:8086/write?db=usage%20db&rp=a%26b&precision=ns")
        #expect(target.authorization == nil)
        let plain = InfluxTarget(baseURL: "http://h:1/prefix", api: .v1(database: "q", retentionPolicy: nil))
        #expect(plain.writeURL == "http://h:1/prefix/write?db=q&precision=ns")
    }

    @Test("2.x write URL: org, bucket, precision ns; Authorization: Token <token>")
    func v2URL() {
        let target = InfluxTarget(baseURL: "https://influx.example", api: .v2(org: "my org", bucket: "b/1", token: "s3cr=t"))
        #expect(target.writeURL == "https://influx.example/api/v2/write?org=my%20org&bucket=b%2F1&precision=ns")
        #expect(target.authorization == "Token s3cr=t")
    }

    @Test("2xx written; 400 and 422 rejected with the dropped count; anything else failed (retried)")
    func classify() {
        #expect(InfluxWriter.classify(status: 204, message: "") == .written)
        let partial = #"{"error":"partial write: field type conflict: input field \"v\" on measurement \"m\" is type string, already exists as type integer dropped=3"}"#
        #expect(InfluxWriter.classify(status: 400, message: partial) == .rejected(status: 400, rejected: 3, message: partial))
        let parse = #"{"error":"partial write: unable to parse 'm,a=z\\ v=3i 3': invalid tag format dropped=0"}"#
        #expect(InfluxWriter.classify(status: 400, message: parse) == .rejected(status: 400, rejected: 1, message: parse))
        #expect(InfluxWriter.classify(status: 422, message: "{}") == .rejected(status: 422, rejected: 1, message: "{}"))
        for status in [401, 403, 404, 413, 429, 500, 503] {
            guard case .failed = InfluxWriter.classify(status: status, message: "x") else {
                Issue.record("status \(status) must be retried")
                continue
            }
        }
    }

    @Test("backoff doubles from the initial wait, stays within [d/2, d] and is capped")
    func backoff() {
        var generator = SplitMix64(seed: 7)
        var backoff = ExportBackoff(initial: .milliseconds(100), maximum: .seconds(30))
        var ceilings: [Duration] = []
        for attempt in 0..<20 {
            let ceiling = backoff.ceiling(attempt)
            let wait = backoff.next(using: &generator)
            #expect(wait >= ceiling / 2 && wait <= ceiling)
            ceilings.append(ceiling)
        }
        #expect(ceilings[0] == .milliseconds(100))
        #expect(ceilings[3] == .milliseconds(800))
        #expect(ceilings[19] == .seconds(30))
        backoff.reset()
        #expect(backoff.next(using: &generator) <= .milliseconds(100))
    }
}
