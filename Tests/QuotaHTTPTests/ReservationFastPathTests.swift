import NIOCore
@testable import QuotaHTTP
import Testing

/// The reservation body's one-pass decoding must answer exactly what the strict path answers, and leave
/// everything it does not fully understand to it.
@Suite("Reservation fast path")
struct ReservationFastPathTests {
    static func fast(_ text: String) -> ReservationBody? {
        ByteBuffer(string: text).withUnsafeReadableBytes { ReservationBodyFastDecoder.decode($0) }
    }

    static func strict(_ text: String) throws -> ReservationBody {
        try RequestBodyReader.decode(ReservationBody.self, from: ByteBuffer(string: text))
    }

    /// The members a body carries, for comparing the two decoders.
    static func summary(_ body: ReservationBody) -> String {
        [
            body.user, body.model ?? "nil", "\(body.provider as Any)", "\(body.inputTokens as Any)", "\(body.messages == nil)",
            "\(body.maxOutputTokens as Any)", "\(body.ttlSeconds as Any)", "\(body.reservationID as Any)",
        ].joined(separator: "|")
    }

    @Test(arguments: [
        #"{"user":"u1","model":"gpt-4o","provider":"openai","input_tokens":1000,"max_output_tokens":500,"ttl_seconds":600,"reservation_id":"r-1"}"#,
        #" { "model" : "claude-sonnet-4-5" , "user":"ünï" } "#,
        #"{"user":"u","model":"m","input_tokens":-5,"max_output_tokens":0,"ttl_seconds":123456789012345678}"#,
    ])
    func fastDecoderAgreesWithTheStrictPath(body: String) throws {
        let fast = try #require(Self.fast(body))
        #expect(Self.summary(fast) == Self.summary(try Self.strict(body)))
    }

    @Test(arguments: [
        #"{"user":"a","user":"b","model":"m"}"#, #"{"user":"a","modle":"m"}"#, #"{"user":"a"}"#, #"{"model":"m"}"#, "{}",
        #"{"user":"a\"b","model":"m"}"#, #"{"user":"a","model":"m","provider":null}"#,
        #"{"user":"a","model":"m","input_tokens":1.0}"#, #"{"user":"a","model":"m","input_tokens":1e3}"#,
        #"{"user":"a","model":"m","ttl_seconds":01}"#, #"{"user":"a","model":"m","input_tokens":1234567890123456789}"#,
        #"{"user":"a","model":"m","messages":[]}"#, #"{"user":"a","model":"m"} x"#, #"{"user":"a","model":"m",}"#,
        #"{"user":"a","model":"m""#, "", "[]", "{\"user\":\"a\u{01}\",\"model\":\"m\"}", #"{"us\u0065r":"a","model":"m"}"#,
        #"{"user":"a","model":"m","input_tokens":"1"}"#,
    ])
    func fastDecoderLeavesEverythingElseToTheStrictPath(body: String) {
        #expect(Self.fast(body) == nil)
    }

    @Test func strictErrorsAreUnchanged() throws {
        let cases: [(String, String)] = [
            (#"{"user":"a","user":"b","model":"m"}"#, "duplicate field 'user'"),
            (#"{"user":"a","modle":"m"}"#, "unknown field 'modle'"),
            (#"{"user":"a","model":"m","input_tokens":"1"}"#, "wrong type at input_tokens"),
        ]
        for (body, message) in cases {
            do {
                _ = try RequestBodyReader.decodeReservation(from: ByteBuffer(string: body))
                Issue.record("\(body) was accepted")
            } catch {
                #expect(error.message.contains(message), "\(body): \(error.message)")
            }
        }
        // A body without 'model' decodes (the model may come in 'request'); the controller names it missing.
        #expect(try RequestBodyReader.decodeReservation(from: ByteBuffer(string: #"{"user":"a"}"#)).model == nil)
        let escaped = try RequestBodyReader.decodeReservation(from: ByteBuffer(string: #"{"us\u0065r":"a\"b","model":"m"}"#))
        #expect(escaped.user == "a\"b")
    }
}
