/// Decodes the common shape of a reservation body in one pass over its bytes, without `JSONDecoder` and
/// without the separate key scan: `user`, `model`, `provider`, `input_tokens`, `max_output_tokens`,
/// `ttl_seconds` and `reservation_id`.
///
/// Like ``UsageRequestFastDecoder``, it only ever answers for bodies it fully understands, with exactly the
/// value the strict path (``JSONKeyScanner`` + `JSONDecoder`) would produce. Anything else — an unknown or
/// duplicate key, a missing `user` or `model`, an escape sequence, `null`, a non-integral or out-of-range
/// number, `messages`, trailing bytes, malformed JSON — returns nil, and the caller takes the strict path,
/// which produces the exact answer and error message.
struct ReservationBodyFastDecoder: FastJSONScanning {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    /// The decoded body, or nil when the strict path must decide.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> ReservationBody? {
        var decoder = ReservationBodyFastDecoder(bytes: bytes)
        return decoder.body()
    }

    private mutating func body() -> ReservationBody? {
        var user: String?
        var model: String?
        var provider: String?
        var inputTokens: Int?
        var maxOutputTokens: Int?
        var ttlSeconds: Int?
        var reservationID: String?
        let understood = document(of: Field.self) { json, field in
            switch field {
            case .user: guard let value = json.string() else { return false }; user = value
            case .model: guard let value = json.string() else { return false }; model = value
            case .provider: guard let value = json.string() else { return false }; provider = value
            case .reservationID: guard let value = json.string() else { return false }; reservationID = value
            case .inputTokens: guard let value = json.integer() else { return false }; inputTokens = value
            case .maxOutputTokens: guard let value = json.integer() else { return false }; maxOutputTokens = value
            case .ttlSeconds: guard let value = json.integer() else { return false }; ttlSeconds = value
            }
            return true
        }
        // The strict path names a missing required field; leave that to it.
        guard understood, let user, let model else { return nil }
        return ReservationBody(
            user: user, model: model, provider: provider, inputTokens: inputTokens, messages: nil,
            maxOutputTokens: maxOutputTokens, ttlSeconds: ttlSeconds, reservationID: reservationID
        )
    }

    /// The top-level members this decoder handles.
    private enum Field: Int, FastJSONField {
        case user, model, provider, inputTokens, maxOutputTokens, ttlSeconds, reservationID

        init?(key: UnsafeRawBufferPointer) {
            switch key.count {
            case 4 where ReservationBodyFastDecoder.equals(key, "user"): self = .user
            case 5 where ReservationBodyFastDecoder.equals(key, "model"): self = .model
            case 8 where ReservationBodyFastDecoder.equals(key, "provider"): self = .provider
            case 11 where ReservationBodyFastDecoder.equals(key, "ttl_seconds"): self = .ttlSeconds
            case 12 where ReservationBodyFastDecoder.equals(key, "input_tokens"): self = .inputTokens
            case 14 where ReservationBodyFastDecoder.equals(key, "reservation_id"): self = .reservationID
            case 17 where ReservationBodyFastDecoder.equals(key, "max_output_tokens"): self = .maxOutputTokens
            default: return nil
            }
        }
    }
}
