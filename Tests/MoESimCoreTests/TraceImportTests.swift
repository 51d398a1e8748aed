import Foundation
import XCTest
@testable import MoESimCore

/// NumPy import (fixtures made by Tests/Fixtures/traces/make_fixtures.py), generators, and
/// scenarios that replay trace files.
final class TraceImportTests: TemporaryDirectoryTestCase {

    private func imported(_ fixture: String, gpus: Int = 2, experts: Int? = nil, weights: String? = nil) throws
        -> (TraceHeader, [TraceBatch]) {
        let output = directory.appendingPathComponent(fixture + ".moetrace").path
        var options = TraceImporter.Options()
        options.gpus = gpus
        options.experts = experts
        options.weightsFile = weights.map(TraceFixtures.path)
        try TraceImporter.importFile(from: TraceFixtures.path(fixture), to: output, options: options)
        let source = try TraceSource(file: output)
        var batches: [TraceBatch] = []
        var batch = TraceBatch()
        while try source.nextBatch(into: &batch) { batches.append(batch) }
        return (source.header, batches)
    }

    func testScoreArraysOfEveryRankDtypeAndVersionImportToTheirValues() throws {
        let cases: [(String, steps: Int, layers: Int, tokens: Int, experts: Int, TraceHeader.ScoreType)] = [
            ("scores_f32_tokens_experts.npy", 1, 1, 6, 4, .f32),
            ("scores_f16_layers_tokens_experts.npy", 1, 2, 4, 8, .f16),
            ("scores_f64_steps_layers_tokens_experts_v2.npy", 2, 1, 4, 4, .f32),
            ("scores_f32_v3.npy", 1, 1, 4, 4, .f32),
            ("scores.npz", 1, 1, 4, 8, .f32),
        ]
        for (fixture, steps, layers, tokens, experts, type) in cases {
            let (header, batches) = try imported(fixture)
            XCTAssertEqual([header.steps, header.layers, header.tokensPerStep, header.experts, header.gpus],
                           [steps, layers, tokens, experts, 2], fixture)
            XCTAssertEqual(header.scoreType, type, fixture)
            XCTAssertEqual(header.payload, .scores, fixture)
            let flat = batches.flatMap(\.scores)
            XCTAssertEqual(flat, (0..<flat.count).map(TraceFixtures.score), fixture)
            XCTAssertEqual(flat.count, steps * layers * tokens * experts, fixture)
        }
    }

    func testChoiceArraysImportWithWeightsFromAFileOrTheArchive() throws {
        let (header, batches) = try imported("experts_i64_tokens_k.npy", weights: "weights_f32_tokens_k.npy")
        XCTAssertEqual([header.experts, header.k, header.tokensPerStep], [8, 2, 4], "experts = largest id + 1")
        XCTAssertEqual(batches[0].experts, (0..<4).flatMap { t in (0..<2).map { Int32((3 * t + $0) % 8) } })
        XCTAssertEqual(batches[0].weights, (0..<4).flatMap { _ in [Float(1) / 2, Float(1) / 3] })

        let (archiveHeader, archive) = try imported("choices_layers_tokens_k.npz", experts: 12)
        XCTAssertEqual([archiveHeader.experts, archiveHeader.layers, archiveHeader.k], [12, 2, 2])
        XCTAssertEqual(archive.flatMap(\.experts), (0..<8).flatMap { t in (0..<2).map { Int32((3 * t + $0) % 8) } })
        XCTAssertEqual(archive[1].weights, [0.5, Float(1) / 3, 0.5, Float(1) / 3, 0.5, Float(1) / 3, 0.5, Float(1) / 3])

        let (_, unweighted) = try imported("experts_i64_tokens_k.npy")
        XCTAssertEqual(unweighted[0].weights, [Float](repeating: 0.5, count: 8), "default weights 1/k")
    }

