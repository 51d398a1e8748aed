import XCTest
@testable import MoESimCore

/// Axis labels from column names (units) and tick label formatting.
final class PlotAxisTests: XCTestCase {
    func testLabelsFromColumnNames() {
        XCTAssertEqual(ColumnLabel(column: "step_time_us").text, "step time (µs)")
        XCTAssertEqual(ColumnLabel(column: "inter_node_MB").text, "inter node (MB)")
        XCTAssertEqual(ColumnLabel(column: "busy_pct").text, "busy (%)")
        XCTAssertEqual(ColumnLabel(column: "gpu_load_max_over_mean").text, "GPU load max/mean")
        XCTAssertEqual(ColumnLabel(column: "cluster.nodes").text, "cluster.nodes")
        XCTAssertEqual(ColumnLabel(column: "routing.strategies[0].k").text, "routing.strategies[0].k")
        let bytes = ColumnLabel(column: "dispatch_bytes")
        XCTAssertEqual(bytes.text, "dispatch (bytes)")
        XCTAssertTrue(bytes.prefersSIPrefixes)
        XCTAssertFalse(ColumnLabel(column: "step_time_us").prefersSIPrefixes)
        XCTAssertEqual(ColumnLabel(text: "Dispatch volume", column: "dispatch_bytes").text, "Dispatch volume")
        XCTAssertTrue(ColumnLabel(text: "Dispatch volume", column: "dispatch_bytes").prefersSIPrefixes)
    }

    func testTickLabelsAreDistinctAndScaled() {
        let bytes = PlotAxis(label: ColumnLabel(column: "dispatch_bytes"), min: 0, max: 1.3e9, logarithmic: false, includeZero: true)
        XCTAssertEqual(bytes.ticks.values.map(bytes.tickLabel), ["0", "0.5 G", "1.0 G", "1.5 G"])
        XCTAssertEqual(bytes.valueLabel(1_073_741_824), "1.07 G")
        let micros = PlotAxis(label: ColumnLabel(column: "step_time_us"), min: 0.3, max: 0.7, logarithmic: false, includeZero: false)
        XCTAssertEqual(micros.ticks.values.map(micros.tickLabel), ["0.3", "0.4", "0.5", "0.6", "0.7"])
        XCTAssertEqual(micros.valueLabel(2311.108), "2311")
        XCTAssertEqual(micros.valueLabel(3.91107), "3.91")
        let logBytes = PlotAxis(label: ColumnLabel(column: "x_bytes"), min: 200, max: 3e6, logarithmic: true, includeZero: false)
        XCTAssertEqual(logBytes.ticks.values.map(logBytes.tickLabel), ["100", "1 k", "10 k", "100 k", "1 M", "10 M"])
        // Any range: tick labels never repeat.
        var rng = SplitMix64(seed: 3)
        for _ in 0..<500 {
            let low = rng.nextOpenUnitDouble() * pow(10, Double(rng.next() % 12))
            let axis = PlotAxis(label: ColumnLabel(column: rng.next() % 2 == 0 ? "a_bytes" : "a_us"),
                                min: low, max: low * (1 + rng.nextOpenUnitDouble() * 20), logarithmic: rng.next() % 2 == 0,
                                includeZero: false)
            let labels = axis.ticks.values.map(axis.tickLabel)
            XCTAssertEqual(Set(labels).count, labels.count, "\(labels)")
        }
    }
}
