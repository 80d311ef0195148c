public import AsyncRedis
import Foundation

/// Registers webhooks and reads and re-queues their deliveries (the HTTP API's side; the sending side is
/// ``WebhookDeliveryService``).
public struct WebhookStore: Sendable {
    let client: RedisClient
    /// The delivery settings (target policy, limits, retention).
    public let settings: WebhookDeliverySettings
    /// Resolves webhook hosts at registration.
    let resolver: any WebhookResolver

    /// Creates a store over `client`; `resolver` checks the hosts of registered URLs.
    public init(client: RedisClient, settings: WebhookDeliverySettings, resolver: any WebhookResolver = SystemWebhookResolver()) {
        self.client = client
        self.settings = settings
        self.resolver = resolver
    }

    /// Registers a webhook after validating it; the returned record carries the secret (shown only once).
    ///
    /// - Parameters:
    ///   - url: absolute `http`/`https` URL (private targets only when allowed).
    ///   - events: a non-empty subset of ``WebhookEventType`` names.
    ///   - secret: `whsec_` + base64 of 24–64 bytes; nil generates one.
    public func create(tenant: String, url: String, events: [String], secret: String?) async throws(WebhookError) -> Webhook {
        let types = try Self.parseEvents(events)
        if let secret, WebhookSignature.key(ofSecret: secret) == nil {
            throw WebhookError(.invalid, "secret must be '\(WebhookSignature.secretPrefix)' followed by the base64 of 24 to 64 bytes")
        }
        try await WebhookTarget.validate(url, allowPrivateTargets: settings.allowPrivateTargets, resolver: resolver)
        let webhook = Webhook(
            id: Webhook.makeID(), url: url, events: types, secret: secret ?? WebhookSignature.makeSecret(),
            createdAt: Date(timeIntervalSince1970: (Date().timeIntervalSince1970 * 1000).rounded(.down) / 1000)
        )
        let keys = WebhookKeys(tenant: tenant)
        let json: [UInt8]
        do { json = Array(try Self.encoder.encode(webhook)) } catch { throw WebhookError(.invalid, "cannot encode the webhook") }
        do {
            _ = try await client.send("SADD", WebhookKeys.tenantRegistry, tenant)
            let added = try await client.evaluate(
                WebhookScripts.register, keys: [keys.webhooks, keys.alerts],
                arguments: [webhook.id, json, settings.maximumWebhooksPerTenant]
            )
            guard added.int == 1 else {
                throw WebhookError(.tooMany, "tenant \(tenant) already has \(settings.maximumWebhooksPerTenant) webhooks, the most allowed")
            }
        } catch let error as RedisError {
            throw WebhookError(error)
        } catch let error as WebhookError {
            throw error
        } catch {
            throw WebhookError(.storage, "\(error)")
        }
        return webhook
    }

