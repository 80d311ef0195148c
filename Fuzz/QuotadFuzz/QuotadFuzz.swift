// libFuzzer entry point of quotad's parsers of outside bytes. Built only by scripts/fuzz.sh (QUOTAD_FUZZ=1
// declares this target in Package.swift) with `-sanitize=fuzzer,address -parse-as-library -enable-testing`,
// so the internal parsers are reachable through `@testable import`.
//
// One binary, several targets: `QUOTAD_FUZZ_TARGET` names the parser (see ``FuzzTarget``); each has its own
// corpus under Fuzz/Corpus/<target>/. A finding is a trap (`fatalError`, overflow, out of bounds) that
// libFuzzer and AddressSanitizer report with the input that caused it.
import Foundation
import NIOCore
@testable import AsyncRedis
@testable import QuotaGateway
@testable import QuotaHTTP
@testable import TokenAccounting
@testable import TokenQuota

/// The parsers this binary can fuzz.
enum FuzzTarget: String, CaseIterable {
    /// Differential: ``UsageRequestFastDecoder`` against the strict path (``JSONKeyScanner`` + `JSONDecoder`).
    case usage
    /// Differential: ``ReservationBodyFastDecoder`` against the strict path.
    case reservation
    /// The strict key check and Codable decoding of the other bodies: quota, settings, keys, dimensions, webhooks.
    case strict
    /// The provider usage parsers (every provider and auto-detection), ``JSONReader`` and ``SSEParser``.
    case provider
    /// ``EventCursor`` (the `since` query parameter of `GET …/events`).
    case cursor
    /// ``RESPReader``: what Redis sends, fed in two pieces.
    case resp
    /// The gateway: ``GatewayCall`` (a provider request body, for each route) and ``GatewayStreamRelay``
    /// (a provider's SSE stream, fed in two pieces: every byte must reach the caller when nothing is dropped).
    case gateway

    static let selected: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["QUOTAD_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            fatalError("QUOTAD_FUZZ_TARGET must be one of \(allCases.map(\.rawValue)), not '\(name)'")
        }
        return target
    }()
}

/// libFuzzer's own driver (`-sanitize=fuzzer` links it): SwiftPM points the executable's `main` at this
/// module's entry point, so the entry point hands the command line to libFuzzer.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafeRawPointer, Int) -> CInt
) -> CInt

@main
enum QuotadFuzz {
    static func main() {
        _ = FuzzTarget.selected
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runFuzzerDriver(&argc, &argv, { start, count in fuzz(start, count) }))
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    switch FuzzTarget.selected {
    case .usage: Differential.usage(bytes)
    case .reservation: Differential.reservation(bytes)
    case .strict: StrictBodies.decode(bytes)
    case .provider: ProviderBodies.parse(bytes)
    case .cursor: _ = EventCursor(String(decoding: bytes, as: UTF8.self))
    case .resp: RESPBytes.read(bytes)
    case .gateway: GatewayBytes.read(bytes)
    }
    return 0
}

/// The fast decoders may give up (nil); when they answer, the strict path must accept with the same values.
enum Differential {
    static func usage(_ bytes: UnsafeRawBufferPointer) {
        guard let fast = UsageRequestFastDecoder.decode(bytes) else {
            _ = try? RequestBodyReader.decode(UsageRequest.self, from: ByteBuffer(bytes: bytes))
            return
        }
        let strict: UsageRequest
        do {
            strict = try RequestBodyReader.decode(UsageRequest.self, from: ByteBuffer(bytes: bytes))
        } catch {
            fatalError("disagreement: the fast usage decoder accepts what the strict path rejects (\(error.message)): \(fast)")
        }
        let same = fast.user == strict.user && fast.eventID == strict.eventID && fast.provider == strict.provider
            && fast.model == strict.model && sameResponse(fast.response, strict.response)
            && fast.usage == strict.usage && fast.usageIsEstimate == strict.usageIsEstimate
            && fast.messages == strict.messages && fast.outputText == strict.outputText
            && fast.reservationID == strict.reservationID && fast.latencyMilliseconds == strict.latencyMilliseconds
            && fast.metadata == strict.metadata && fast.error == strict.error
        if !same { fatalError("disagreement on usage values: fast \(fast), strict \(strict)") }
    }

    /// The same provider response: the fast decoder passes an object's bytes as sent, the strict path
    /// re-serializes it, so JSON values are compared (each decoded by `JSONDecoder`), text as text.
    static func sameResponse(_ fast: ProviderResponseBody?, _ strict: ProviderResponseBody?) -> Bool {
        switch (fast, strict) {
        case (nil, nil): return true
        case (.text(let a)?, .text(let b)?): return a == b
        case (.json(let a)?, .json(let b)?):
            guard let left = try? JSONDecoder().decode(JSONFragment.self, from: Data(a)),
                  let right = try? JSONDecoder().decode(JSONFragment.self, from: Data(b))
            else { return false }
            return left == right
        default: return false
        }
    }

