import QuotaHTTP
import QuotaStores
import Foundation
import Hummingbird
import Logging
import TokenAccounting
import TokenQuota

extension DashboardController {
    /// A user's or a group's page.
    struct SubjectPage: Sendable {
        var layout: DashboardLayout
        var tenant: String
        var kind: String
        var name: String
        var cycleID: String
        var cycleStart: String
        var cycleEnd: String
        var tokens: String
        var cost: String
        var requests: String
        var errors: String
        var group: String?
        var groupHref: String?
        var reservations: String
        var reservedTokens: String
        var reservedCost: String
        var limits: [LimitMeter]
        var windows: [LimitMeter]
        var levels: [LevelRow]
        var chart: SVGChart.Layout?
        var models: [TopRow]
        var hasModels: Bool { !models.isEmpty }
        var quotaSource: String?
        var editor: QuotaEditorForm?
        var readOnlyQuota: Bool
        var quotaHidden: Bool
    }

    /// The state of another level that applies to a user (group, tenant).
    struct LevelRow: Sendable {
        var level: String
        var id: String
        var meters: [LimitMeter]
    }

    /// `GET /dashboard/t/{tenant}/users/{user}` (`usage:read`).
    @Sendable func user(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let scope = try await tenant(request, context, scope: .usageRead)
        let user = try context.nameParameter("user")
        return DashboardResponse.html(try await subjectPage(scope, .user(user), notice: Self.notice(request), posted: nil))
    }

    /// `GET /dashboard/t/{tenant}/groups/{group}` (`usage:read`).
    @Sendable func group(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let scope = try await tenant(request, context, scope: .usageRead)
        let group = try context.nameParameter("group")
        return DashboardResponse.html(try await subjectPage(scope, .group(group), notice: Self.notice(request), posted: nil))
    }

    /// `POST /dashboard/t/{tenant}/users/{user}/quota` (`quota:write`, CSRF).
    @Sendable func saveUserQuota(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        try await saveQuota(request, context, kind: "user")
    }

    /// `POST /dashboard/t/{tenant}/groups/{group}/quota` (`quota:write`, CSRF).
    @Sendable func saveGroupQuota(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        try await saveQuota(request, context, kind: "group")
    }

    /// Validates the form as the API validates a quota `PUT` and stores it (then back to the page), or shows
    /// the page again with the API's message and the values as typed (`400`).
    func saveQuota(_ request: Request, _ context: QuotaRequestContext, kind: String) async throws -> Response {
        let (viewer, form) = try await post(request)
        let scope = try await tenant(request, context, scope: .quotaWrite, viewer: viewer)
        let subject: QuotaSubject = kind == "user" ? .user(try context.nameParameter("user")) : .group(try context.nameParameter("group"))
        let isUser = kind == "user"
        let existing = try await QuotaController(dependencies: dependencies).view(tenant: scope.tenant, subject: subject).config.schedule
        do {
            let body = try QuotaEditorForm.body(form.fields, showsGroup: isUser)
            let config = try body.config(keeping: existing, allowsGroup: isUser)
            try await dependencies.repository.setQuota(tenant: scope.tenant, subject: subject, config, now: await dependencies.repository.currentTime())
        } catch let error as APIError where error.status == .badRequest {
            let html = try await subjectPage(scope, subject, notice: nil, posted: (form.fields, error.message))
            return DashboardResponse.html(html, status: .badRequest)
        } catch let error as QuotaError where error.code == .invalidArgument {
            let html = try await subjectPage(scope, subject, notice: nil, posted: (form.fields, error.message))
            return DashboardResponse.html(html, status: .badRequest)
        }
        context.logger.info("quota set from the dashboard", metadata: ["quota.tenant": "\(scope.tenant)", "quota.subject": "\(subject)"])
        let path = isUser ? DashboardPaths.user(scope.tenant, subject.name) : DashboardPaths.group(scope.tenant, subject.name)
        return DashboardResponse.redirect(path + "?notice=saved")
    }

