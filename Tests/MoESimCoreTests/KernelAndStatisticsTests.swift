import XCTest
@testable import MoESimCore

final class KernelAndStatisticsTests: XCTestCase {
    func testSplitMix64MatchesTheReferenceSequence() {
        // First outputs of SplitMix64 seeded with 0 (Vigna's reference implementation).
        var rng = SplitMix64(seed: 0)
        XCTAssertEqual(rng.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(rng.next(), 0x6E78_9E6A_A1B9_65F4)
        XCTAssertEqual(rng.next(), 0x06C4_5D18_8009_454F)
    }

    func testOpenUnitDoublesStayInsideTheInterval() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<100_000 {
            let u = rng.nextOpenUnitDouble()
            XCTAssertTrue(u > 0 && u < 1)
        }
    }

    func testDurationRoundsUpToTheNanosecond() {
        XCTAssertEqual(SimTime.duration(work: 1e6, ratePerSecond: 1e11), SimTime(nanoseconds: 10_000))
        XCTAssertEqual(SimTime.duration(work: 1, ratePerSecond: 3e9), SimTime(nanoseconds: 1))
        XCTAssertEqual(SimTime.duration(work: 10, ratePerSecond: 3e9), SimTime(nanoseconds: 4))
        XCTAssertEqual(SimTime.duration(work: 0, ratePerSecond: 1), .zero)
    }

    func testLoadStatisticsOnKnownVectors() {
        let balanced = LoadStatistics([5, 5, 5, 5])
        XCTAssertEqual(balanced.maxOverMean, 1)
        XCTAssertEqual(balanced.coefficientOfVariation, 0)
        XCTAssertEqual(balanced.gini, 0)
        // One expert takes everything: max/mean = n, Gini = 1 − 1/n, CV = √(n − 1).
        let hot = LoadStatistics([0, 0, 0, 8])
        XCTAssertEqual(hot.maxOverMean, 4)
        XCTAssertEqual(hot.gini, 0.75, accuracy: 1e-12)
        XCTAssertEqual(hot.coefficientOfVariation, 3.0.squareRoot(), accuracy: 1e-12)
        // [1, 2, 3, 4]: mean 2.5, Gini = Σ|xi − xj| / (2 n² mean) = 20 / 80 = 0.25.
        let ramp = LoadStatistics([4, 1, 3, 2])
        XCTAssertEqual(ramp.maxOverMean, 1.6, accuracy: 1e-12)
        XCTAssertEqual(ramp.gini, 0.25, accuracy: 1e-12)
        XCTAssertEqual(LoadStatistics([0, 0]).maxOverMean, 0)
    }

    /// A phase reads the counted copies at its own size: the combine direction reverses every pair,
    /// loopbacks stay with their GPU, and nothing is rounded.
    func testCopiesBecomeBytesInEitherDirection() {
        var copies = CopyMatrix(gpuCount: 3)
        for _ in 0..<5 { copies.add(from: 0, to: 2) }
        copies.add(from: 1, to: 0)
        copies.add(from: 1, to: 1)
        copies.addLoopback(gpu: 1, through: .nic)
        let dispatch = copies.traffic(bytesPerCopy: 7_169, direction: .dispatch)
        let combine = copies.traffic(bytesPerCopy: 14_336, direction: .combine)
        XCTAssertEqual(dispatch.bytes(from: 0, to: 2), 5 * 7_169)
        XCTAssertEqual(dispatch.bytes(from: 2, to: 0), 0)
        XCTAssertEqual(combine.bytes(from: 2, to: 0), 5 * 14_336)
        XCTAssertEqual(combine.bytes(from: 0, to: 1), 14_336)
        XCTAssertEqual(combine.loopbackBytes(of: 1, through: .nic), 14_336)
        XCTAssertEqual(combine.loopbackBytes(of: 1, through: .intraNode), 0)
        let total = TestSupport.bytes(of: combine, gpusPerNode: 3).totalBytes
        XCTAssertEqual(total, 8 * 14_336, "the diagonal and the loopback count in the total")
        XCTAssertEqual(TrafficMatrix(combine)[2, 0], 5 * 14_336)
        XCTAssertEqual(TestSupport.bytes(of: TrafficMatrix(combine), gpusPerNode: 3).totalBytes, total)
    }
}
