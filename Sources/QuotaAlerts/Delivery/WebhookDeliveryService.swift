public import AsyncRedis
import AsyncHTTPClient
import Foundation
public import Logging
import NIOCore
import CoreMetrics
public import ServiceLifecycle
import Synchronization

/// Delivers alerts to webhooks: one per quotad instance; instances share the work through Redis.
///
/// Every poll interval, for each tenant in `quotad:webhook-tenants`:
/// 1. reads new alerts from `q:{t}:al` with the consumer group `webhooks` (and, every few seconds, claims
///    alerts a dead consumer read but never fanned out: idle beyond ``WebhookDeliverySettings/abandonedAlertIdle``),
///    and fans them out with one script that acknowledges each alert and creates its deliveries atomically,
///    so every alert is fanned out exactly once;
/// 2. claims due deliveries for a lease (a script moves their due time a lease ahead) and POSTs them,
///    signed per Standard Webhooks; a 2xx marks the delivery delivered, anything else schedules a retry
///    with exponential backoff and full jitter until the retry window ends (then it is dead).
///
/// A delivery claimed by an instance that dies is due again when its lease ends: delivery is at least once,
/// with a stable `webhook-id` per alert for receivers to dedupe.
///
/// At graceful shutdown the service stops polling and lets attempts in flight finish (each is bounded by
/// the timeout); at cancellation it abandons them (their lease brings them back).
public final class WebhookDeliveryService: Service, Sendable {
    let client: RedisClient
    let settings: WebhookDeliverySettings
    let logger: Logger
    /// This instance's consumer name in the `webhooks` group.
    public let consumer: String
    let metrics = WebhookMetrics()
    let inFlight = Atomic<Int>(0)
    let lastAutoclaim = Mutex<[String: ContinuousClock.Instant]>([:])
    let healthy = Atomic<Bool>(true)
    /// Resolves webhook hosts for each delivery (unless private targets are allowed).
    let resolver: any WebhookResolver
    /// Why an address is refused (``WebhookAddress/restriction``; tests may accept loopback to see pinning work).
    let addressCheck: @Sendable (WebhookAddress) -> WebhookAddress.Restriction?

    /// The most alerts read per tenant and call.
    static let readCount = 100

    /// Creates the service (its HTTP client is created by ``run()`` and shut down when it ends).
    ///
    /// - Parameters:
    ///   - consumer: the consumer name; the default is unique per process (`<host>-<pid>-<random>`).
    ///   - resolver: resolves each delivery's host (unless `settings.allowPrivateTargets`).
    public convenience init(
        client: RedisClient, settings: WebhookDeliverySettings, logger: Logger, consumer: String? = nil,
        resolver: any WebhookResolver = SystemWebhookResolver()
    ) {
        self.init(client: client, settings: settings, logger: logger, consumer: consumer, resolver: resolver, addressCheck: { $0.restriction })
    }

    init(
        client: RedisClient, settings: WebhookDeliverySettings, logger: Logger, consumer: String?, resolver: any WebhookResolver,
        addressCheck: @escaping @Sendable (WebhookAddress) -> WebhookAddress.Restriction?
    ) {
        self.client = client
        self.settings = settings
        self.logger = logger
        self.consumer = consumer ?? Self.makeConsumerName()
        self.resolver = resolver
        self.addressCheck = addressCheck
    }

