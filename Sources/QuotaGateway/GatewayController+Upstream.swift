import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import QuotaHTTP
import TokenAccounting
import TokenQuota

/// Forwarding a held call upstream and settling its reservation exactly once.
extension GatewayController {
    /// Request headers never sent upstream: the caller's credential, quotad's own, hop-by-hop ones, and
    /// `accept-encoding` (the gateway reads the usage in the answer, so it asks for it uncompressed).
    static let droppedRequestHeaders: Set<String> = [
        "authorization", "x-api-key", "host", "content-length", "accept-encoding", "connection", "keep-alive", "te", "trailer",
        "transfer-encoding", "upgrade", "proxy-authorization", "proxy-authenticate", "proxy-connection", "expect",
    ]
    /// Answer headers never passed to the caller: hop-by-hop ones and the length (the body is re-framed).
    static let droppedAnswerHeaders: Set<String> = [
        "content-length", "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade",
        "proxy-authenticate", "proxy-connection",
    ]

    /// Sends the call upstream and answers with what comes back; the hold is settled by then (or, for a
    /// stream, when the stream ends).
    func forward(_ route: GatewayRoute, _ call: GatewayCall, request: Request, hold: GatewayHold) async throws -> Response {
        let upstreamSettings = settings.upstream(for: route.dialect)
        var upstream = HTTPClientRequest(url: upstreamSettings.baseURL + route.upstreamPath)
        upstream.method = .POST
        Self.copyHeaders(from: request.headers, to: &upstream.headers, credential: upstreamSettings.apiKey, dialect: route.dialect)
        upstream.headers.replaceOrAdd(name: "content-type", value: "application/json")
        upstream.body = .bytes(ByteBuffer(bytes: call.upstreamBody))
        let response: HTTPClientResponse
        do {
            response = try await execute(upstream)
        } catch {
            await release(hold, reason: "the upstream call failed")
            throw error
        }
        var headers = Self.answerHeaders(response.headers)
        headers[Self.eventHeader] = hold.reservation.id
        RateLimitHeaders.apply(hold.reservation.rateLimit, to: &headers)
        let status = HTTPResponse.Status(code: Int(response.status.code))
        let streaming = response.headers["content-type"].first?.lowercased().contains("text/event-stream") ?? false
        guard streaming, (200..<300).contains(status.code) else {
            let body: ByteBuffer
            do {
                body = try await collect(response)
            } catch {
                await release(hold, reason: "the upstream answer could not be read")
                throw error
            }
            let bytes = Array(body.readableBytesView)
            if (200..<300).contains(status.code) {
                await settle(hold, counts: .response(.json(bytes)))
            } else {
                await settle(hold, counts: .failed(status: status.code))
            }
            return Response(status: status, headers: headers, body: .init(byteBuffer: body))
        }
        let relay = GatewayStreamRelay(dropsUsageChunk: call.injectedUsage, provider: hold.provider, estimator: dependencies.estimator)
        let body = ResponseBody { writer in
            var relay = relay
            var callerGone = false
            var upstreamError: (any Error)?
            do {
                for try await chunk in response.body {
                    let out = relay.feed(chunk.readableBytesView)
                    guard !out.isEmpty else { continue }
                    do { try await writer.write(ByteBuffer(bytes: out)) } catch {
                        callerGone = true
                        break
                    }
                }
            } catch {
                upstreamError = error
            }
            let rest = relay.finish()
            if !callerGone, !rest.isEmpty { try? await writer.write(ByteBuffer(bytes: rest)) }
            let counts: SettledCounts
            if let events = relay.usageEvents, !callerGone, upstreamError == nil || relay.sawEnd {
                counts = .response(.text(events))
            } else {
                // Cut off (by the caller, or the upstream before its usage): what streamed, estimated.
                counts = .estimated(outputTokens: relay.outputTokensEstimate)
                hold.logger.info(
                    "gateway stream ended before its usage; committing an estimate",
                    metadata: [
                        "quota.reservation_id": "\(hold.reservation.id)", "gateway.caller_gone": "\(callerGone)",
                        "gateway.upstream_error": "\(upstreamError.map { String(describing: $0) } ?? "none")",
                    ]
                )
            }
            await self.settle(hold, counts: counts)
            if !callerGone { try await writer.finish(nil) }
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// What a call is settled with.
    enum SettledCounts: Sendable {
        /// The provider's answer (a JSON body, or the usage events of a stream).
        case response(ProviderResponseBody)
        /// The upstream answered an error: an error event with no tokens (the hold is freed).
        case failed(status: Int)
        /// No usage arrived: the input estimate and the output streamed so far, recorded as estimated.
        case estimated(outputTokens: Int)
    }

    /// Commits the hold with `counts` (a call's answer without readable usage commits the hold's estimate,
    /// marked estimated, so nothing streamed or answered goes uncounted). Runs unaffected by the caller's
    /// cancellation; a failure is logged and the hold then expires by its TTL.
    func settle(_ hold: GatewayHold, counts: SettledCounts) async {
        let recorder = dependencies.recorder
        let latency = Int((ContinuousClock.now - hold.started) / .milliseconds(1))
        func body(_ counts: SettledCounts) -> UsageRequest {
            var body = UsageRequest()
            body.user = hold.user
            body.eventID = hold.reservation.id
            body.provider = hold.provider.rawValue
            body.latencyMilliseconds = max(0, min(latency, 86_400_000))
            switch counts {
            case .response(let answer):
                body.response = answer
            case .failed(let status):
                body.usage = TokenUsage()
                body.error = true
                body.metadata = ["upstream_status": String(status)]
            case .estimated(let output):
                body.usage = TokenUsage(inputTokens: hold.plan.inputTokens, outputTokens: output)
                body.usageIsEstimate = true
            }
            return body
        }
        await Task {
            do {
                _ = try await recorder.record(body(counts), tenant: hold.tenant, reservationID: hold.reservation.id, logger: hold.logger)
            } catch let error as APIError where error.code == "unparsable_usage" || error.code == "invalid_request" {
                if case .response = counts {
                    hold.logger.warning(
                        "the provider's answer has no readable usage; committing the held estimate",
                        metadata: ["quota.reservation_id": "\(hold.reservation.id)", "error": "\(error.message)"]
                    )
                    var fallback = body(.estimated(outputTokens: hold.plan.outputTokens))
                    fallback.model = hold.plan.model
                    do {
                        _ = try await recorder.record(fallback, tenant: hold.tenant, reservationID: hold.reservation.id, logger: hold.logger)
                    } catch {
                        hold.logger.error("gateway settlement failed; the hold expires by its TTL", metadata: ["error": "\(error)"])
                    }
                } else {
                    hold.logger.error("gateway settlement refused; the hold expires by its TTL", metadata: ["error": "\(error)"])
                }
            } catch {
                hold.logger.error(
                    "gateway settlement failed; the hold expires by its TTL",
                    metadata: ["quota.reservation_id": "\(hold.reservation.id)", "error": "\(error)"]
                )
            }
        }.value
    }

    /// Frees the hold of a call that never reached (or never heard back from) the provider.
    func release(_ hold: GatewayHold, reason: String) async {
        let repository = dependencies.repository
        await Task {
            do {
                _ = try await repository.release(tenant: hold.tenant, user: hold.user, reservationID: hold.reservation.id)
                hold.logger.info("gateway hold released: \(reason)", metadata: ["quota.reservation_id": "\(hold.reservation.id)"])
            } catch {
                hold.logger.error("gateway release failed; the hold expires by its TTL", metadata: ["error": "\(error)"])
            }
        }.value
    }

    /// Runs an upstream request within the upstream timeout; failures as `502` / `504` in the provider's format.
    func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        do {
            return try await client.execute(request, deadline: .now() + settings.upstreamTimeAmount)
        } catch {
            throw Self.upstreamFailure(error)
        }
    }

    /// A whole (non-streaming) upstream answer, at most ``GatewaySettings/maximumAnswerBytes``.
    func collect(_ response: HTTPClientResponse) async throws -> ByteBuffer {
        do {
            return try await response.body.collect(upTo: settings.maximumAnswerBytes)
        } catch let error as NIOTooManyBytesError {
            _ = error
            throw GatewayFailure(.badGateway, code: "upstream_error", "the provider's answer exceeds \(settings.maximumAnswerBytes) bytes")
        } catch {
            throw Self.upstreamFailure(error)
        }
    }

    static func upstreamFailure(_ error: any Error) -> GatewayFailure {
        if let error = error as? HTTPClientError,
           error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout || error == .writeTimeout
        {
            return GatewayFailure(.gatewayTimeout, code: "upstream_timeout", "the provider did not answer in time")
        }
        return GatewayFailure(.badGateway, code: "upstream_unreachable", "the provider cannot be reached: \(String(describing: error).prefix(200))")
    }

    /// The caller's end-to-end headers, less its credential and quotad's own, with the provider's credential.
    static func copyHeaders(from fields: HTTPFields, to headers: inout HTTPHeaders, credential: String?, dialect: GatewayDialect) {
        for field in fields {
            let name = field.name.canonicalName
            if droppedRequestHeaders.contains(name) || name.hasPrefix("x-quotad-") { continue }
            headers.add(name: field.name.rawName, value: field.value)
        }
        guard let credential else { return }
        switch dialect {
        case .openai: headers.replaceOrAdd(name: "authorization", value: "Bearer \(credential)")
        case .anthropic: headers.replaceOrAdd(name: "x-api-key", value: credential)
        }
    }

    /// The provider's answer headers less hop-by-hop ones.
    static func answerHeaders(_ headers: HTTPHeaders) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in headers where !droppedAnswerHeaders.contains(name.lowercased()) {
            if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
        }
        return fields
    }
}