    static func reservation(_ bytes: UnsafeRawBufferPointer) {
        guard let fast = ReservationBodyFastDecoder.decode(bytes) else {
            _ = try? RequestBodyReader.decode(ReservationBody.self, from: ByteBuffer(bytes: bytes))
            return
        }
        let strict: ReservationBody
        do {
            strict = try RequestBodyReader.decode(ReservationBody.self, from: ByteBuffer(bytes: bytes))
        } catch {
            fatalError("disagreement: the fast reservation decoder accepts what the strict path rejects (\(error.message)): \(fast)")
        }
        let same = fast.user == strict.user && fast.model == strict.model && fast.provider == strict.provider
            && fast.inputTokens == strict.inputTokens && fast.messages == strict.messages
            && fast.maxOutputTokens == strict.maxOutputTokens && fast.ttlSeconds == strict.ttlSeconds
            && fast.reservationID == strict.reservationID
        if !same { fatalError("disagreement on reservation values: fast \(fast), strict \(strict)") }
    }
}

/// Every other strict body, decoded as the controllers do (errors are fine, traps are not).
enum StrictBodies {
    static func decode(_ bytes: UnsafeRawBufferPointer) {
        let buffer = ByteBuffer(bytes: bytes)
        _ = try? RequestBodyReader.decode(QuotaBody.self, from: buffer)
        _ = try? RequestBodyReader.decode(SettingsController.Patch.self, from: buffer)
        _ = try? RequestBodyReader.decode(KeysController.CreateBody.self, from: buffer)
        _ = try? RequestBodyReader.decode(DimensionsBody.self, from: buffer)
        _ = try? RequestBodyReader.decode(WebhookBody.self, from: buffer)
    }
}

/// Provider response bodies: auto-detected and as each known provider, plus the JSON and SSE readers alone.
enum ProviderBodies {
    static func parse(_ bytes: UnsafeRawBufferPointer) {
        let array = Array(bytes)
        _ = try? UsageParser.parse(array)
        for provider in Provider.known { _ = try? UsageParser.parse(array, provider: provider) }
        _ = try? JSONReader.parse(array, maximumDepth: 64)
        _ = SSEParser.events(in: array)
    }
}

/// RESP replies split at a point the first byte chooses, drained until the reader needs more or refuses.
///
/// Its first finding (a nested header of ~1.9e9 elements made hiredis 0.14 allocate 15 GB) is bounded by
/// ``RESPReader/maximumArrayElements`` and replayed from Fuzz/Regressions/resp on every run.
enum RESPBytes {
    static func read(_ bytes: UnsafeRawBufferPointer) {
        guard let first = bytes.first else { return }
        let body = UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
        let split = body.isEmpty ? 0 : Int(first) % (body.count + 1)
        let reader = RESPReader()
        reader.feed(ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: body.prefix(split))))
        reader.feed(ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: body.dropFirst(split))))
        for _ in 0..<1_000 {
            guard let reply = try? reader.next() else { return }
            _ = reply.int
            _ = reply.text
        }
    }
}

/// The gateway's reads of outside bytes. The first byte chooses: even, a request body of route
/// (byte / 2) % 4; odd, a stream split at (byte / 2) % its length into two feeds.
enum GatewayBytes {
    static func read(_ bytes: UnsafeRawBufferPointer) {
        guard let selector = bytes.first else { return }
        let rest = Array(bytes.dropFirst())
        if selector % 2 == 0 {
            let routes: [GatewayRoute] = [.chatCompletions, .responses, .embeddings, .messages]
            guard let call = try? GatewayCall(bytes: rest, route: routes[Int(selector / 2) % routes.count]) else { return }
            // What goes upstream is still one JSON object.
            guard (try? JSONSerialization.jsonObject(with: Data(call.upstreamBody))) is [String: Any] else {
                fatalError("the gateway would send upstream a body that is not a JSON object: \(call.upstreamBody)")
            }
            return
        }
        for drop in [false, true] {
            var relay = GatewayStreamRelay(dropsUsageChunk: drop, provider: selector % 4 == 1 ? .openai : .anthropic, estimator: TokenEstimator())
            let split = rest.isEmpty ? 0 : Int(selector / 2) % rest.count
            var sent = relay.feed(rest[..<split])
            sent += relay.feed(rest[split...])
            sent += relay.finish()
            if !drop, sent != rest { fatalError("the relay changed a stream it had nothing to drop from") }
            if drop, sent.count > rest.count { fatalError("the relay sent more than it received") }
            if let events = relay.usageEvents { _ = try? UsageParser.parse(events, provider: .openai) }
        }
    }
}