    /// Polls until graceful shutdown or cancellation.
    public func run() async throws {
        logger.info("webhook delivery started", metadata: ["webhooks.consumer": "\(consumer)"])
        // One client for every attempt of this service; redirects are not followed (a redirect is a failure).
        let timeout = TimeAmount.milliseconds(Int64(settings.timeout.milliseconds))
        let http = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: timeout, read: timeout))
        )
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully, !Task.isCancelled {
                let jobs = await pollOnce()
                for job in jobs {
                    group.addTask { await self.attempt(job, http: http) }
                }
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.settings.pollInterval) }
            }
        }
        try? await http.shutdown()
        logger.info("webhook delivery stopped", metadata: ["webhooks.consumer": "\(consumer)"])
    }

    /// One round: fans out new alerts of every tenant, then claims the due deliveries there are free slots
    /// for (the caller runs them).
    func pollOnce() async -> [DeliveryJob] {
        do {
            let tenants = (try await client.send("SMEMBERS", WebhookKeys.tenantRegistry).array ?? []).compactMap(\.text).shuffled()
            for tenant in tenants { try await fanOut(tenant: tenant) }
            var jobs: [DeliveryJob] = []
            for tenant in tenants {
                let free = settings.maximumConcurrentDeliveries - inFlight.load(ordering: .relaxed) - jobs.count
                if free <= 0 { break }
                jobs += try await claim(tenant: tenant, count: min(free, 50))
            }
            if !healthy.exchange(true, ordering: .relaxed) { logger.info("webhook delivery polling again") }
            inFlight.add(jobs.count, ordering: .relaxed)
            return jobs
        } catch {
            if healthy.exchange(false, ordering: .relaxed) {
                logger.warning("webhook delivery poll failed", metadata: ["error": "\(error)"])
            }
            return []
        }
    }

    /// Reads the tenant's new alerts (and, now and then, abandoned ones) and fans them out.
    func fanOut(tenant: String) async throws(RedisError) {
        let keys = WebhookKeys(tenant: tenant)
        for _ in 0..<10 {
            let ids: [String]
            do {
                ids = try await readNewAlerts(keys)
            } catch where error.serverErrorPrefix == "NOGROUP" {
                try await createGroup(keys)
                return
            }
            if !ids.isEmpty { try await fanOut(keys, ids: ids) }
            if ids.count < Self.readCount { break }
        }
        let now = ContinuousClock.now
        let due = lastAutoclaim.withLock { last in
            guard last[tenant].map({ now - $0 >= settings.abandonedAlertScanInterval }) ?? true else { return false }
            last[tenant] = now
            return true
        }
        if due { try await claimAbandonedAlerts(keys) }
    }

    private func readNewAlerts(_ keys: WebhookKeys) async throws(RedisError) -> [String] {
        let reply = try await client.send(
            "XREADGROUP", "GROUP", WebhookKeys.consumerGroup, consumer, "COUNT", Self.readCount, "STREAMS", keys.alerts, ">"
        )
        guard let streams = reply.array, let stream = streams.first?.array, stream.count == 2, let entries = stream[1].array else {
            return []
        }
        return entries.compactMap { $0.array?.first?.text }
    }

    private func claimAbandonedAlerts(_ keys: WebhookKeys) async throws(RedisError) {
        var cursor = "0-0"
        for _ in 0..<10 {
            let reply = try await client.send(
                "XAUTOCLAIM", keys.alerts, WebhookKeys.consumerGroup, consumer, settings.abandonedAlertIdle.milliseconds, cursor,
                "COUNT", Self.readCount
            )
            guard let parts = reply.array, parts.count >= 2, let next = parts[0].text else { return }
            let ids = (parts[1].array ?? []).compactMap { $0.array?.first?.text }
            if !ids.isEmpty {
                logger.info(
                    "webhook alerts taken over from an idle consumer",
                    metadata: ["quota.tenant": "\(keys.tenant)", "webhooks.alerts": "\(ids.count)"]
                )
                try await fanOut(keys, ids: ids)
            }
            if next == "0-0" { return }
            cursor = next
        }
    }

    private func fanOut(_ keys: WebhookKeys, ids: [String]) async throws(RedisError) {
        var arguments: [any RedisArgument] = [keys.prefix, settings.deliveryTTLSeconds, settings.recentDeliveries]
        arguments += ids
        let created = try await client.evaluate(WebhookScripts.fanOut, keys: [keys.alerts, keys.webhooks, keys.queue], arguments: arguments)
        metrics.fannedOut.increment(by: created.int ?? 0)
        let nowMilliseconds = Int(Date().timeIntervalSince1970 * 1000)
        for id in ids {
            if let created = id.split(separator: "-").first.flatMap({ Int($0) }) {
                metrics.outboxLag.recordMilliseconds(max(0, nowMilliseconds - created))
            }
        }
    }

    private func createGroup(_ keys: WebhookKeys) async throws(RedisError) {
        do {
            _ = try await client.send("XGROUP", "CREATE", keys.alerts, WebhookKeys.consumerGroup, "$", "MKSTREAM")
            logger.warning("webhook consumer group was missing; created at the stream's end", metadata: ["quota.tenant": "\(keys.tenant)"])
        } catch where error.serverErrorPrefix == "BUSYGROUP" {
            return
        }
    }

    static func makeConsumerName() -> String {
        let host = ProcessInfo.processInfo.hostName.prefix(40)
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "\(host)-\(getpid())-\(random)"
    }
}