    func testBadArraysAreRejectedAndNothingIsWritten() throws {
        let cases: [(String, Int?, String)] = [
            ("malformed_header.npy", nil, "'descr', 'fortran_order' and 'shape'"),
            ("big_endian.npy", nil, "(got '>f4')"),
            ("fortran_order.npy", nil, "C order"),
            ("nan_score.npy", nil, "score at flat index 9 is nan"),
            ("experts_i64_tokens_k.npy", 7, "expert id 7 is out of range"),
            ("scores_f32_tokens_experts.npy", 5, "as --experts says"),
            ("make_fixtures.py", nil, "\\x93NUMPY"),
        ]
        for (fixture, experts, message) in cases {
            XCTAssertThrowsError(try imported(fixture, experts: experts), fixture) { error in
                XCTAssertTrue("\(error)".contains(message), "\(fixture): \(error)")
                XCTAssertTrue("\(error)".hasPrefix(TraceFixtures.path(fixture)), "names the file: \(error)")
            }
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [], "nothing written for \(fixture)")
        }
        XCTAssertThrowsError(try imported("scores_f32_tokens_experts.npy", gpus: 4)) {
            XCTAssertTrue("\($0)".contains("a multiple of the 4 source GPUs"), "\($0)")
        }
    }

    func testSameSeedSameTraceAndZipfOfTheSameShapeAsBefore() throws {
        let spec = SyntheticScoresSpec(zipfExponent: 1.1, hotExperts: .init(expertFraction: 0.1, loadFraction: 0.4),
                                       driftExpertsPerStep: 0.5, layerCorrelation: 0.5)
        var a: [Float] = [], b: [Float] = [], c: [Float] = []
        SyntheticScoreGenerator(spec: spec, experts: 32, layers: 3, seed: 9).fill(step: 4, layer: 2, tokenCount: 16, into: &a)
        SyntheticScoreGenerator(spec: spec, experts: 32, layers: 3, seed: 9).fill(step: 4, layer: 2, tokenCount: 16, into: &b)
        SyntheticScoreGenerator(spec: spec, experts: 32, layers: 3, seed: 10).fill(step: 4, layer: 2, tokenCount: 16, into: &c)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
    }

    /// Top-1 counts of the generator's tokens per expert (Gumbel-max: a draw from the popularity).
    private func top1Counts(_ spec: SyntheticScoresSpec, experts: Int, tokens: Int, step: Int = 0, layer: Int = 0,
                            layers: Int = 1) -> [Int] {
        var scores: [Float] = []
        SyntheticScoreGenerator(spec: spec, experts: experts, layers: layers, seed: 5)
            .fill(step: step, layer: layer, tokenCount: tokens, into: &scores)
        var counts = [Int](repeating: 0, count: experts)
        for t in 0..<tokens {
            let row = scores[(t * experts)..<((t + 1) * experts)]
            counts[row.firstIndex(of: row.max()!)! - t * experts] += 1
        }
        return counts
    }

    /// Zipf with s = 0 is uniform: Pearson's chi-square of 16,000 top-1 draws over 16 experts stays
    /// below 37.70, the 0.1% upper quantile of chi-square with 15 degrees of freedom; Zipf(1.2) does not.
    func testZipfZeroIsUniformByChiSquare() {
        func chiSquare(_ counts: [Int]) -> Double {
            let expected = Double(counts.reduce(0, +)) / Double(counts.count)
            return counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        }
        XCTAssertLessThan(chiSquare(top1Counts(SyntheticScoresSpec(zipfExponent: 0), experts: 16, tokens: 16_000)), 37.70)
        XCTAssertGreaterThan(chiSquare(top1Counts(SyntheticScoresSpec(zipfExponent: 1.2), experts: 16, tokens: 16_000)), 1_000)
    }

    func testHotExpertsDriftAndLayerCorrelationShapeThePopularity() {
        // 4 hot experts of 40 take 60% of the load: their share of 20,000 draws is 0.6 ± 0.02 (> 5 sigma).
        let hot = SyntheticScoresSpec(zipfExponent: 0, hotExperts: .init(expertFraction: 0.1, loadFraction: 0.6))
        let generator = SyntheticScoreGenerator(spec: hot, experts: 40, layers: 1, seed: 5)
        let hotExperts = generator.logPopularity[0].enumerated().sorted { $0.1 > $1.1 }.prefix(4).map(\.0)
        let counts = top1Counts(hot, experts: 40, tokens: 20_000)
        XCTAssertEqual(Double(hotExperts.reduce(0) { $0 + counts[$1] }) / 20_000, 0.6, accuracy: 0.02)

        // Drift 1: at step 3 every expert has the popularity that rank + 3 had at step 0.
        let drift = SyntheticScoreGenerator(spec: SyntheticScoresSpec(zipfExponent: 1, driftExpertsPerStep: 1),
                                            experts: 8, layers: 1, seed: 5)
        let start = drift.logPopularity(step: 0, layer: 0), later = drift.logPopularity(step: 3, layer: 0)
        XCTAssertNotEqual(start, later)
        XCTAssertEqual(start.sorted(), later.sorted(), "the same popularities, moved to other experts")
        XCTAssertEqual(drift.logPopularity(step: 8, layer: 0), start, "a full turn after E steps")

        // Layer correlation 1: every layer has layer 0's popularity; 0: independent layers.
        let same = SyntheticScoreGenerator(spec: SyntheticScoresSpec(zipfExponent: 1, layerCorrelation: 1), experts: 16,
                                           layers: 3, seed: 5)
        XCTAssertEqual(same.logPopularity[2], same.logPopularity[0])
        let independent = SyntheticScoreGenerator(spec: SyntheticScoresSpec(zipfExponent: 1), experts: 16, layers: 3, seed: 5)
        XCTAssertNotEqual(independent.logPopularity[2], independent.logPopularity[0])
    }

    private func scenario(_ trace: String, experts: Int = 16, extra: String = "", nodes: Int = 1,
                          strategies: String = #"[{"name":"switch"}]"#) throws -> Scenario {
        let text = """
        {"version": 1, "cluster": {"preset": "dgx-h100", "nodes": \(nodes)}, "model": {"experts": \(experts)\(extra)},
         "routing": {"strategies": \(strategies)}, "trace": {"file": "\(trace)"}}
        """
        return try Scenario.decode(JSONParser.parse(text), baseDirectory: directory.path)
    }

    func testScenarioTakesTheTraceShapeAndRejectsDisagreements() throws {
        let header = TraceHeader(payload: .scores, hasDeviceLogits: true, experts: 16, layers: 2, tokensPerStep: 64, steps: 3,
                                 gpus: 8)
        try TraceSource(header: header, synthetic: SyntheticScoresSpec(zipfExponent: 1), seed: 2)
            .write(to: directory.appendingPathComponent("t.moetrace").path)
        let s = try scenario("t.moetrace", extra: #", "moeLayers": 2"#)
        XCTAssertEqual([s.tokensPerGPU, s.simulation.steps], [8, 3], "defaults come from the trace")
        XCTAssertEqual(s.traceFile?.path, directory.appendingPathComponent("t.moetrace").path, "relative to the scenario")

        func assertInvalid(_ build: @autoclosure () throws -> Scenario, _ keyPath: String, _ mentions: [String],
                           line: UInt = #line) {
            XCTAssertThrowsError(try build(), line: line) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(keyPath), text, line: line)
                for mention in mentions { XCTAssertTrue(text.contains(mention), "\(text) lacks \(mention)", line: line) }
            }
        }
        assertInvalid(try scenario("t.moetrace", experts: 32, extra: #", "moeLayers": 2"#), "trace.file",
                      ["16 experts", "model.experts = 32"])
        assertInvalid(try scenario("t.moetrace"), "trace.file", ["2 MoE layers", "model.moeLayers = 1"])
        assertInvalid(try scenario("t.moetrace", extra: #", "moeLayers": 2"#, nodes: 2), "trace.file",
                      ["8 source GPUs", "= 16"])
        assertInvalid(try scenario("t.moetrace", extra: #", "moeLayers": 2}, "parallelism": {"tokensPerGPU": 16"#),
                      "parallelism.tokensPerGPU", ["8", "got 16"])
        assertInvalid(try scenario("t.moetrace", extra: #", "moeLayers": 2}, "simulation": {"steps": 4"#),
                      "simulation.steps", ["3 steps", "got 4"])
        assertInvalid(try scenario("none.moetrace"), "trace.file", ["none.moetrace: no such file"])
        XCTAssertThrowsError(try scenario("none.moetrace")) { XCTAssertEqual(($0 as? ScenarioError)?.exitCode, 66) }

        let choices = TraceHeader(payload: .choices, experts: 16, layers: 1, tokensPerStep: 64, steps: 1, gpus: 8, k: 2)
        var batch = TraceBatch()
        batch.shape(for: choices)
        for t in 0..<64 { batch.experts[2 * t] = Int32(t % 16); batch.experts[2 * t + 1] = Int32((t + 1) % 16) }
        try TraceSource(header: choices, batches: [batch]).write(to: directory.appendingPathComponent("c.moetrace").path)
        assertInvalid(try scenario("c.moetrace", strategies: #"[{"name":"topk","k":2},{"name":"sam","k":2}]"#),
                      "routing.strategies[1]", ["sam-2 cannot replay", "k = 2"])
        assertInvalid(try scenario("c.moetrace"), "routing.strategies[0]", ["switch cannot replay"])
        // A choices trace replays the recorded experts: expert loads are exactly the recorded ones.
        let replay = try scenario("c.moetrace", strategies: #"[{"name":"topk","k":2}]"#)
        let detail = try Simulator.run(replay).results[0].layers[0]
        XCTAssertEqual(detail.replicaTokens, [Int64](repeating: 8, count: 16))
    }

    /// SAM with the device logits of a generated trace (log-sum-exp of each GPU's contiguous experts)
    /// routes as SAM with summed probabilities.
    func testSAMWithTraceDeviceLogitsMatchesSumUnderContiguousPlacement() throws {
        let header = TraceHeader(payload: .scores, hasDeviceLogits: true, experts: 16, layers: 1, tokensPerStep: 512, steps: 1,
                                 gpus: 8)
        try TraceSource(header: header, synthetic: SyntheticScoresSpec(zipfExponent: 1), seed: 4)
            .write(to: directory.appendingPathComponent("d.moetrace").path)
        let s = try scenario("d.moetrace", strategies: #"[{"name":"sam","k":2},{"name":"sam","k":2,"deviceScore":"trace"}]"#)
        let results = try Simulator.run(s).results
        XCTAssertEqual(results[0].layers[0].replicaTokens, results[1].layers[0].replicaTokens)
        XCTAssertEqual(results[0].dispatchBytes, results[1].dispatchBytes)
        XCTAssertThrowsError(try TestSupport.scenario(strategies: #"[{"name":"sam","k":2,"deviceScore":"trace"}]"#)) {
            XCTAssertTrue("\($0)".contains("deviceScore"), "\($0)")
        }
    }
}
