import XCTest
@testable import MoESimCore

/// How CSV rows become plot series: order, averaging, filters and errors.
final class PlotDataTests: XCTestCase {
    private let table = try! CSVTable(text: """
        strategy,k,step_time_us,dedup
        topk,2,40,gpu
        switch,1,10,gpu
        topk,2,60,none
        sam,2,30,gpu
        topk,4,80,gpu
        sam,4,,gpu

        """, source: "s.csv")

    func testSeriesFollowFirstAppearanceAndDuplicatesAverage() throws {
        let data = try PlotData(table: table, request: PlotRequest(xColumn: "k", yColumn: "step_time_us", byColumn: "strategy"))
        XCTAssertEqual(data.series.map(\.name), ["topk", "switch", "sam"])
        let topk = data.series[0].points
        XCTAssertEqual(topk.map(\.x), [2, 4])
        XCTAssertEqual(topk[0].y, 50, "40 and 60 averaged")
        XCTAssertEqual(topk[0].rowCount, 2)
        XCTAssertEqual(data.series[2].points.map(\.x), [2], "sam's empty step time is skipped")
        XCTAssertEqual(data.notes.count, 2)
        XCTAssertTrue(data.notes.contains { $0.contains("skipped 1 row") })
        XCTAssertTrue(data.notes.contains { $0.contains("averaged") && $0.contains("(strategy, k)") })
        XCTAssertEqual(data.yRange, 10...80)
    }

    func testBarCategoriesAndFilters() throws {
        let data = try PlotData(table: table, request: PlotRequest(xColumn: "strategy", yColumn: "step_time_us", byColumn: "k",
                                                                   kind: .bar, filters: [.init(column: "dedup", value: "gpu")]))
        XCTAssertEqual(data.categories, ["topk", "switch", "sam"])
        XCTAssertEqual(data.series.map(\.name), ["2", "1", "4"])
        XCTAssertEqual(data.series[0].points.map(\.y), [40, 30], "k = 2: topk (dedup none filtered out), sam")
        XCTAssertEqual(data.series[0].points.map(\.x), [0, 2])
        XCTAssertTrue(data.notes.allSatisfy { !$0.contains("averaged") })
    }

    func testErrorsNameLineColumnAndValue() {
        func failure(_ request: PlotRequest) -> PlotError? {
            do { _ = try PlotData(table: table, request: request); return nil } catch { return error as? PlotError }
        }
        XCTAssertEqual(failure(PlotRequest(xColumn: "strategy", yColumn: "step_time_us")),
                       .nonNumeric(source: "s.csv", line: 2, column: "strategy", value: "topk",
                                   hint: "a line plot needs a numeric --x; use --kind bar to plot over text categories"))
        guard case .table(.unknownColumn(_, "--by", "strategies", _))? =
                failure(PlotRequest(xColumn: "k", yColumn: "step_time_us", byColumn: "strategies")) else {
            return XCTFail("unknown --by column")
        }
        guard case .noData(_, let reason)? = failure(PlotRequest(xColumn: "k", yColumn: "step_time_us",
                                                                 filters: [.init(column: "dedup", value: "all")])) else {
            return XCTFail("filter matching nothing")
        }
        XCTAssertTrue(reason.contains("\"gpu\", \"none\""), reason)
        let zero = try! CSVTable(text: "x,y\n1,2\n0,3\n", source: "z.csv")
        XCTAssertThrowsError(try PlotData(table: zero, request: PlotRequest(xColumn: "x", yColumn: "y", logarithmicX: true))) {
            XCTAssertEqual($0 as? PlotError, .nonPositiveOnLogAxis(source: "z.csv", line: 3, column: "x", value: "0", flag: "--log-x"))
        }
        let infinite = try! CSVTable(text: "x,y\n1,inf\n", source: "i.csv")
        XCTAssertThrowsError(try PlotData(table: infinite, request: PlotRequest(xColumn: "x", yColumn: "y")))
    }
}