    /// Renders a user's or group's page; `posted` re-displays a refused form with its error.
    func subjectPage(_ scope: DashboardTenant, _ subject: QuotaSubject, notice: String?, posted: ([String: String], String)?) async throws -> String {
        let repository = dependencies.repository
        let viewer = scope.viewer
        let isUser: Bool
        let name = subject.name
        var page: SubjectPage
        var chart: SVGChart?
        switch subject {
        case .user(let user):
            isUser = true
            let usage = try await repository.usage(tenant: scope.tenant, user: user, cycleID: nil, now: scope.now)
            page = makePage(scope, kind: "user", name: user, cycle: usage.cycle, totals: usage.totals, reserved: usage.reserved, notice: notice)
            page.group = usage.group
            page.groupHref = usage.group.map { DashboardPaths.group(scope.tenant, $0) }
            page.limits = LimitMeter.cycleLimits(limits: usage.limits, totals: usage.totals, reserved: usage.reserved)
            page.windows = LimitMeter.windows(rate: usage.rate, windows: usage.windows)
            page.levels = usage.levels.map { level in
                LevelRow(level: level.level.rawValue, id: level.id, meters: LimitMeter.cycleLimits(limits: level.limits, totals: level.totals, reserved: level.reserved))
            }
            page.models = usage.models.sorted { ($0.value.tokens, $1.key) > ($1.value.tokens, $0.key) }.map { model, totals in
                TopRow(name: model, href: nil, tokens: DashboardFormat.count(totals.tokens), cost: DashboardFormat.usd(nano: totals.costNanoUSD), requests: DashboardFormat.count(totals.requests))
            }
            chart = try await modelChart(scope, user: user, cycle: usage.cycle, models: usage.models)
        case .group(let group):
            isUser = false
            let usage = try await repository.usage(tenant: scope.tenant, subject: subject, cycleID: nil, now: scope.now)
            page = makePage(scope, kind: "group", name: group, cycle: usage.cycle, totals: usage.totals, reserved: usage.reserved, notice: notice)
            page.limits = LimitMeter.cycleLimits(limits: usage.limits, totals: usage.totals, reserved: usage.reserved)
            page.windows = LimitMeter.windows(rate: usage.rate, windows: usage.windows)
            chart = try await tokenClassChart(scope, row: .group(group), cycle: usage.cycle, id: "chart-group", title: "Tokens per day, group \(group)")
        default:
            throw DashboardError.notFound("no such page")
        }
        page.chart = chart?.layout()
        if viewer.may(.quotaRead) {
            let view = try await QuotaController(dependencies: dependencies).view(tenant: scope.tenant, subject: subject)
            page.quotaSource = view.source.map { $0.replacingOccurrences(of: "_", with: " ") }
            let action = (isUser ? DashboardPaths.user(scope.tenant, name) : DashboardPaths.group(scope.tenant, name)) + "/quota"
            if viewer.may(.quotaWrite) {
                page.editor = if let (values, error) = posted {
                    QuotaEditorForm(action: action, csrf: viewer.csrfToken, values: values, showsGroup: isUser, error: error)
                } else {
                    QuotaEditorForm(action: action, csrf: viewer.csrfToken, config: view.config, showsGroup: isUser)
                }
            } else {
                page.readOnlyQuota = true
            }
        } else {
            page.quotaHidden = true
        }
        return try DashboardTemplates.render(page, "user")
    }

    func makePage(
        _ scope: DashboardTenant, kind: String, name: String, cycle: BillingCycle, totals: UsageTotals, reserved: ReservedAmounts, notice: String?
    ) -> SubjectPage {
        SubjectPage(
            layout: scope.layout("\(name) · \(scope.tenant)", kind == "user" ? .users : .groups, notice: notice), tenant: scope.tenant, kind: kind,
            name: name, cycleID: cycle.id, cycleStart: scope.dateTime(cycle.start), cycleEnd: scope.dateTime(cycle.end),
            tokens: DashboardFormat.count(totals.tokens), cost: DashboardFormat.usd(nano: totals.costNanoUSD),
            requests: DashboardFormat.count(totals.requests), errors: DashboardFormat.count(totals.errors), group: nil, groupHref: nil,
            reservations: DashboardFormat.count(reserved.requests), reservedTokens: DashboardFormat.count(reserved.tokens),
            reservedCost: DashboardFormat.usd(nano: reserved.costNanoUSD), limits: [], windows: [], levels: [], chart: nil, models: [],
            quotaSource: nil, editor: nil, readOnlyQuota: false, quotaHidden: false
        )
    }

    /// The user's daily chart stacked by model (their 8 biggest models of the cycle); by token class when
    /// the cycle has no per-model rows (token statistics off).
    func modelChart(_ scope: DashboardTenant, user: String, cycle: BillingCycle, models: [String: UsageTotals]) async throws -> SVGChart? {
        guard let history else { return nil }
        let top = models.sorted { ($0.value.tokens, $1.key) > ($1.value.tokens, $0.key) }.prefix(8).map(\.key)
        guard !top.isEmpty else {
            return try await tokenClassChart(scope, row: .user(user), cycle: cycle, id: "chart-user", title: "Tokens per day, \(user)")
        }
        let (from, to) = scope.days(of: cycle)
        var histories: [DailyUsageHistory] = []
        for model in top {
            histories.append(try await history.dailyUsage(tenant: scope.tenant, from: from, to: to, row: .userModel(user: user, model: model), now: scope.now))
        }
        return DashboardCharts.byModel(id: "chart-user", title: "Tokens per day by model, \(user)", models: top, histories: histories)
    }
}

extension QuotaSubject {
    /// The user or group id ('' for the tenant levels).
    var name: String {
        switch self {
        case .user(let user): user
        case .group(let group): group
        default: ""
        }
    }
}
