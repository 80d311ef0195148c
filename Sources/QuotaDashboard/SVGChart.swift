import QuotaStores
import QuotaHTTP
import Foundation

/// A stacked bar chart (one column per day, one stacked segment per series: a token class or a model),
/// laid out on the server and drawn as inline SVG by the `chart` template.
///
/// The layout is plain integer and fixed-point arithmetic on a fixed view box (``viewWidth`` ×
/// ``viewHeight``; the SVG scales with CSS). Segments carry the class `series-<n>` (n < ``palette``), so their
/// colours come from the stylesheet's CSS variables and follow the theme. Every segment has a `<title>`
/// (the tooltip: column, series and exact count); the SVG has `role="img"`, a `<title>` and a `<desc>`
/// summarising the data for screen readers. Everything textual is escaped by the template.
struct SVGChart: Sendable {
    /// One column (a day): its axis label, the detail shown in tooltips, one value per series.
    struct Column: Sendable {
        var label: String
        var detail: String
        var values: [Int]
    }

    /// The laid-out chart, as the template reads it.
    struct Layout: Sendable {
        struct Bar: Sendable {
            var x: String
            var y: String
            var width: String
            var height: String
            var series: Int
            var title: String
        }
        struct Tick: Sendable {
            var y: String
            var label: String
        }
        struct Label: Sendable {
            var x: String
            var text: String
        }
        struct LegendItem: Sendable {
            var series: Int
            var name: String
            var total: String
        }
        var id: String
        var viewWidth: Int
        var viewHeight: Int
        var plotLeft: Int
        var plotRight: Int
        var labelX: Int
        var labelY: Int
        var title: String
        var desc: String
        var bars: [Bar]
        var ticks: [Tick]
        var labels: [Label]
        var legend: [LegendItem]
    }

    /// The number of distinct series colours (`--series-0` … in the stylesheet); series beyond reuse them.
    static let palette = 8
    static let viewWidth = 720
    static let viewHeight = 260
    static let marginLeft = 60
    static let marginRight = 8
    static let marginTop = 10
    static let marginBottom = 30

    /// The element id prefix (letters, digits and dashes: it is used in `aria-labelledby`).
    var id: String
    /// The chart's title (also the SVG's accessible name).
    var title: String
    /// The series names, in stacking order (bottom first).
    var series: [String]
    /// The columns, left to right.
    var columns: [Column]
    /// The unit of the values (`tokens`).
    var unit: String

    /// The largest column total.
    var maximumTotal: Int {
        columns.map { $0.values.reduce(0, Self.plus) }.max() ?? 0
    }

    /// The top of the value axis: the smallest 1, 2 or 5 × 10ⁿ at or above the largest column total, at
    /// least 5 (so the five tick intervals are whole numbers).
    static func axisMaximum(_ value: Int) -> Int {
        guard value > 5 else { return 5 }
        var magnitude = 1
        while magnitude <= value / 10 { magnitude *= 10 }
        for factor in [1, 2, 5, 10] {
            let (candidate, overflow) = magnitude.multipliedReportingOverflow(by: factor)
            if overflow { return Int.max }
            if candidate >= value { return candidate }
        }
        return Int.max
    }

    /// Lays the chart out.
    func layout() -> Layout {
        let plotWidth = Double(Self.viewWidth - Self.marginLeft - Self.marginRight)
        let plotHeight = Double(Self.viewHeight - Self.marginTop - Self.marginBottom)
        let bottom = Double(Self.viewHeight - Self.marginBottom)
        let top = Self.axisMaximum(maximumTotal)
        let count = max(columns.count, 1)
        let columnWidth = plotWidth / Double(count)
        let barWidth = max(1, columnWidth * 0.7)
        var bars: [Layout.Bar] = []
        for (index, column) in columns.enumerated() {
            let x = Double(Self.marginLeft) + Double(index) * columnWidth + (columnWidth - barWidth) / 2
            var stacked = 0.0
            for (seriesIndex, value) in column.values.enumerated() where value > 0 {
                let height = Double(value) / Double(top) * plotHeight
                stacked += height
                let name = seriesIndex < series.count ? series[seriesIndex] : "other"
                bars.append(Layout.Bar(
                    x: Self.fixed(x), y: Self.fixed(bottom - stacked), width: Self.fixed(barWidth), height: Self.fixed(max(height, 0.5)),
                    series: seriesIndex % Self.palette,
                    title: "\(column.detail) · \(name): \(DashboardFormat.count(value)) \(unit)"
                ))
            }
        }
        let ticks = (0...5).map { step in
            let value = top / 5 * step
            return Layout.Tick(y: Self.fixed(bottom - Double(step) / 5 * plotHeight), label: DashboardFormat.compact(value))
        }
        let every = max(1, (columns.count + 15) / 16)
        let labels = columns.enumerated().compactMap { index, column -> Layout.Label? in
            guard index % every == 0 else { return nil }
            return Layout.Label(x: Self.fixed(Double(Self.marginLeft) + (Double(index) + 0.5) * columnWidth), text: column.label)
        }
        var totals = Array(repeating: 0, count: series.count)
        for column in columns {
            for (index, value) in column.values.enumerated() where index < totals.count {
                totals[index] = Self.plus(totals[index], value)
            }
        }
        let legend = series.enumerated().map { index, name in
            Layout.LegendItem(series: index % Self.palette, name: name, total: DashboardFormat.count(totals[index]))
        }
        return Layout(
            id: id, viewWidth: Self.viewWidth, viewHeight: Self.viewHeight, plotLeft: Self.marginLeft,
            plotRight: Self.viewWidth - Self.marginRight, labelX: Self.marginLeft - 6, labelY: Self.viewHeight - Self.marginBottom + 18,
            title: title, desc: description(totals: totals), bars: bars, ticks: ticks, labels: labels, legend: legend
        )
    }

    /// The text alternative: the period, the total, the busiest column and each series' total.
    func description(totals: [Int]) -> String {
        guard let first = columns.first, let last = columns.last else { return "No data." }
        let total = totals.reduce(0, Self.plus)
        guard total > 0 else { return "No usage from \(first.detail) to \(last.detail)." }
        var busiest = first
        var busiestTotal = -1
        for column in columns {
            let sum = column.values.reduce(0, Self.plus)
            if sum > busiestTotal { busiest = column; busiestTotal = sum }
        }
        let parts = zip(series, totals).filter { $0.1 > 0 }.map { "\($0.0) \(DashboardFormat.count($0.1))" }
        return "From \(first.detail) to \(last.detail): \(DashboardFormat.count(total)) \(unit) in all; busiest \(busiest.detail) "
            + "with \(DashboardFormat.count(busiestTotal)). By series: \(parts.joined(separator: ", "))."
    }

    /// `a + max(0, b)`, saturating at `Int.max`.
    static func plus(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(max(0, b))
        return overflow ? Int.max : sum
    }

    static func fixed(_ value: Double) -> String {
        String(format: "%.1f", value)
    }
}
