import XCTest
@testable import MoESimCore

/// `trace stats` numbers on a trace small enough to count by hand.
final class TraceStatisticsTests: XCTestCase {
    /// Loads [0, 0, 2, 6] over 4 experts: Gini = Σ (2i − n − 1)·x_(i) / (n·Σx) over the sorted loads
    /// = ((6 − 5)·2 + (8 − 5)·6) / (4 · 8) = 20 / 32 = 0.625; max/mean = 6 / 2 = 3.
    func testGiniAndMaxOverMeanOfAHandCountedLayer() throws {
        let header = TraceHeader(payload: .choices, experts: 4, layers: 1, tokensPerStep: 8, steps: 1, gpus: 1, k: 1)
        var batch = TraceBatch()
        batch.shape(for: header)
        batch.experts = [2, 2, 3, 3, 3, 3, 3, 3]
        let statistics = try TraceStatistics(source: TraceSource(header: header, batches: [batch]), topK: 1)
        let layer = try XCTUnwrap(statistics.layers.first)
        XCTAssertEqual(layer.loads, [0, 0, 2, 6])
        XCTAssertEqual(layer.gini, 0.625)
        XCTAssertEqual(layer.maxOverMean, 3)
        XCTAssertEqual([layer.minLoad, layer.maxLoad, layer.total], [0, 6, 8])
        XCTAssertEqual(layer.imbalance, LoadStatistics([0, 0, 2, 6]), "the statistic simulate reports")
    }
}
