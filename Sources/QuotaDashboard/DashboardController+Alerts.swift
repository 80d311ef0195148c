import QuotaHTTP
import QuotaStores
import Foundation
import Hummingbird
import Logging
import QuotaAlerts
import TokenQuota

extension DashboardController {
    struct DeliveryRow: Sendable {
        var id: String
        var webhookID: String
        var type: String
        var status: String
        var isDead: Bool
        var isDelivered: Bool
        var attempts: String
        var lastStatus: String
        var lastError: String
        var created: String
        var nextAttempt: String
        var canRetry: Bool
    }

    struct WebhookRow: Sendable {
        var id: String
        var url: String
        var events: String
        var created: String
        var deliveries: [DeliveryRow]
        var hasDeliveries: Bool
    }

    struct AlertsPage: Sendable {
        var layout: DashboardLayout
        var tenant: String
        var csrf: String
        var webhooks: [WebhookRow]
        var hasWebhooks: Bool
        var alerts: [AlertRow]
        var hasAlerts: Bool
        var canRetry: Bool
    }

    var webhookStore: WebhookStore { dependencies.webhookStore }

    /// `GET /dashboard/t/{tenant}/alerts` (`quota:read`, as the webhooks API): the endpoints, their recent
    /// deliveries with status and a retry button each (`quota:write`), and the newest alerts.
    @Sendable func alerts(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let scope = try await tenant(request, context, scope: .quotaRead)
        let canRetry = scope.viewer.may(.quotaWrite)
        let rows: [WebhookRow]
        do { rows = try await webhookRows(scope, canRetry: canRetry) } catch { throw WebhooksController.apiError(error) }
        let alerts = try await AlertRow.recent(tenant: scope.tenant, count: 50, feed: dependencies.stores.alerts, tenantView: scope)
        let page = AlertsPage(
            layout: scope.layout("Alerts & webhooks · \(scope.tenant)", .alerts, notice: Self.notice(request)), tenant: scope.tenant,
            csrf: scope.viewer.csrfToken, webhooks: rows, hasWebhooks: !rows.isEmpty, alerts: alerts, hasAlerts: !alerts.isEmpty, canRetry: canRetry
        )
        return DashboardResponse.html(try DashboardTemplates.render(page, "alerts"))
    }

    /// The tenant's webhooks with their 20 newest deliveries each.
    func webhookRows(_ scope: DashboardTenant, canRetry: Bool) async throws(WebhookError) -> [WebhookRow] {
        var rows: [WebhookRow] = []
        for webhook in try await webhookStore.list(tenant: scope.tenant) {
            let deliveries = try await webhookStore.deliveries(tenant: scope.tenant, webhookID: webhook.id, limit: 20).map { delivery in
                DeliveryRow(
                    id: delivery.id, webhookID: delivery.webhookID, type: delivery.type, status: delivery.status.rawValue,
                    isDead: delivery.status == .dead, isDelivered: delivery.status == .delivered, attempts: String(delivery.attempts),
                    lastStatus: delivery.lastStatusCode.map(String.init) ?? "—", lastError: delivery.lastError ?? "",
                    created: scope.dateTime(delivery.createdAt), nextAttempt: delivery.nextAttemptAt.map(scope.dateTime) ?? "",
                    canRetry: canRetry && delivery.status != .delivered
                )
            }
            rows.append(WebhookRow(
                id: webhook.id, url: webhook.url, events: webhook.events.map(\.rawValue).joined(separator: ", "),
                created: scope.dateTime(webhook.createdAt), deliveries: deliveries, hasDeliveries: !deliveries.isEmpty
            ))
        }
        return rows
    }

    /// `POST /dashboard/t/{tenant}/alerts/retry` (`quota:write`, CSRF; fields `webhook`, `delivery`):
    /// re-queues the delivery as `POST …/webhooks/{id}/deliveries/{delivery}/retry` does.
    @Sendable func retryDelivery(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let (viewer, form) = try await post(request)
        let scope = try await tenant(request, context, scope: .quotaWrite, viewer: viewer)
        do {
            _ = try await webhookStore.retry(tenant: scope.tenant, webhookID: form["webhook"] ?? "", deliveryID: form["delivery"] ?? "")
        } catch {
            throw WebhooksController.apiError(error)
        }
        context.logger.info("webhook delivery re-queued from the dashboard", metadata: ["quota.tenant": "\(scope.tenant)"])
        return DashboardResponse.redirect(DashboardPaths.tenant(scope.tenant) + "/alerts?notice=retried")
    }
}