    /// The tenant's webhooks, oldest first.
    public func list(tenant: String) async throws(WebhookError) -> [Webhook] {
        let stored: [String: [UInt8]]
        do { stored = try await client.hashGetAll(WebhookKeys(tenant: tenant).webhooks) } catch { throw WebhookError(error) }
        return stored.values.compactMap { try? Self.decoder.decode(Webhook.self, from: Data($0)) }
            .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// One webhook, or nil.
    public func webhook(tenant: String, id: String) async throws(WebhookError) -> Webhook? {
        guard Webhook.isValidID(id) else { return nil }
        let reply: RedisReply
        do { reply = try await client.send("HGET", WebhookKeys(tenant: tenant).webhooks, id) } catch { throw WebhookError(error) }
        guard let bytes = reply.bytes else { return nil }
        return try? Self.decoder.decode(Webhook.self, from: Data(bytes))
    }

    /// Deletes a webhook and its recent list; its pending deliveries are dead-lettered when next due.
    /// Returns whether it existed.
    public func delete(tenant: String, id: String) async throws(WebhookError) -> Bool {
        guard Webhook.isValidID(id) else { return false }
        let keys = WebhookKeys(tenant: tenant)
        do {
            let removed = try await client.send("HDEL", keys.webhooks, id).int ?? 0
            if removed > 0 { _ = try await client.send("DEL", keys.recent(id)) }
            return removed > 0
        } catch {
            throw WebhookError(error)
        }
    }

    /// The webhook's recent deliveries, newest first (throws ``WebhookError/Code/notFound`` without the webhook).
    public func deliveries(tenant: String, webhookID: String, limit: Int = 100) async throws(WebhookError) -> [WebhookDelivery] {
        guard try await webhook(tenant: tenant, id: webhookID) != nil else {
            throw WebhookError(.notFound, "tenant \(tenant) has no webhook \(webhookID.prefix(64))")
        }
        let keys = WebhookKeys(tenant: tenant)
        do {
            let ids = (try await client.send("LRANGE", keys.recent(webhookID), 0, max(0, limit - 1)).array ?? []).compactMap(\.text)
            var result: [WebhookDelivery] = []
            for id in ids {
                let hash = try await client.hashGetAll(keys.delivery(id)).mapValues { String(decoding: $0, as: UTF8.self) }
                if let delivery = WebhookDelivery(id: id, hash: hash) { result.append(delivery) }
            }
            return result
        } catch {
            throw WebhookError(error)
        }
    }

    /// Re-queues a dead or pending delivery for an attempt now, with a fresh retry window.
    public func retry(tenant: String, webhookID: String, deliveryID: String) async throws(WebhookError) -> WebhookDelivery {
        let notFound = WebhookError(.notFound, "webhook \(webhookID.prefix(64)) has no delivery \(deliveryID.prefix(96))")
        guard Webhook.isValidID(webhookID), Self.isValidDeliveryID(deliveryID), deliveryID.hasSuffix("." + webhookID) else {
            throw notFound
        }
        let keys = WebhookKeys(tenant: tenant)
        do {
            let outcome = try await client.evaluate(
                WebhookScripts.retry, keys: [keys.queue, keys.delivery(deliveryID)],
                arguments: [deliveryID, webhookID, settings.deliveryTTLSeconds]
            ).text
            switch outcome {
            case "queued": break
            case "delivered": throw WebhookError(.alreadyDelivered, "delivery \(deliveryID) was already delivered")
            default: throw notFound
            }
            let hash = try await client.hashGetAll(keys.delivery(deliveryID)).mapValues { String(decoding: $0, as: UTF8.self) }
            guard let delivery = WebhookDelivery(id: deliveryID, hash: hash) else { throw notFound }
            return delivery
        } catch let error as RedisError {
            throw WebhookError(error)
        } catch let error as WebhookError {
            throw error
        } catch {
            throw WebhookError(.storage, "\(error)")
        }
    }

    /// Parses event names: non-empty, known, duplicates dropped (in the given order).
    static func parseEvents(_ names: [String]) throws(WebhookError) -> [WebhookEventType] {
        let known = WebhookEventType.allCases.map(\.rawValue).joined(separator: ", ")
        guard !names.isEmpty else { throw WebhookError(.invalid, "events must name at least one of \(known)") }
        var result: [WebhookEventType] = []
        for name in names {
            guard let type = WebhookEventType(rawValue: name) else {
                throw WebhookError(.invalid, "unknown event '\(name.prefix(40))': expected some of \(known)")
            }
            if !result.contains(type) { result.append(type) }
        }
        return result
    }

    /// `<stream id>.<webhook id>`: digits, one dash, dot, webhook id.
    static func isValidDeliveryID(_ id: String) -> Bool {
        id.utf8.count <= 64 && id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) || $0 == 0x2d || $0 == 0x2e || $0 == 0x5f || $0 == 0x77 || $0 == 0x68 }
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }
}
