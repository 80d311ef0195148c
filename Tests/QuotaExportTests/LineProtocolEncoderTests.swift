import Testing
@testable import QuotaExport

@Suite("Line protocol encoder")
struct LineProtocolEncoderTests {
    let encoder = LineProtocolEncoder(measurement: "llm_usage")

    func point(_ tags: [String: String], fields: [InfluxPoint.Field] = [.init("input_tokens", 5)], at: Int64 = 1_700_000_000_000_000_007) -> InfluxPoint {
        InfluxPoint(tags: tags, fields: fields, timestampNanoseconds: at)
    }

    @Test("tags sorted by key, empty values left out, integer fields with i, timestamp in ns")
    func shape() {
        let line = encoder.line(point(
            ["user": "u1", "tenant": "acme", "group": "", "model": "gpt-4o"],
            fields: [.init("input_tokens", 12), .init("output_tokens", 0), .init("error", 1)]
        ))
        #expect(line == "llm_usage,model=gpt-4o,tenant=acme,user=u1 input_tokens=12i,output_tokens=0i,error=1i 1700000000000000007")
    }

    @Test("tag keys and values: comma, equals sign, space and backslash escaped; quotes, @ and unicode as they are")
    func nastyTagValues() {
        let line = encoder.line(point([
            "user": "a b,c=d", "model": #"say "hi""#, "tenant": #"back\slash"#, "source": "alice@example.com",
            "provider": "ünï-😀", "feature": #"ends\"#, "k ey,=x": "v",
        ]))
        #expect(line == #"llm_usage,feature=ends\\,k\ ey\,\=x=v,model=say\ "hi",provider=ünï-😀,source=alice@example.com,"#
            + #"tenant=back\\slash,user=a\ b\,c\=d input_tokens=5i 1700000000000000007"#)
    }

    @Test("a line break in a value becomes an escaped space: one point stays one line")
    func lineBreaks() {
        let line = encoder.line(point(["user": "two\nlines\r"]))
        #expect(line == #"llm_usage,user=two\ lines\  input_tokens=5i 1700000000000000007"#)
        #expect(!line.contains("\n"))
    }

    @Test("measurement: comma, space and backslash escaped, equals sign kept")
    func measurement() {
        let encoder = LineProtocolEncoder(measurement: #"llm usage,v=2\x"#)
        #expect(encoder.line(point([:])) == #"llm\ usage\,v=2\\x input_tokens=5i 1700000000000000007"#)
    }

    @Test("field keys escaped like tag keys; negative integers")
    func fieldKeys() {
        let line = encoder.line(point(["t": "x"], fields: [.init("a b=c,d", -3)]))
        #expect(line == #"llm_usage,t=x a\ b\=c\,d=-3i 1700000000000000007"#)
    }

    @Test("tags sort by bytes, not by locale")
    func byteOrder() {
        let line = encoder.line(point(["b": "1", "B": "2", "a_": "3", "a": "4", "é": "5"]))
        #expect(line.hasPrefix("llm_usage,B=2,a=4,a_=3,b=1,é=5 "))
    }

    @Test("append writes a trailing newline per point")
    func batch() {
        var output: [UInt8] = []
        encoder.append(point(["t": "1"]), to: &output)
        encoder.append(point(["t": "2"]), to: &output)
        #expect(String(decoding: output, as: UTF8.self).split(separator: "\n").count == 2)
        #expect(output.last == UInt8(ascii: "\n"))
    }
}
