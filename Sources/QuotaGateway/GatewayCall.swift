import Foundation
import HTTPTypes
import QuotaHTTP
import TokenAccounting
import TokenQuota

/// What the gateway reads from a provider request body: the model, the end user, whether it streams,
/// what the model reads (for the input estimate) and its output cap; and the body sent upstream (the
/// caller's bytes, or with `stream_options.include_usage` added to an OpenAI chat stream that lacks it).
struct GatewayCall: Sendable {
    var model: String
    /// The body's user (`user` for OpenAI, `metadata.user_id` for Anthropic), if any.
    var bodyUser: String?
    var stream: Bool
    /// Whether the gateway asked for the usage chunk (which the caller then does not get).
    var injectedUsage: Bool
    var messages: [ChatMessage]
    var outputLimits: [OutputLimit]
    /// The body sent upstream.
    var upstreamBody: [UInt8]

    private struct Envelope: Decodable {
        struct Metadata: Decodable {
            var userID: String?
            enum CodingKeys: String, CodingKey { case userID = "user_id" }
        }
        struct StreamOptions: Decodable {
            var includeUsage: Bool?
            enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
        }
        var model: String?
        var user: String?
        var metadata: Metadata?
        var stream: Bool?
        var streamOptions: StreamOptions?
        enum CodingKeys: String, CodingKey {
            case model, user, metadata, stream
            case streamOptions = "stream_options"
        }
    }

    /// Reads `bytes` as a request of `route`.
    ///
    /// - Throws: `400` naming what is wrong (not a JSON object, no model, a member of the wrong type).
    init(bytes: [UInt8], route: GatewayRoute) throws(GatewayFailure) {
        let data = Data(bytes)
        let envelope: Envelope
        let request: ProviderRequestBody
        do {
            guard bytes.first(where: { !Self.isWhitespace($0) }) == UInt8(ascii: "{") else {
                throw GatewayFailure(.badRequest, code: "invalid_request", "the request body must be a JSON object")
            }
            // `JSONDecoder` reads some bytes that are not JSON text (invalid UTF-8, raw control characters in
            // strings, numbers with leading zeros: found by the gateway fuzz target); the providers refuse them,
            // so the gateway does, before holding anything, with the strict parser.
            guard (try? JSONSerialization.jsonObject(with: data)) != nil else {
                throw GatewayFailure(.badRequest, code: "invalid_request", "invalid request body: not JSON text (RFC 8259)")
            }
            envelope = try JSONDecoder().decode(Envelope.self, from: data)
            request = try JSONDecoder().decode(ProviderRequestBody.self, from: data)
        } catch let failure as GatewayFailure {
            throw failure
        } catch let error as DecodingError {
            throw GatewayFailure(.badRequest, code: "invalid_request", "invalid request body: \(RequestBodyReader.describe(error))")
        } catch {
            throw GatewayFailure(.badRequest, code: "invalid_request", "invalid request body: not JSON")
        }
        guard let model = envelope.model, !model.isEmpty else {
            throw GatewayFailure(.badRequest, code: "invalid_request", "missing field 'model'", param: "model")
        }
        self.model = model
        switch route.dialect {
        case .openai: bodyUser = envelope.user
        case .anthropic: bodyUser = envelope.metadata?.userID
        }
        stream = envelope.stream ?? false
        messages = request.allMessages
        if route.hasOutput {
            outputLimits = [
                ("max_output_tokens", request.maxOutputTokens), ("max_tokens", request.maxTokens),
                ("max_completion_tokens", request.maxCompletionTokens),
            ].compactMap { field, value in value.map { OutputLimit(field: field, value: $0) } }
        } else {
            outputLimits = [OutputLimit(field: "embeddings", value: 0)]
        }
        injectedUsage = route == .chatCompletions && stream && envelope.streamOptions?.includeUsage != true
        upstreamBody = bytes
        if injectedUsage {
            // A `"stream_options": null` decodes as absent but must not be given twice.
            let named = envelope.streamOptions != nil || bytes.contains(bytesOf: #""stream_options""#)
            upstreamBody = try Self.addingIncludeUsage(bytes, hasStreamOptions: named)
        }
    }

    /// `bytes` with `"stream_options":{"include_usage":true}`: inserted as the object's first member when the
    /// body has no `stream_options` (every other byte kept), else the object re-serialized with it set.
    static func addingIncludeUsage(_ bytes: [UInt8], hasStreamOptions: Bool) throws(GatewayFailure) -> [UInt8] {
        if !hasStreamOptions, let open = bytes.firstIndex(of: UInt8(ascii: "{")) {
            var out = Array(bytes[...open])
            out += Array(#""stream_options":{"include_usage":true},"#.utf8)
            out += bytes[(open + 1)...]
            return out
        }
        guard var object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw GatewayFailure(.badRequest, code: "invalid_request", "the request body must be a JSON object")
        }
        var options = object["stream_options"] as? [String: Any] ?? [:]
        options["include_usage"] = true
        object["stream_options"] = options
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes]) else {
            throw GatewayFailure(.badRequest, code: "invalid_request", "the request body cannot be re-encoded")
        }
        return Array(data)
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
