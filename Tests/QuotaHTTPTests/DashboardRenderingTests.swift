import Foundation
import Mustache
@testable import QuotaHTTP
@testable import QuotaDashboard
import QuotaStores
import Testing
import TokenQuota

/// The dashboard's pure parts: the SVG chart, number formatting, list sorting and the templates.
@Suite struct DashboardRenderingTests {
    static func chart(series: [String] = ["input", "output"], columns: [[Int]]) -> SVGChart {
        SVGChart(
            id: "c1", title: "Tokens <per> day", series: series,
            columns: columns.enumerated().map { index, values in
                SVGChart.Column(label: String(index + 1), detail: "2025-03-0\(index + 1)", values: values)
            },
            unit: "tokens"
        )
    }

    @Test func theChartIsAccessibleStackedSVGWithTooltips() throws {
        let svg = try DashboardTemplates.render(chart: Self.chart(columns: [[100, 50], [0, 0], [300, 200]]))
        #expect(svg.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 720 260\" role=\"img\" aria-labelledby=\"c1-title c1-desc\""))
        #expect(svg.contains("<title id=\"c1-title\">Tokens &lt;per&gt; day</title>"))
        #expect(svg.contains("<desc id=\"c1-desc\">From 2025-03-01 to 2025-03-03: 650 tokens in all; busiest 2025-03-03 with 500."))
        // Zero values draw nothing: 2 + 0 + 2 segments, each with its tooltip and a theme class.
        #expect(svg.components(separatedBy: "<rect ").count - 1 == 4)
        #expect(svg.contains("class=\"series-0\"><title>2025-03-03 · input: 300 tokens</title></rect>"))
        #expect(svg.contains("class=\"series-1\"><title>2025-03-01 · output: 50 tokens</title></rect>"))
        #expect(!svg.contains("fill=\"#"), "colours come from the stylesheet")
        // Axis: 500 is already a 1-2-5 value; five ticks plus zero.
        #expect(svg.contains(">500</text>") && svg.contains(">100</text>") && svg.contains(">0</text>"))
    }

    @Test func chartGeometryStacksWithinThePlot() {
        let layout = Self.chart(columns: [[100, 100], [50, 0]]).layout()
        // The top of the axis is 200 (1-2-5 at or above the largest column); the plot is 220 px high, its bottom at y = 230.
        let bars = layout.bars
        #expect(bars.count == 3)
        #expect(bars[0].y == "120.0" && bars[0].height == "110.0")
        #expect(bars[1].y == "10.0" && bars[1].height == "110.0")
        #expect(bars[2].height == "55.0")
        #expect(SVGChart.axisMaximum(0) == 5)
        #expect(SVGChart.axisMaximum(7) == 10)
        #expect(SVGChart.axisMaximum(1_234) == 2_000)
        #expect(SVGChart.axisMaximum(5_000_001) == 10_000_000)
        #expect(layout.legend.map(\.total) == ["150", "100"])
        let empty = Self.chart(columns: [[0, 0]]).layout()
        #expect(empty.bars.isEmpty)
        #expect(empty.desc == "No usage from 2025-03-01 to 2025-03-01.")
    }

    @Test func numbersMoneyAndTimes() {
        #expect(DashboardFormat.count(0) == "0")
        #expect(DashboardFormat.count(999) == "999")
        #expect(DashboardFormat.count(1_000) == "1,000")
        #expect(DashboardFormat.count(-1_234_567) == "-1,234,567")
        #expect(DashboardFormat.usd(nano: 12_500_000_000) == "$12.50")
        #expect(DashboardFormat.usd(nano: 1_234) == "$0.000001234")
        #expect(DashboardFormat.usd(nano: 1_234_567_000_000_000) == "$1,234,567.00")
        #expect(DashboardFormat.compact(1_500) == "1.5k")
        #expect(DashboardFormat.compact(20_000_000) == "20M")
        #expect(DashboardFormat.percent(50, of: 200) == 25)
        #expect(DashboardFormat.percent(5, of: nil) == 0)
        #expect(DashboardFormat.percent(Int.max, of: 1) == 999)
        let date = Date(timeIntervalSince1970: 1_740_000_000)
        #expect(DashboardFormat.dateTime(date, in: TimeZone(identifier: "Europe/Berlin")!) == "2025-02-19 22:20 UTC+01:00")
        #expect(DashboardFormat.dateTime(date, in: TimeZone(identifier: "UTC")!) == "2025-02-19 21:20 UTC")
    }

    @Test func listingsSearchSortAndPage() {
        let rows = (0..<120).map { ReportRow(id: "user-\($0)", totals: UsageTotals(requests: $0 % 7, costNanoUSD: $0)) }
        var query = DashboardListing.Query(q: "1", sort: "requests", dir: "desc", page: "2")
        let listing = DashboardListing(rows: rows, query: query, limits: QuotaLimits(requests: 10))
        let matching = rows.filter { $0.id.contains("1") }
        #expect(listing.matching == matching.count)
        #expect(listing.pages == 1)
        #expect(listing.page == 1)
        #expect(listing.rows.first?.totals.requests == 6)
        query = DashboardListing.Query(q: nil, sort: "name", dir: nil, page: "3")
        let byName = DashboardListing(rows: rows, query: query, limits: .unlimited)
        #expect(byName.pages == 3 && byName.rows.count == 20)
        #expect(byName.rows.first?.id == rows.map(\.id).sorted()[100])
        let bogus = DashboardListing.Query(q: nil, sort: "<script>", dir: "sideways", page: "-4")
        #expect(bogus.sort == .tokens && bogus.descending && bogus.page == 1)
        #expect(DashboardListing.share(UsageTotals(requests: 5, costNanoUSD: 90), QuotaLimits(costNanoUSD: 100, requests: 10)) == 9_000)
    }

    @Test func everyTemplateParsesAndFormsAreParsed() throws {
        guard case .success(let library) = DashboardTemplates.library else {
            Issue.record("the templates do not parse: \(DashboardTemplates.library)")
            return
        }
        for (name, _) in DashboardTemplates.sources { #expect(library.getTemplate(named: name) != nil, "\(name)") }
        let form = DashboardForm(encoded: "csrf=a%2Bb&key=qk_x+y&empty=&bad=%zz")
        #expect(form["csrf"] == "a+b")
        #expect(form["key"] == "qk_x y")
        #expect(form["empty"] == "")
        #expect(form["bad"] == "%zz")
        #expect(DashboardToken.isWellFormed(DashboardToken.make()))
        #expect(!DashboardToken.isWellFormed("../../etc"))
        #expect(DashboardToken.matches("abc", "abc") && !DashboardToken.matches("abd", "abc") && !DashboardToken.matches(nil, "abc"))
    }
}
