import QuotaHTTP
import QuotaStores
import Foundation
import Hummingbird
import TokenAccounting
import TokenQuota

extension DashboardController {
    /// The tenant of a `{tenant}` route, after checking the viewer may see it (and holds `scope`).
    func tenant(_ request: Request, _ context: QuotaRequestContext, scope: KeyScope?, viewer: DashboardViewer? = nil) async throws -> DashboardTenant {
        let viewer = if let viewer { viewer } else { try await self.viewer(request) }
        let tenant = try context.nameParameter("tenant")
        try viewer.require(tenant: tenant, scope: scope)
        let repository = dependencies.repository
        let schedule = try await repository.tenantSchedule(tenant: tenant)
        return DashboardTenant(tenant: tenant, viewer: viewer, schedule: schedule, now: await repository.currentTime())
    }

    /// The repository's history side, when it keeps one.
    var history: (any UsageHistoryRepository)? { dependencies.repository as? any UsageHistoryRepository }

    /// A chart of a row by token class over the local days of `cycle` (nil without history).
    func tokenClassChart(_ scope: DashboardTenant, row: DailyRowSelector, cycle: BillingCycle, id: String, title: String) async throws -> SVGChart? {
        guard let history else { return nil }
        let (from, to) = scope.days(of: cycle)
        let days = try await history.dailyUsage(tenant: scope.tenant, from: from, to: to, row: row, now: scope.now)
        return DashboardCharts.byTokenClass(id: id, title: title, history: days)
    }

    struct TopRow: Sendable {
        var name: String
        var href: String?
        var tokens: String
        var cost: String
        var requests: String
    }

    struct ForecastView: Sendable {
        var tokens: String
        var cost: String
        var tokensReachedAt: String?
        var costReachedAt: String?
    }

    struct OverviewPage: Sendable {
        var layout: DashboardLayout
        var tenant: String
        var cycleID: String
        var cycleStart: String
        var cycleEnd: String
        var tokens: String
        var cost: String
        var requests: String
        var users: String
        var reserved: String
        var limits: [LimitMeter]
        var windows: [LimitMeter]
        var forecast: ForecastView?
        var currentChart: SVGChart.Layout?
        var previousChart: SVGChart.Layout?
        var topUsers: [TopRow]
        var topModels: [TopRow]
        var alerts: [AlertRow]
        var hasAlerts: Bool
    }

    /// `GET /dashboard/t/{tenant}` (`usage:read`): the tenant's cycle against its limits, forecast, daily
    /// charts of this cycle and the previous one, top users and models, and the newest alerts.
    @Sendable func overview(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let scope = try await tenant(request, context, scope: .usageRead)
        let repository = dependencies.repository
        let level = try await repository.usage(tenant: scope.tenant, subject: .tenant, cycleID: nil, now: scope.now)
        let report = try await repository.report(tenant: scope.tenant, cycleID: nil, now: scope.now)
        let previousCycle = scope.schedule.cycle(containing: level.cycle.start.addingTimeInterval(-1))
        let current = try await tokenClassChart(scope, row: .tenant, cycle: level.cycle, id: "chart-current", title: "Tokens per day, cycle \(level.cycle.id)")
        let previous = try await tokenClassChart(scope, row: .tenant, cycle: previousCycle, id: "chart-previous", title: "Tokens per day, cycle \(previousCycle.id)")
        let forecast = level.forecast(at: scope.now).map { forecast in
            ForecastView(
                tokens: DashboardFormat.count(forecast.projectedTokens), cost: DashboardFormat.usd(nano: forecast.projectedCostNanoUSD),
                tokensReachedAt: forecast.tokensLimitReachedAt.map(scope.dateTime), costReachedAt: forecast.costLimitReachedAt.map(scope.dateTime)
            )
        }
        let topUsers = report.users.sorted { ($0.totals.tokens, $1.id) > ($1.totals.tokens, $0.id) }.prefix(10).map { row in
            TopRow(
                name: row.id, href: DashboardPaths.user(scope.tenant, row.id), tokens: DashboardFormat.count(row.totals.tokens),
                cost: DashboardFormat.usd(nano: row.totals.costNanoUSD), requests: DashboardFormat.count(row.totals.requests)
            )
        }
        let topModels = report.models.sorted { ($0.value.tokens, $1.key) > ($1.value.tokens, $0.key) }.prefix(10).map { model, totals in
            TopRow(
                name: model, href: nil, tokens: DashboardFormat.count(totals.tokens), cost: DashboardFormat.usd(nano: totals.costNanoUSD),
                requests: DashboardFormat.count(totals.requests)
            )
        }
        let alerts = try await AlertRow.recent(tenant: scope.tenant, count: 10, feed: dependencies.stores.alerts, tenantView: scope)
        let page = OverviewPage(
            layout: scope.layout(scope.tenant, .overview), tenant: scope.tenant, cycleID: level.cycle.id,
            cycleStart: scope.dateTime(level.cycle.start), cycleEnd: scope.dateTime(level.cycle.end),
            tokens: DashboardFormat.count(level.totals.tokens), cost: DashboardFormat.usd(nano: level.totals.costNanoUSD),
            requests: DashboardFormat.count(level.totals.requests), users: DashboardFormat.count(report.users.count),
            reserved: DashboardFormat.count(level.reserved.tokens),
            limits: LimitMeter.cycleLimits(limits: level.limits, totals: level.totals, reserved: level.reserved),
            windows: LimitMeter.windows(rate: level.rate, windows: level.windows), forecast: forecast,
            currentChart: current?.layout(), previousChart: previous?.layout(), topUsers: Array(topUsers), topModels: Array(topModels),
            alerts: alerts, hasAlerts: !alerts.isEmpty
        )
        return DashboardResponse.html(try DashboardTemplates.render(page, "overview"))
    }
}
