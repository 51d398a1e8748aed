import XCTest
@testable import MoESimCore

/// Properties of the whole model that must hold for any tokens, checked over many seeds.
final class PropertyTests: XCTestCase {
    let strategies = #"[{"name":"switch"},{"name":"sam","k":2},{"name":"topk","k":2,"dedup":false},{"name":"topk","k":2},{"name":"sam","k":4},{"name":"topk","k":4,"dedup":false},{"name":"topk","k":4}]"#

    func testCommunicationVolumeOfSwitchSAMAndTopK() throws {
        for seed in 1...25 {
            let scenario = try TestSupport.scenario(nodes: 1 + seed % 3, experts: 32 * (1 + seed % 3), zipf: Double(seed % 4) * 0.4,
                                                    strategies: strategies, seed: seed)
            let r = try Simulator.run(scenario).results
            let (switched, sam2, topk2Raw, topk2, sam4, topk4Raw, topk4) = (r[0], r[1], r[2], r[3], r[4], r[5], r[6])
            // SAM crosses the network once per token, exactly like Switch.
            XCTAssertEqual(sam2.dispatchBytes, switched.dispatchBytes, "seed \(seed)")
            XCTAssertEqual(sam4.dispatchBytes, switched.dispatchBytes, "seed \(seed)")
            XCTAssertEqual(sam2.combineBytes, switched.combineBytes, "seed \(seed)")
            // Top-k without dedup sends exactly k copies; dedup never sends more.
            XCTAssertEqual(topk2Raw.dispatchBytes, 2 * switched.dispatchBytes, "seed \(seed)")
            XCTAssertEqual(topk4Raw.dispatchBytes, 4 * switched.dispatchBytes, "seed \(seed)")
            XCTAssertLessThanOrEqual(topk2.dispatchBytes, topk2Raw.dispatchBytes)
            XCTAssertLessThanOrEqual(topk4.dispatchBytes, topk4Raw.dispatchBytes)
            XCTAssertGreaterThanOrEqual(topk2.dispatchBytes, switched.dispatchBytes)
            // Bytes that cross a link never exceed the bytes moved.
            for row in r {
                XCTAssertLessThanOrEqual(row.intraNodeBytes + row.interNodeBytes, row.dispatchBytes + row.combineBytes)
            }
        }
    }

    func testSingleNodeSendsNothingBetweenNodes() throws {
        for row in try Simulator.run(try TestSupport.scenario(nodes: 1, experts: 32, strategies: strategies)).results {
            XCTAssertEqual(row.interNodeBytes, 0)
            XCTAssertGreaterThan(row.intraNodeBytes, 0)
        }
    }

    func testDoublingEveryBandwidthNeverSlowsAStep() throws {
        for seed in 1...20 {
            let preset = ["dgx-h100", "pcie-a100", "h800", "dgx-a100"][seed % 4]
            let mode = seed % 2 == 0 ? "training" : "inference"
            var scenario = try TestSupport.scenario(nodes: 1 + seed % 2, experts: 64, zipf: 1.0, strategies: strategies,
                                                    capacityFactor: seed % 3 == 0 ? "1.0" : "null", seed: seed,
                                                    mode: mode, preset: preset)
            let slow = try Simulator.run(scenario).results
            scenario.cluster = scenario.cluster.scalingBandwidths(by: 2)
            let fast = try Simulator.run(scenario).results
            for (s, f) in zip(slow, fast) {
                XCTAssertLessThanOrEqual(f.stepTimeMicros, s.stepTimeMicros, "seed \(seed) \(s.strategy.label)")
                XCTAssertLessThanOrEqual(f.dispatchMicros, s.dispatchMicros)
                XCTAssertEqual(f.dispatchBytes, s.dispatchBytes, "bandwidth must not change routing")
            }
        }
    }

    func testMoreTokensNeverMakeAStepFaster() throws {
        let small = try Simulator.run(try TestSupport.scenario(tokensPerGPU: 64, zipf: 0)).results
        let large = try Simulator.run(try TestSupport.scenario(tokensPerGPU: 512, zipf: 0)).results
        for (s, l) in zip(small, large) { XCTAssertLessThan(s.stepTimeMicros, l.stepTimeMicros) }
    }

    func testStepTimeIsTheSumOfItsPhases() throws {
        let scenario = try TestSupport.scenario(nodes: 2, experts: 32, layers: 3, steps: 2)
        for row in try Simulator.run(scenario).results {
            XCTAssertEqual(row.stepTimeMicros, row.gateMicros + row.dispatchMicros + row.expertMicros + row.combineMicros,
                           accuracy: 1e-9)
        }
    }

    func testSameSeedGivesByteIdenticalCSVAndSeedsMatter() throws {
        let scenario = try TestSupport.scenario(nodes: 2, experts: 32, zipf: 1.0, capacityFactor: "1.25", layers: 2, steps: 2)
        let first = CSVWriter.summary([try Simulator.run(scenario)])
        let second = CSVWriter.summary([try Simulator.run(scenario)])
        XCTAssertEqual(first, second)
        var reseeded = scenario
        reseeded.simulation.seed = 2
        XCTAssertNotEqual(CSVWriter.summary([try Simulator.run(reseeded)]), first)
        XCTAssertTrue(first.split(separator: "\n")[1].hasSuffix(",1"), "the seed is echoed in the last column")
    }

    func testSyntheticScoresFollowTheZipfPopularity() {
        // Gumbel-max: the top-1 expert is drawn from p, so observed shares converge to p.
        let experts = 8, tokens = 200_000
        let generator = SyntheticScoreGenerator(spec: SyntheticScoresSpec(zipfExponent: 1.0), experts: experts,
                                                layers: 1, seed: 42)
        var scores: [Float] = []
        generator.fill(step: 0, layer: 0, tokenCount: tokens, into: &scores)
        let placement = ExpertPlacement.contiguous(experts: experts, gpuCount: 1)
        let buffer = TestSupport.route(SwitchRouting(), scores: scores, tokens: tokens, placement: placement)
        var counts = [Int](repeating: 0, count: experts)
        for e in buffer.experts { counts[Int(e)] += 1 }
        for e in 0..<experts {
            let expected = Double(expf(generator.logPopularity[0][e]))
            XCTAssertEqual(Double(counts[e]) / Double(tokens), expected, accuracy: 0.005, "expert \(e)")
        }
        // Uniform when s = 0.
        let uniform = SyntheticScoreGenerator(spec: SyntheticScoresSpec(zipfExponent: 0), experts: experts, layers: 1, seed: 1)
        for logP in uniform.logPopularity[0] { XCTAssertEqual(logP, logf(1.0 / 8), accuracy: 1e-6) }
    }
}
