import QuotaStores
import Logging
import Foundation
public import Hummingbird
package import QuotaAlerts

/// Webhooks of a tenant and their deliveries. Registering, deleting and retrying need `quota:write`,
/// listing needs `quota:read` (an admin key, or a tenant key with that scope).
///
/// The secret is returned only by `POST`. Deliveries are made by `WebhookDeliveryService`.
public struct WebhooksController: Sendable {
    let dependencies: QuotaAPIDependencies

    /// Creates the controller.
    public init(dependencies: QuotaAPIDependencies) { self.dependencies = dependencies }

    /// `POST|GET /{tenant}/webhooks`, `DELETE /{tenant}/webhooks/{id}`, `GET …/{id}/deliveries`,
    /// `POST …/{id}/deliveries/{delivery}/retry` (mounted at `/v1/tenants`).
    public var endpoints: RouteCollection<QuotaRequestContext> {
        let routes = RouteCollection(context: QuotaRequestContext.self)
        routes.post("{tenant}/webhooks", use: create)
        routes.get("{tenant}/webhooks", use: list)
        routes.delete("{tenant}/webhooks/{id}", use: delete)
        routes.get("{tenant}/webhooks/{id}/deliveries", use: deliveries)
        routes.post("{tenant}/webhooks/{id}/deliveries/{delivery}/retry", use: retry)
        return routes
    }

    var store: WebhookStore { dependencies.webhookStore }

    @Sendable func create(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .quotaWrite)
        let body = try await RequestBodyReader.decode(WebhookBody.self, from: request, limit: dependencies.maxBodyBytes)
        let webhook: Webhook
        do {
            webhook = try await store.create(tenant: tenant, url: body.url, events: body.events, secret: body.secret)
        } catch {
            throw Self.apiError(error)
        }
        context.logger.info(
            "webhook registered",
            metadata: ["quota.tenant": "\(tenant)", "webhooks.id": "\(webhook.id)", "webhooks.events": "\(webhook.events.map(\.rawValue))"]
        )
        return try JSONResponse.make(status: .created, value: WebhookView(webhook, includingSecret: true))
    }

    @Sendable func list(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .quotaRead)
        let webhooks: [Webhook]
        do { webhooks = try await store.list(tenant: tenant) } catch { throw Self.apiError(error) }
        return try JSONResponse.make(value: WebhookList(tenant: tenant, webhooks: webhooks.map { WebhookView($0, includingSecret: false) }))
    }

    @Sendable func delete(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .quotaWrite)
        let id = try context.rawParameter("id")
        let deleted: Bool
        do { deleted = try await store.delete(tenant: tenant, id: id) } catch { throw Self.apiError(error) }
        guard deleted else { throw APIError.notFound("tenant \(tenant) has no webhook \(id.prefix(64))") }
        context.logger.info("webhook deleted", metadata: ["quota.tenant": "\(tenant)", "webhooks.id": "\(id)"])
        return JSONResponse.noContent()
    }

    @Sendable func deliveries(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .quotaRead)
        let id = try context.rawParameter("id")
        let list: [WebhookDelivery]
        do { list = try await store.deliveries(tenant: tenant, webhookID: id) } catch { throw Self.apiError(error) }
        return try JSONResponse.make(value: WebhookDeliveryList(webhookID: id, deliveries: list.map(WebhookDeliveryView.init)))
    }

    @Sendable func retry(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .quotaWrite)
        let id = try context.rawParameter("id")
        let deliveryID = try context.rawParameter("delivery")
        let delivery: WebhookDelivery
        do {
            delivery = try await store.retry(tenant: tenant, webhookID: id, deliveryID: deliveryID)
        } catch {
            throw Self.apiError(error)
        }
        context.logger.info("webhook delivery re-queued", metadata: ["quota.tenant": "\(tenant)", "webhooks.delivery": "\(deliveryID)"])
        return try JSONResponse.make(status: .accepted, value: WebhookDeliveryView(delivery))
    }

    /// Maps a store error: invalid and too many → 400, not found → 404, delivered → 409, Redis → 503.
    package static func apiError(_ error: WebhookError) -> APIError {
        switch error.code {
        case .invalid, .tooMany: APIError.badRequest(error.message)
        case .notFound: APIError.notFound(error.message)
        case .alreadyDelivered: APIError(.conflict, code: "already_delivered", error.message)
        case .storage: error.storageError.map { APIError($0) } ?? APIError.internalError()
        }
    }
}
