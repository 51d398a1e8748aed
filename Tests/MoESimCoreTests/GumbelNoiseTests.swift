import Foundation
import XCTest
@testable import MoESimCore

/// The synthetic generator's single-precision Gumbel noise: its logarithm against the C library's,
/// its draws, and the law of what it makes, checked by χ² tests against what the Gumbel-max
/// property predicts and against a reference generator in double precision with libm's `log`.
final class GumbelNoiseTests: XCTestCase {
    func testLogarithmMatchesTheCLibraryOnEveryArgumentTheGeneratorTakes() {
        // The inner logarithm takes U's grid, (j + ½)·2⁻²³; the outer one −ln U, in (6e-8, 16.7].
        let halfRoot2: Float = 0.707_106_77, root2: Float = 1.414_213_5
        var values: [Float] = [1, 2, 0.5, 0x1p-24, 1 - 0x1p-24, halfRoot2, halfRoot2.nextUp, halfRoot2.nextDown,
                               root2, root2.nextUp, root2.nextDown, 16.6, .leastNormalMagnitude, 1e38]
        var rng = SplitMix64(seed: 42)
        for _ in 0..<100_000 {
            let u = (Float(rng.next() >> 41) + 0.5) * 0x1p-23
            values.append(u)
            values.append(-Float(Foundation.log(Double(u))))
            values.append(Float(exp(Double(rng.next() >> 11) * 0x1p-53 * 170 - 85)))  // far beyond
        }
        var worst = 0.0
        for chunk in stride(from: 0, to: values.count, by: 16) {
            var lanes = GumbelNoise.Lanes(repeating: 1)
            for i in 0..<min(16, values.count - chunk) { lanes[i] = values[chunk + i] }
            let ours = GumbelNoise.naturalLog(lanes)
            for i in 0..<min(16, values.count - chunk) {
                let exact = Foundation.log(Double(values[chunk + i]))
                // Relative error, or absolute near ln 1 = 0, where a float's ulp is the scale.
                let error = abs(Double(ours[i]) - exact) / max(abs(exact), 0x1p-24)
                worst = max(worst, error)
            }
        }
        XCTAssertLessThan(worst, 3e-7, "worst relative error \(worst)")
    }

    func testNoiseIsTheGumbelOfTwoUniformsPerDrawForAnyRowLength() {
        for experts in [1, 7, 8, 13, 16, 17, 64, 255, 256, 513, 1100] {
            let base = (0..<experts).map { Float($0) * -0.25 }
            var out = [Float](repeating: .nan, count: experts)
            var ours = SplitMix64(seed: UInt64(experts))
            base.withUnsafeBufferPointer { b in
                GumbelNoise.add(to: b.baseAddress!, count: experts, into: &out, rng: &ours)
            }
            var reference = SplitMix64(seed: UInt64(experts))
            var draw: UInt64 = 0
            for e in 0..<experts {
                if e % 2 == 0 { draw = reference.next() }
                let bits = e % 2 == 0 ? draw & 0xffff_ffff : draw >> 32
                let u = (Double(bits >> 9) + 0.5) * 0x1p-23
                let expected = Double(base[e]) - Foundation.log(-Foundation.log(u))
                XCTAssertEqual(Double(out[e]), expected, accuracy: abs(expected) * 1e-6 + 2e-6, "experts \(experts), lane \(e)")
            }
            XCTAssertEqual(ours.next(), reference.next(), "⌈count / 2⌉ draws for \(experts) values")
        }
    }

    /// The top-1 expert of z = ln p + G is drawn from p (Gumbel-max): χ² of the counts over 2·10⁵ tokens.
    func testTopExpertIsDrawnFromThePopularity() {
        let experts = 16, tokens = 200_000
        let generator = SyntheticScoreGenerator(spec: SyntheticScoresSpec(zipfExponent: 1.2), experts: experts,
                                                layers: 1, seed: 3)
        let p = generator.logPopularity[0].map { exp(Double($0)) }
        var counts = [Int](repeating: 0, count: experts)
        forEachRow(generator, experts: experts, tokens: tokens) { row in
            counts[(0..<experts).max { row[$0] < row[$1] }!] += 1
        }
        let (chiSquare, cells) = Self.chiSquare(counts, expected: p.map { $0 * Double(tokens) })
        XCTAssertLessThan(chiSquare, Self.criticalChiSquare(degreesOfFreedom: cells - 1), "top-1 counts \(counts)")
    }

