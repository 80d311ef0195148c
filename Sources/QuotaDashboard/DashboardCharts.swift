import QuotaStores
import QuotaHTTP
import Foundation
import TokenQuota

/// Builds the dashboard's charts from daily usage rows.
enum DashboardCharts {
    /// The token classes a tenant, group or user chart stacks (their sum is the tokens the limits count).
    static let tokenClasses = ["input (uncached)", "cached input", "output"]

    /// One column per day of `history`, stacked by token class.
    static func byTokenClass(id: String, title: String, history: DailyUsageHistory) -> SVGChart {
        let columns = history.days.map { day in
            let usage = day.totals.usage
            let uncached = max(0, usage.inputTokens - usage.cachedInputTokens)
            return SVGChart.Column(
                label: dayLabel(day.day), detail: day.day.description, values: [uncached, usage.cachedInputTokens, usage.outputTokens]
            )
        }
        return SVGChart(id: id, title: title, series: tokenClasses, columns: columns, unit: "tokens")
    }

    /// One column per day, stacked by model (`histories` in the same order as `models`, same days each).
    static func byModel(id: String, title: String, models: [String], histories: [DailyUsageHistory]) -> SVGChart {
        let days = histories.first?.days.map(\.day) ?? []
        let columns = days.enumerated().map { index, day in
            SVGChart.Column(
                label: dayLabel(day), detail: day.description,
                values: histories.map { index < $0.days.count ? $0.days[index].totals.tokens : 0 }
            )
        }
        return SVGChart(id: id, title: title, series: models, columns: columns, unit: "tokens")
    }

    /// The day of the month, and the month on the first (`1 Mar`, `2`, …).
    static func dayLabel(_ day: CalendarDay) -> String {
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return day.day == 1 ? "1 \(months[day.month - 1])" : String(day.day)
    }
}
