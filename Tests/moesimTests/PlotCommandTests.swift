import Foundation
import XCTest

/// `moesim plot`: figures from real simulate output and hand-made CSVs are well-formed SVG
/// whose series, points and bars match the data; bad input fails with the right code and
/// writes nothing.
final class PlotCommandTests: MoesimTestCase {
    /// Runs plot and parses the figure it wrote to `figure`.
    private func plot(_ csv: String, _ options: [String], figure: String = "fig.svg") throws -> (MoesimRun, SVGDocument) {
        let run = try moesim(["plot", csv] + options + ["-o", path(figure)])
        assertStatus(run, 0)
        return (run, try SVGDocument(path: path(figure)))
    }

    /// Distinct values of `column` over `rows`, in order of first appearance.
    private func distinct(_ column: String, _ rows: [[String: String]]) -> [String] {
        var values: [String] = []
        for row in rows where !values.contains(row[column]!) { values.append(row[column]!) }
        return values
    }

    func testBarAndLineFiguresOfASimulatedScenario() throws {
        let scenario = MoesimRunner.packageRoot.appendingPathComponent("scenarios/sam-vs-topk-4nodes.json").path
        let simulated = try moesim("simulate", scenario, "--format", "csv")
        assertStatus(simulated, 0)
        let csv = try write(simulated.stdout, to: "all.csv")
        let rows = CSV.table(simulated.stdout).rows
        let deduplicated = rows.filter { $0["dedup"] == "gpu" }

        // Bar chart: one series per k, one bar per (k, strategy), heights proportional to step time.
        let (barRun, bars) = try plot(csv, ["--x", "strategy", "--y", "step_time_us", "--by", "k", "--kind", "bar",
                                            "--where", "dedup=gpu"])
        XCTAssertEqual(barRun.stderr, "", barRun.brief)
        XCTAssertEqual(bars.seriesNames, distinct("k", deduplicated))
        XCTAssertEqual(bars.bars.count, deduplicated.count)
        let area = try XCTUnwrap(bars.plotArea)
        let yMin = try XCTUnwrap(bars.all("rect", class: "plot-area").first?.number("data-y-min"))
        let yMax = try XCTUnwrap(bars.all("rect", class: "plot-area").first?.number("data-y-max"))
        XCTAssertEqual(yMin, 0, "a bar chart's y axis starts at 0")
        for (bar, row) in zip(bars.bars.sorted { $0.frame.x < $1.frame.x }, deduplicated.sorted { lhs, rhs in
            (distinct("strategy", deduplicated).firstIndex(of: lhs["strategy"]!)!, lhs["k"]!)
                < (distinct("strategy", deduplicated).firstIndex(of: rhs["strategy"]!)!, rhs["k"]!)
        }) {
            let value = try XCTUnwrap(Double(row["step_time_us"]!))
            XCTAssertLessThanOrEqual(value, yMax)
            XCTAssertEqual(bar.series, row["k"])
            XCTAssertEqual(bar.frame.height, value / yMax * area.height, accuracy: 0.02, "bar of \(row)")
            XCTAssertEqual(bar.frame.y + bar.frame.height, area.y + area.height, accuracy: 0.01, "bars stand on the x axis")
            XCTAssertTrue(area.contains(x: bar.frame.x, y: bar.frame.y) && area.contains(
                x: bar.frame.x + bar.frame.width, y: bar.frame.y + bar.frame.height), "bar inside the plot area")
        }
        XCTAssertEqual(bars.all("text", class: "axis-label").map(\.text), ["step time (µs)", "strategy"])
        XCTAssertEqual(bars.all("text", class: "legend-title").map(\.text), ["k"])

        // Line plot over all rows: top-k with k = 2 appears twice (dedup gpu and none), so it is averaged.
        let (lineRun, lines) = try plot(csv, ["--x", "k", "--y", "dispatch_bytes", "--by", "strategy"], figure: "line.svg")
        XCTAssertTrue(lineRun.stderr.contains("averaged"), lineRun.brief)
        XCTAssertEqual(lines.seriesNames, distinct("strategy", rows))
        let lineArea = try XCTUnwrap(lines.plotArea)
        let frame = try XCTUnwrap(lines.all("rect", class: "plot-area").first)
        let xs = rows.map { Double($0["k"]!)! }, ys = rows.map { Double($0["dispatch_bytes"]!)! }
        XCTAssertLessThanOrEqual(try XCTUnwrap(frame.number("data-x-min")), xs.min()!)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(frame.number("data-x-max")), xs.max()!)
        XCTAssertLessThanOrEqual(try XCTUnwrap(frame.number("data-y-min")), ys.min()!)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(frame.number("data-y-max")), ys.max()!)
        let expectedPoints = Set(rows.map { "\($0["strategy"]!) \($0["k"]!)" }).count
        XCTAssertEqual(lines.pointCentres.count, expectedPoints)
        for point in lines.pointCentres {
            XCTAssertTrue(lineArea.contains(x: point.x, y: point.y), "point \(point) outside \(lineArea)")
        }
        XCTAssertEqual(lines.all("text", class: "axis-label").first?.text, "dispatch (bytes)")
        XCTAssertTrue(lines.all("text", class: "tick-label").contains { $0.text.hasSuffix(" G") },
                      "byte ticks use SI prefixes")

        // Deterministic: the same input gives the same bytes.
        _ = try plot(csv, ["--x", "k", "--y", "dispatch_bytes", "--by", "strategy"], figure: "again.svg")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("line.svg"))),
                       try Data(contentsOf: URL(fileURLWithPath: path("again.svg"))))
    }

    func testSeriesInFirstAppearanceOrderWithPointsSortedByX() throws {
        // "zeta" comes first although it sorts last; x is unsorted; one by-value is quoted with a comma.
        let csv = try write("""
            x,y,group
            3,30,zeta
            1,10,zeta
            2,5,"alpha, quoted"
            2,20,zeta
            1,7,"alpha, quoted"
            3,-4,"alpha, quoted"

            """, to: "in.csv")
        let (_, figure) = try plot(csv, ["--x", "x", "--y", "y", "--by", "group"])
        XCTAssertEqual(figure.seriesNames, ["zeta", "alpha, quoted"])
        let area = try XCTUnwrap(figure.plotArea)
        let points = figure.pointCentres
        XCTAssertEqual(points.count, 6)
        for name in figure.seriesNames {
            let own = points.filter { $0.series == name }
            XCTAssertEqual(own.count, 3)
            XCTAssertEqual(own.map(\.x), own.map(\.x).sorted(), "\(name): points in x order")
            XCTAssertTrue(own.allSatisfy { area.contains(x: $0.x, y: $0.y) })
        }
        // Pixel y falls as data y rises: zeta's 10, 20, 30 climb; alpha's 7 → -4 drops below its 5.
        let zeta = points.filter { $0.series == "zeta" }.map(\.y)
        XCTAssertTrue(zeta[0] > zeta[1] && zeta[1] > zeta[2], "\(zeta)")
        let alpha = points.filter { $0.series == "alpha, quoted" }.map(\.y)
        XCTAssertTrue(alpha[1] > alpha[0] && alpha[2] > alpha[0], "\(alpha)")
        let frame = try XCTUnwrap(figure.all("rect", class: "plot-area").first)
        XCTAssertLessThanOrEqual(try XCTUnwrap(frame.number("data-y-min")), -4)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(frame.number("data-y-max")), 30)
        XCTAssertEqual(figure.all("text", class: "title").first?.text, "y vs x")
    }

    func testManySeriesKeepTheirLegendInsideTheFigure() throws {
        let rows = (0..<24).map { "\($0 % 3),\($0),s\($0)" }
        let csv = try write("x,y,run\n" + rows.joined(separator: "\n") + "\n", to: "many.csv")
        let (_, figure) = try plot(csv, ["--x", "x", "--y", "y", "--by", "run"])
        XCTAssertEqual(figure.seriesNames, (0..<24).map { "s\($0)" })
        let height = try XCTUnwrap(figure.elements.first { $0.name == "svg" }?.number("height"))
        let labels = figure.all("text", class: "legend-label")
        XCTAssertEqual(labels.map(\.text), figure.seriesNames)
        XCTAssertTrue(labels.allSatisfy { ($0.number("y") ?? .infinity) < height }, "legend inside the figure")
    }

    func testLogarithmicAxesSpaceDecadesEvenly() throws {
        let csv = try write("n,t_us\n1,3\n10,30\n100,300\n1000,3000\n10000,30000\n", to: "log.csv")
        let (_, figure) = try plot(csv, ["--x", "n", "--y", "t_us", "--log-x", "--log-y", "--title", "scaling"])
        let points = figure.pointCentres
        XCTAssertEqual(points.count, 5)
        let dx = zip(points.dropFirst(), points).map { $0.x - $1.x }
        let dy = zip(points.dropFirst(), points).map { $0.y - $1.y }
        for d in dx { XCTAssertEqual(d, dx[0], accuracy: 0.02, "decades evenly spaced on x: \(dx)") }
        for d in dy { XCTAssertEqual(d, dy[0], accuracy: 0.02, "decades evenly spaced on y: \(dy)") }
        XCTAssertGreaterThan(dx[0], 0)
        XCTAssertLessThan(dy[0], 0)
        let xTicks = figure.elements.filter { $0.cssClass == "tick-label" }.map(\.text)
        XCTAssertTrue(xTicks.contains("1000") && xTicks.contains("100"), "\(xTicks)")
        XCTAssertEqual(figure.all("text", class: "title").first?.text, "scaling")
    }

    func testFigureToStdoutAndHelp() throws {
        let csv = try write("a,b\n1,2\n2,4\n", to: "tiny.csv")
        let run = try moesim("plot", csv, "--x", "a", "--y", "b", "-o", "-")
        assertStatus(run, 0)
        XCTAssertEqual(try SVGDocument(data: run.stdoutData).seriesNames, ["b"])
        for arguments in [["help", "plot"], ["plot", "--help"]] {
            let help = try moesim(arguments)
            assertStatus(help, 0)
            XCTAssertTrue(help.stdout.contains("USAGE: moesim plot") && help.stdout.contains("EXAMPLES"), help.brief)
        }
        XCTAssertTrue(try moesim("--help").stdout.contains("plot FILE.csv"))
    }

    /// Runs a plot that must fail: `status`, one message mentioning `mentions`, and neither a new
    /// figure nor a changed old one.
    private func assertPlotFails(_ arguments: [String], _ status: Int32, mentions: [String],
                                 file: StaticString = #filePath, line: UInt = #line) throws {
        let fresh = path("fresh-\(UUID().uuidString.prefix(8)).svg")
        assertFailure(try moesim(["plot"] + arguments + ["-o", fresh]), status, mentions: mentions, file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: fresh), "no figure on failure", file: file, line: line)
        let old = try write("old figure", to: "old.svg")
        assertFailure(try moesim(["plot"] + arguments + ["-o", old]), status, mentions: mentions, file: file, line: line)
        XCTAssertEqual(try String(contentsOfFile: old, encoding: .utf8), "old figure", "old figure intact",
                       file: file, line: line)
    }

    func testBadDataAndMissingFiles() throws {
        let good = try write("strategy,k,step_time_us\nswitch,1,10\ntopk,2,abc\n", to: "nonnumeric.csv")
        try assertPlotFails([good, "--x", "k", "--y", "step_time_us"], 65,
                            mentions: [good, "line 3", "step_time_us", "\"abc\""])
        try assertPlotFails([good, "--x", "k", "--y", "step_us"], 65,
                            mentions: [good, "step_us", "strategy, k, step_time_us"])
        try assertPlotFails([good, "--x", "strategy", "--y", "k"], 65, mentions: [good, "line 2", "\"switch\"", "--kind bar"])
        try assertPlotFails([path("absent.csv"), "--x", "a", "--y", "b"], 66, mentions: [path("absent.csv")])
        let empty = try write("", to: "empty.csv")
        try assertPlotFails([empty, "--x", "a", "--y", "b"], 65, mentions: [empty, "empty"])
        let headerOnly = try write("a,b\n", to: "header.csv")
        try assertPlotFails([headerOnly, "--x", "a", "--y", "b"], 65, mentions: [headerOnly, "no rows"])
        let zero = try write("a,b\n1,5\n2,0\n", to: "zero.csv")
        try assertPlotFails([zero, "--x", "a", "--y", "b", "--log-y"], 65, mentions: [zero, "line 3", "--log-y"])
        try assertPlotFails([zero, "--x", "a", "--y", "b", "--where", "a=7"], 65, mentions: [zero, "a=7", "\"1\", \"2\""])
        let ragged = try write("a,b\n1,2\n3\n", to: "ragged.csv")
        try assertPlotFails([ragged, "--x", "a", "--y", "b"], 65, mentions: [ragged, "line 3", "1 field"])
        let unterminated = try write("a,b\n1,\"2\n", to: "quote.csv")
        try assertPlotFails([unterminated, "--x", "a", "--y", "b"], 65, mentions: [unterminated, "line 2", "closing quote"])
    }

    func testUsageErrors() throws {
        let csv = try write("a,b\n1,2\n", to: "ok.csv")
        try assertPlotFails([csv, "--y", "b"], 64, mentions: ["--x"])
        try assertPlotFails([csv, "--x", "a"], 64, mentions: ["--y"])
        try assertPlotFails([csv, "--x", "a", "--y", "b", "--kind", "pie"], 64, mentions: ["--kind", "line, bar", "pie"])
        try assertPlotFails([csv, "--x", "a", "--y", "b", "--colour", "red"], 64, mentions: ["--colour"])
        try assertPlotFails([csv, "--x", "a", "--y", "b", "--kind", "bar", "--log-x"], 64, mentions: ["--log-x"])
        try assertPlotFails([csv, "--x", "a", "--y", "b", "--where", "a"], 64, mentions: ["COL=VALUE"])
        try assertPlotFails([csv, csv, "--x", "a", "--y", "b"], 64, mentions: ["one CSV FILE"])
        assertFailure(try moesim("plot", csv, "--x", "a", "--y", "b"), 64, mentions: ["-o"])
        // A file where a directory should be: the figure cannot be written (73).
        try write("not a directory", to: "blocker")
        assertFailure(try moesim("plot", csv, "--x", "a", "--y", "b", "-o", path("blocker/fig.svg")), 73,
                      mentions: ["blocker"])
    }
}