    /// The ordered top 2 are a draw without replacement weighted by p (Plackett–Luce):
    /// P(i then j) = p_i · p_j / (1 − p_i), over all 56 ordered pairs of 8 experts.
    func testOrderedTopTwoAreADrawWithoutReplacement() {
        let experts = 8, tokens = 200_000
        let generator = SyntheticScoreGenerator(spec: SyntheticScoresSpec(zipfExponent: 1), experts: experts,
                                                layers: 1, seed: 5)
        let p = generator.logPopularity[0].map { exp(Double($0)) }
        var counts = [Int](repeating: 0, count: experts * experts)
        forEachRow(generator, experts: experts, tokens: tokens) { row in
            let order = (0..<experts).sorted { row[$0] > row[$1] }
            counts[order[0] * experts + order[1]] += 1
        }
        var expected = [Double](repeating: 0, count: experts * experts)
        for i in 0..<experts { for j in 0..<experts where j != i { expected[i * experts + j] = p[i] * p[j] / (1 - p[i]) * Double(tokens) } }
        let (chiSquare, cells) = Self.chiSquare(counts, expected: expected)
        XCTAssertEqual(cells, 56)
        XCTAssertLessThan(chiSquare, Self.criticalChiSquare(degreesOfFreedom: cells - 1))
    }

    /// SAM's device choices (no closed form) have the same law under this generator as under a reference
    /// that draws each Gumbel in double precision with libm: a two-sample χ² over 16 devices.
    func testSAMDeviceChoicesMatchADoublePrecisionReference() {
        let experts = 64, gpus = 16, tokens = 40_000
        let generator = SyntheticScoreGenerator(spec: SyntheticScoresSpec(zipfExponent: 0.8), experts: experts,
                                                layers: 1, seed: 11)
        let placement = ExpertPlacement.contiguous(experts: experts, gpuCount: gpus)
        var ours: [Float] = []
        generator.fill(step: 0, layer: 0, tokenCount: tokens, into: &ours)
        var referenceRNG = SplitMix64(seed: 99)
        let base = generator.logPopularity[0]
        let reference = (0..<tokens * experts).map { index in
            base[index % experts] + Float(-Foundation.log(-Foundation.log(referenceRNG.nextOpenUnitDouble())))
        }
        func deviceCounts(_ scores: [Float]) -> [Int] {
            var buffer = RoutingBuffer()
            scores.withUnsafeBufferPointer {
                SAMRouting(k: 2).route(scores: $0, tokenCount: tokens, placement: placement, into: &buffer)
            }
            var counts = [Int](repeating: 0, count: gpus)
            for token in 0..<tokens { counts[Int(buffer.gpus[token * 2])] += 1 }
            return counts
        }
        let a = deviceCounts(ours), b = deviceCounts(reference)
        // Two samples of equal size: χ² = Σ (a − b)² / (a + b), with (cells − 1) degrees of freedom.
        var chiSquare = 0.0
        for (x, y) in zip(a, b) where x + y > 0 { chiSquare += Double((x - y) * (x - y)) / Double(x + y) }
        XCTAssertLessThan(chiSquare, Self.criticalChiSquare(degreesOfFreedom: gpus - 1), "ours \(a), reference \(b)")
        // And the test has power: a generator without noise's spread (half-scale Gumbel) is told apart.
        let halfScale = zip(ours, (0..<tokens * experts).map { base[$0 % experts] }).map { z, lnP in lnP + (z - lnP) / 2 }
        let c = deviceCounts(halfScale)
        var wrong = 0.0
        for (x, y) in zip(c, b) where x + y > 0 { wrong += Double((x - y) * (x - y)) / Double(x + y) }
        XCTAssertGreaterThan(wrong, 10 * Self.criticalChiSquare(degreesOfFreedom: gpus - 1))
    }

    private func forEachRow(_ generator: SyntheticScoreGenerator, experts: Int, tokens: Int,
                            _ body: ([Float]) -> Void) {
        var scores: [Float] = []
        let batch = 10_000
        for step in 0..<tokens / batch {
            generator.fill(step: step, layer: 0, tokenCount: batch, into: &scores)
            for token in 0..<batch { body(Array(scores[token * experts..<(token + 1) * experts])) }
        }
    }

    /// Pearson's χ² over the cells with a positive expectation, and how many there are.
    static func chiSquare(_ counts: [Int], expected: [Double]) -> (value: Double, cells: Int) {
        var value = 0.0, cells = 0
        for (count, e) in zip(counts, expected) where e > 0 {
            value += (Double(count) - e) * (Double(count) - e) / e
            cells += 1
        }
        return (value, cells)
    }

    /// The χ² value exceeded with probability 0.001 (Wilson–Hilferty: within 1% for 5 or more degrees of
    /// freedom). Seeds are fixed, so each test is deterministic; a correct generator passes with margin.
    static func criticalChiSquare(degreesOfFreedom k: Int) -> Double {
        let d = Double(k), z = 3.090
        let term = 1 - 2 / (9 * d) + z * (2 / (9 * d)).squareRoot()
        return d * term * term * term
    }
}
