import AsyncHTTPClient
import AsyncRedis
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import CoreMetrics
import Synchronization

extension WebhookDeliveryService {
    /// Claims up to `count` due deliveries of `tenant` for one lease.
    func claim(tenant: String, count: Int) async throws(RedisError) -> [DeliveryJob] {
        let keys = WebhookKeys(tenant: tenant)
        let reply = try await client.evaluate(
            WebhookScripts.claim, keys: [keys.queue, keys.webhooks], arguments: [keys.prefix, settings.lease.milliseconds, count]
        )
        guard let parts = reply.array, parts.count == 2, let claimed = parts[1].array else { return [] }
        return claimed.compactMap { item -> DeliveryJob? in
            guard let fields = item.array, fields.count == 3, let id = fields[0].text, let flat = fields[1].array else { return nil }
            var hash: [String: String] = [:]
            var index = 0
            while index + 1 < flat.count {
                if let name = flat[index].text, let value = flat[index + 1].text { hash[name] = value }
                index += 2
            }
            guard let delivery = WebhookDelivery(id: id, hash: hash) else { return nil }
            let webhook = fields[2].bytes.flatMap { try? WebhookStore.decoder.decode(Webhook.self, from: Data($0)) }
            return DeliveryJob(tenant: tenant, delivery: delivery, webhook: webhook)
        }
    }

    /// Makes one attempt and records its outcome (unless the service was cancelled mid-attempt: then the
    /// lease brings the delivery back).
    func attempt(_ job: DeliveryJob, http: HTTPClient) async {
        defer { inFlight.subtract(1, ordering: .relaxed) }
        let delivery = job.delivery
        var metadata: Logger.Metadata = [
            "quota.tenant": "\(job.tenant)", "webhooks.delivery": "\(delivery.id)", "webhooks.attempt": "\(delivery.attempts + 1)",
        ]
        guard let webhook = job.webhook else {
            metrics.failure("deleted")
            await complete(job, outcome: "gone", statusCode: nil, error: "webhook deleted", metadata: metadata)
            return
        }
        metadata["webhooks.url"] = "\(webhook.url)"
        let start = ContinuousClock.now
        let result = await send(delivery, tenant: job.tenant, to: webhook, http: http)
        metrics.duration.recordNanoseconds(Int64((ContinuousClock.now - start).milliseconds) * 1_000_000)
        if Task.isCancelled { return }
        switch result {
        case .success(let status) where (200..<300).contains(status):
            await complete(job, outcome: "ok", statusCode: status, error: "", metadata: metadata)
        case .success(let status):
            metrics.failure("status")
            await complete(job, outcome: "fail", statusCode: status, error: "HTTP \(status)", metadata: metadata)
        case .failure(let failure):
            metrics.failure(failure.reason)
            if failure.reason == "refused" {
                logger.warning("webhook delivery refused", metadata: metadata.merging(["error": "\(failure.message)"]) { $1 })
            }
            await complete(job, outcome: "fail", statusCode: nil, error: failure.message, metadata: metadata)
        }
    }

    /// A failed attempt: the metric's reason and a message for the deliveries list.
    struct AttemptFailure: Error {
        var reason: String
        var message: String
    }

    /// POSTs the signed payload; the HTTP status, or why no status came back.
    func send(_ delivery: WebhookDelivery, tenant: String, to webhook: Webhook, http: HTTPClient) async -> Result<Int, AttemptFailure> {
        guard let key = WebhookSignature.key(ofSecret: webhook.secret) else {
            return .failure(AttemptFailure(reason: "connection", message: "the webhook's secret is unusable"))
        }
        let body: [UInt8]
        do {
            body = try WebhookPayload(tenant: tenant, alert: delivery.alert).encoded()
        } catch {
            return .failure(AttemptFailure(reason: "connection", message: "cannot encode the payload"))
        }
        let timestamp = Int(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: webhook.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "quotad-webhooks")
        request.headers.add(name: "webhook-id", value: delivery.messageID)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(
            name: "webhook-signature", value: WebhookSignature.sign(messageID: delivery.messageID, timestamp: timestamp, body: body, key: key)
        )
        request.body = .bytes(ByteBuffer(bytes: body))
        // Without allow_private_targets, resolve the host here, check every address, and connect to the
        // checked one only (no second lookup that a rebinding name could answer with a private address).
        var client = http
        var pinned: HTTPClient?
        if !settings.allowPrivateTargets {
            switch await destination(of: webhook.url) {
            case .failure(let failure): return .failure(failure)
            case .success(let destination):
                pinned = pinnedClient(to: destination)
                client = pinned ?? http
            }
        }
        let result = await execute(request, on: client)
        if let pinned { try? await pinned.shutdown() }
        return result
    }

    private func execute(_ request: HTTPClientRequest, on http: HTTPClient) async -> Result<Int, AttemptFailure> {
        do {
            let response = try await http.execute(request, timeout: .milliseconds(Int64(settings.timeout.milliseconds)))
            _ = try? await response.body.collect(upTo: 65_536)
            return .success(Int(response.status.code))
        } catch let error as HTTPClientError {
            let timeouts: [HTTPClientError] = [.deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout]
            if timeouts.contains(error) {
                return .failure(AttemptFailure(reason: "timeout", message: "no answer within \(settings.timeout.milliseconds) ms"))
            }
            return .failure(AttemptFailure(reason: "connection", message: String("\(error)".prefix(200))))
        } catch {
            return .failure(AttemptFailure(reason: "connection", message: String("\(error)".prefix(200))))
        }
    }

    private func complete(_ job: DeliveryJob, outcome: String, statusCode: Int?, error: String, metadata: Logger.Metadata) async {
        let keys = WebhookKeys(tenant: job.tenant)
        var generator = SystemRandomNumberGenerator()
        let delay = settings.backoff(afterAttempts: job.delivery.attempts + 1, using: &generator)
        do {
            let reply = try await client.evaluate(
                WebhookScripts.complete, keys: [keys.queue, keys.delivery(job.delivery.id)],
                arguments: [
                    job.delivery.id, outcome, statusCode.map(String.init) ?? "", error, delay.milliseconds,
                    settings.maximumRetry.milliseconds, Int(settings.finishedRetention.components.seconds),
                ]
            )
            let result = reply.text ?? ""
            metrics.outcome(result)
            switch result {
            case "delivered": logger.debug("webhook delivered", metadata: metadata)
            case "dead": logger.warning("webhook delivery dead-lettered", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            default: logger.debug("webhook delivery failed; retrying", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            }
        } catch {
            // The lease brings the delivery back: at worst it is sent again.
            logger.warning("webhook delivery outcome not recorded", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }
}
