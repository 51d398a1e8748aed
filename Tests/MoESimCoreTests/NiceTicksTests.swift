import XCTest
@testable import MoESimCore

/// Nice ticks: 1-2-5 steps that cover the data; decade ticks on log axes.
final class NiceTicksTests: XCTestCase {
    func testKnownLinearRanges() {
        XCTAssertEqual(NiceTicks.linear(min: 0, max: 9.3).values, [0, 2, 4, 6, 8, 10])
        XCTAssertEqual(NiceTicks.linear(min: 2311.1, max: 8949.2).values, [2000, 4000, 6000, 8000, 10000])
        XCTAssertEqual(NiceTicks.linear(min: -4, max: 30).values, [-10, 0, 10, 20, 30])
        // 0.1 + 0.2 is a hair above 0.3: no extra tick for it.
        let tenths = NiceTicks.linear(min: 0.1 + 0.2, max: 0.7, targetCount: 5)
        XCTAssertEqual(tenths.values.count, 5)
        XCTAssertEqual(tenths.values.first!, 0.3, accuracy: 1e-12)
        XCTAssertEqual(tenths.values.last!, 0.7, accuracy: 1e-12)
        // One value: a range around it; all zeros: 0...1.
        let single = NiceTicks.linear(min: 5, max: 5)
        XCTAssertTrue(single.lower < 5 && single.upper > 5)
        XCTAssertEqual(NiceTicks.linear(min: 0, max: 0).lower, 0)
        XCTAssertGreaterThan(NiceTicks.linear(min: 0, max: 0).upper, 0)
    }

    func testRandomRangesGetCoveringEvenOneTwoFiveTicks() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            let scale = pow(10, Double(Int(rng.next() % 24)) - 12)
            let a = (rng.nextOpenUnitDouble() * 2 - 1) * scale, b = (rng.nextOpenUnitDouble() * 2 - 1) * scale
            let ticks = NiceTicks.linear(min: min(a, b), max: max(a, b))
            XCTAssertLessThanOrEqual(ticks.lower, min(a, b))
            XCTAssertGreaterThanOrEqual(ticks.upper, max(a, b))
            XCTAssertTrue((3...11).contains(ticks.values.count), "\(ticks.values) for \(a), \(b)")
            let step = try! XCTUnwrap(ticks.step)
            let mantissa = step / pow(10, floor(log10(step)))
            XCTAssertTrue([1, 2, 5].contains { abs($0 - mantissa) < 1e-9 }, "step \(step)")
            for (next, tick) in zip(ticks.values.dropFirst(), ticks.values) {
                XCTAssertEqual(next - tick, step, accuracy: step * 1e-9)
            }
        }
    }

    func testLogarithmicTicks() {
        let decades = NiceTicks.logarithmic(min: 3, max: 4700)
        XCTAssertEqual(decades.values, [1, 10, 100, 1000, 10000])
        XCTAssertNil(decades.step)
        XCTAssertEqual(decades.fraction(of: 100), 0.5, accuracy: 1e-12)
        // Within two decades also 2× and 5×, and the axis ends at the ticks just around the data.
        XCTAssertEqual(NiceTicks.logarithmic(min: 2, max: 8).values, [2, 5, 10])
        XCTAssertEqual(NiceTicks.logarithmic(min: 1, max: 16).values, [1, 2, 5, 10, 20])
        XCTAssertEqual(NiceTicks.logarithmic(min: 1.5, max: 16).values, [1, 2, 5, 10, 20])
        // A huge span is thinned to at most nine labels, still every one a power of ten covering the data.
        let wide = NiceTicks.logarithmic(min: 1e-3, max: 4e12)
        XCTAssertLessThanOrEqual(wide.values.count, 9)
        XCTAssertLessThanOrEqual(wide.lower, 1e-3)
        XCTAssertGreaterThanOrEqual(wide.upper, 4e12)
        for value in wide.values {
            XCTAssertEqual(log10(value), log10(value).rounded(), accuracy: 1e-9)
        }
    }

    func testTicksAtTheEndsOfTheDoubleRangeAreFinite() {
        let tiny = Double.leastNonzeroMagnitude  // 5e-324, subnormal
        for (low, high) in [(0, 1.7e308), (-Double.greatestFiniteMagnitude, .greatestFiniteMagnitude), (1.7e308, 1.7e308),
                            (0, tiny), (tiny, tiny), (-tiny * 4, tiny * 4)] {
            let ticks = NiceTicks.linear(min: low, max: high)
            XCTAssertTrue(ticks.values.allSatisfy(\.isFinite) && !ticks.values.isEmpty, "\(ticks)")
            // The axis covers the data, up to the 1e-9 of a step by which the ends snap to a tick.
            for value in [low, high] {
                let fraction = ticks.fraction(of: value)
                XCTAssertTrue(fraction >= -1e-9 && fraction <= 1 + 1e-9, "\(value) at \(fraction) on \(ticks)")
            }
        }
        let wide = NiceTicks.linear(min: -Double.greatestFiniteMagnitude, max: .greatestFiniteMagnitude)
        XCTAssertEqual(wide.values, [-1e308, 0, 1e308])
        XCTAssertEqual(wide.fraction(of: 0), 0.5)
        let log = NiceTicks.logarithmic(min: tiny, max: 1.7e308)
        XCTAssertTrue(log.values.allSatisfy { $0.isFinite && $0 > 0 } && log.lower <= tiny && log.upper >= 1.7e308, "\(log)")
        // Ordinary ranges are unchanged: 0...1.7 still ticks 0, 0.5, ..., 2 (never past its last tick).
        XCTAssertEqual(NiceTicks.linear(min: 0, max: 1.7).values.last, 2)
    }
}
