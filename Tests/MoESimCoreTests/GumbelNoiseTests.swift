import Foundation
import XCTest
@testable import MoESimCore

/// The synthetic generator's own logarithm and Gumbel noise against the C library's.
final class GumbelNoiseTests: XCTestCase {
    func testLogarithmMatchesTheCLibraryToOnePartInATrillion() {
        var rng = SplitMix64(seed: 42)
        var values: [Double] = [1, 2, 0.5, .ulpOfOne + 1, 1 - .ulpOfOne / 2, 0x1p-53, 0x1p-1022, 37.5, 1e300,
                                1.414_213_562_373_095_1, 1.414_213_562_373_095_2, 0.707_106_781_186_547_5]
        for _ in 0..<100_000 {
            values.append(rng.nextOpenUnitDouble())                          // the generator's inner argument
            values.append(-Foundation.log(rng.nextOpenUnitDouble()))         // and its outer one, in (0, 37]
            values.append(exp(rng.nextOpenUnitDouble() * 1_400 - 700))       // and far beyond
        }
        var worst = 0.0
        for chunk in stride(from: 0, to: values.count, by: 8) {
            var lanes = GumbelNoise.Lanes(repeating: 1)
            for i in 0..<min(8, values.count - chunk) { lanes[i] = values[chunk + i] }
            let ours = GumbelNoise.naturalLog(lanes)
            for i in 0..<min(8, values.count - chunk) {
                let exact = Foundation.log(values[chunk + i])
                let error = exact == 0 ? abs(ours[i]) : abs(ours[i] - exact) / abs(exact)
                worst = max(worst, error)
            }
        }
        XCTAssertLessThan(worst, 2e-12, "worst relative error \(worst)")
    }

    /// The logarithm as first written, one double at a time: m = x's significand in [1, 2), halved
    /// (and e raised) when above √2, then the same series. The vector code must give the same bits.
    static func referenceLog(_ x: Double) -> Double {
        var e = Double(x.exponent), m = x.significand
        if m > 1.414_213_562_373_095_1 { m *= 0.5; e += 1 }
        let f = m - 1, s = f / (2 + f), s2 = s * s
        var series = s2 * (1.0 / 13)
        for c in [1.0 / 11, 1.0 / 9, 1.0 / 7, 1.0 / 5, 1.0 / 3] { series = s2 * (series + c) }
        series += 1
        let low = e * 1.908_214_929_270_587_7e-10 + 2 * s * series
        return e * 0.693_147_180_369_123_8 + low
    }

    func testLogarithmGivesTheBitsOfTheComparisonBasedReduction() {
        let root2 = 1.414_213_562_373_095_1
        var values: [Double] = [1, 2, 0.5, root2, root2.nextUp, root2.nextDown, root2 / 2, (root2 / 2).nextUp,
                                (root2 / 2).nextDown, 1 - .ulpOfOne / 2, 0x1p-54, 37.4, 0x1p-1022, 1e300]
        var rng = SplitMix64(seed: 7)
        for _ in 0..<200_000 {
            values.append(rng.nextOpenUnitDouble())
            values.append(-Foundation.log(rng.nextOpenUnitDouble()))
            values.append(root2 * (1 + (rng.nextOpenUnitDouble() - 0.5) * 1e-14) * Double(1 << (rng.next() % 8)))
        }
        for chunk in stride(from: 0, to: values.count, by: 8) {
            var lanes = GumbelNoise.Lanes(repeating: 1)
            for i in 0..<min(8, values.count - chunk) { lanes[i] = values[chunk + i] }
            let ours = GumbelNoise.naturalLog(lanes)
            for i in 0..<min(8, values.count - chunk) {
                XCTAssertEqual(ours[i].bitPattern, GumbelNoiseTests.referenceLog(values[chunk + i]).bitPattern,
                               "log(\(values[chunk + i]))")
            }
        }
    }

    func testNoiseIsTheGumbelOfTheSameDrawsForAnyRowLength() {
        for experts in [1, 7, 8, 13, 64] {
            let base = (0..<experts).map { Float($0) * -0.25 }
            var out = [Float](repeating: .nan, count: experts)
            var ours = SplitMix64(seed: UInt64(experts))
            base.withUnsafeBufferPointer { b in
                GumbelNoise.add(to: b.baseAddress!, count: experts, into: &out, rng: &ours)
            }
            var reference = SplitMix64(seed: UInt64(experts))
            for e in 0..<experts {
                let expected = base[e] + Float(-Foundation.log(-Foundation.log(reference.nextOpenUnitDouble())))
                XCTAssertEqual(out[e], expected, accuracy: abs(expected) * 4e-7 + 1e-6, "experts \(experts), lane \(e)")
            }
            XCTAssertEqual(ours.next(), reference.next(), "one draw per value, as nextOpenUnitDouble")
        }
    }
}
