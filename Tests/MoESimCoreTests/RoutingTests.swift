import XCTest
@testable import MoESimCore

/// Each router against a naive reference (sort all scores) over many seeds, ties included.
final class RoutingTests: XCTestCase {
    /// Reference top-k: sort expert ids by (score descending, id ascending), keep the first k.
    func referenceTopK(_ row: ArraySlice<Float>, among experts: [Int], k: Int) -> [Int32] {
        let sorted = experts.sorted { a, b in
            row[row.startIndex + a] != row[row.startIndex + b] ? row[row.startIndex + a] > row[row.startIndex + b] : a < b
        }
        return sorted.prefix(k).map { Int32($0) }
    }

    /// Reference SAM: device score from the same Float probabilities, lowest GPU on ties, then top-k there.
    func referenceSAM(_ row: ArraySlice<Float>, placement: ExpertPlacement, k: Int, deviceScore: DeviceScore) -> [Int32] {
        let maxLogit = row.max()!
        var best = 0
        var bestScore = -Float.infinity
        for gpu in 0..<placement.gpuCount {
            let probabilities = placement.experts(onGPU: gpu).map { Softmax.exp(row[row.startIndex + Int($0)] - maxLogit) }
            let score = deviceScore == .sum ? probabilities.reduce(0, +) : probabilities.max()!
            if score > bestScore { bestScore = score; best = gpu }
        }
        return referenceTopK(row, among: placement.experts(onGPU: best).map { Int($0) }, k: k)
    }

    func testTopKMatchesSortingReference() {
        for seed in 0..<200 {
            let experts = [4, 8, 16, 64][seed % 4]
            let k = 1 + seed % min(experts, 5)
            let tokens = 32
            let scores = TestSupport.randomScores(tokens: tokens, experts: experts, seed: UInt64(seed), ties: seed % 2 == 0)
            let placement = ExpertPlacement.contiguous(experts: experts, gpuCount: 4)
            let buffer = TestSupport.route(TopKRouting(k: k), scores: scores, tokens: tokens, placement: placement)
            for t in 0..<tokens {
                let row = scores[t * experts..<(t + 1) * experts]
                XCTAssertEqual(Array(buffer.experts[t * k..<(t + 1) * k]), referenceTopK(row, among: Array(0..<experts), k: k),
                               "seed \(seed) token \(t)")
            }
        }
    }

    func testSwitchIsTopOne() {
        for seed in 0..<100 {
            let experts = 16, tokens = 64
            let scores = TestSupport.randomScores(tokens: tokens, experts: experts, seed: UInt64(seed), ties: seed % 2 == 0)
            let placement = ExpertPlacement.contiguous(experts: experts, gpuCount: 8)
            let switched = TestSupport.route(SwitchRouting(), scores: scores, tokens: tokens, placement: placement)
            let top1 = TestSupport.route(TopKRouting(k: 1), scores: scores, tokens: tokens, placement: placement)
            XCTAssertEqual(switched.experts, top1.experts, "seed \(seed)")
            XCTAssertEqual(switched.probabilities, top1.probabilities, "seed \(seed)")
        }
    }

    func testSAMMatchesReferenceAndKeepsAllExpertsOnOneGPU() {
        for seed in 0..<200 {
            let gpus = [2, 4, 8][seed % 3]
            let perGPU = [2, 4, 8][(seed / 3) % 3]
            let experts = gpus * perGPU
            let k = 1 + seed % perGPU
            let deviceScore: DeviceScore = seed % 5 == 0 ? .max : .sum
            let tokens = 24
            let scores = TestSupport.randomScores(tokens: tokens, experts: experts, seed: UInt64(seed), ties: seed % 2 == 1)
            let placement = ExpertPlacement.contiguous(experts: experts, gpuCount: gpus)
            let buffer = TestSupport.route(SAMRouting(k: k, deviceScore: deviceScore), scores: scores, tokens: tokens,
                                           placement: placement)
            for t in 0..<tokens {
                let chosen = Array(buffer.experts[t * k..<(t + 1) * k])
                let row = scores[t * experts..<(t + 1) * experts]
                XCTAssertEqual(chosen, referenceSAM(row, placement: placement, k: k, deviceScore: deviceScore),
                               "seed \(seed) token \(t)")
                XCTAssertEqual(Set(chosen.map { placement.primaryGPU(of: Int($0)) }).count, 1, "SAM spread a token over GPUs")
                XCTAssertEqual(Set(chosen).count, k, "SAM chose an expert twice")
            }
        }
    }

    func testSkippingGateProbabilitiesChangesNoChoice() {
        for seed in 0..<60 {
            let experts = [16, 48, 64, 80][seed % 4], tokens = 40
            let scores = TestSupport.randomScores(tokens: tokens, experts: experts, seed: UInt64(seed), ties: seed % 2 == 0)
            let placement = ExpertPlacement.contiguous(experts: experts, gpuCount: 8)
            for router in [SwitchRouting() as any RoutingStrategy, TopKRouting(k: 1 + seed % 6), HashRouting()] {
                let lean: any RoutingStrategy
                switch router {
                case is SwitchRouting: lean = SwitchRouting(gateProbabilities: false)
                case let topk as TopKRouting: lean = TopKRouting(k: topk.k, gateProbabilities: false)
                default: lean = HashRouting(gateProbabilities: false)
                }
                let full = TestSupport.route(router, scores: scores, tokens: tokens, placement: placement)
                let fast = TestSupport.route(lean, scores: scores, tokens: tokens, placement: placement)
                XCTAssertEqual(full.experts, fast.experts, "seed \(seed) \(type(of: router))")
                XCTAssertTrue(fast.probabilities.allSatisfy { $0 == 0 })
            }
        }
    }

    func testSAMWithOneExpertPerGPUEqualsSwitch() {
        for seed in 0..<100 {
            let gpus = 8, tokens = 64
            let scores = TestSupport.randomScores(tokens: tokens, experts: gpus, seed: UInt64(seed), ties: seed % 2 == 0)
            let placement = ExpertPlacement.contiguous(experts: gpus, gpuCount: gpus)
            let sam = TestSupport.route(SAMRouting(k: 1), scores: scores, tokens: tokens, placement: placement)
            let switched = TestSupport.route(SwitchRouting(), scores: scores, tokens: tokens, placement: placement)
            XCTAssertEqual(sam.experts, switched.experts, "seed \(seed)")
        }
    }

    func testGateProbabilitiesAreTheSoftmaxOverAllExperts() {
        let scores: [Float] = [0, 1, 2, 3, /* token 1 */ 3, 3, 0, 0]
        let placement = ExpertPlacement.contiguous(experts: 4, gpuCount: 2)
        let buffer = TestSupport.route(TopKRouting(k: 2), scores: scores, tokens: 2, placement: placement)
        let z0: Float = expf(0) + expf(1) + expf(2) + expf(3)
        XCTAssertEqual(buffer.experts[0..<2], [3, 2])
        XCTAssertEqual(buffer.probabilities[0], expf(3) / z0, accuracy: 1e-6)
        XCTAssertEqual(buffer.probabilities[1], expf(2) / z0, accuracy: 1e-6)
        // Ties go to the lower expert id.
        XCTAssertEqual(buffer.experts[2..<4], [0, 1])
        // SAM on token 1: GPU 0 holds experts 0 and 1 (mass 2e³), GPU 1 holds 2 and 3 (mass 2).
        let sam = TestSupport.route(SAMRouting(k: 2), scores: scores, tokens: 2, placement: placement)
        XCTAssertEqual(sam.experts[0..<2], [3, 2])
        XCTAssertEqual(sam.experts[2..<4], [0, 1])
    }

    func testSoftmaxExpIsAccurateAndVectorLanesMatchScalar() {
        var worst = 0.0
        var x: Float = -87
        while x <= 0 {
            let approx = Double(Softmax.exp(x)), exact = Foundation.exp(Double(x))
            worst = max(worst, abs(approx - exact) / exact)
            x += 0.001_3
        }
        XCTAssertLessThan(worst, 5e-7, "relative error of Softmax.exp")
        let scores = TestSupport.randomScores(tokens: 7, experts: 37, seed: 3, ties: false)
        var exps = [Float](repeating: 0, count: 37)
        for t in 0..<7 {
            let sum = scores.withUnsafeBufferPointer { Softmax.exponentials($0, base: t * 37, count: 37, into: &exps).sum }
            let row = scores[t * 37..<(t + 1) * 37]
            let m = row.max()!
            XCTAssertEqual(exps, row.map { Softmax.exp($0 - m) }, "SIMD lanes equal the scalar function")
            XCTAssertEqual(Double(sum), row.reduce(0.0) { $0 + Foundation.exp(Double($1 - m)) }, accuracy: 1e-5 * Double(sum))
        }
    }

    /// Logits for the fast-path tests: mode 0 heavy ties (4 values), 1 some ties (64 values), 2 none.
    static func scores(tokens: Int, experts: Int, seed: UInt64, mode: Int) -> [Float] {
        guard mode == 1 else { return TestSupport.randomScores(tokens: tokens, experts: experts, seed: seed, ties: mode == 0) }
        var rng = SplitMix64(seed: seed)
        return (0..<tokens * experts).map { _ in Float(rng.next() % 64) / 8 - 4 }
    }

    /// The softmax probability of each expert of a row, as the routers define it: e^(z − max z) / Σ.
    static func referenceProbabilities(_ row: ArraySlice<Float>) -> [Float] {
        var exps = [Float](repeating: 0, count: row.count)
        let sum = Array(row).withUnsafeBufferPointer { Softmax.exponentials($0, base: 0, count: row.count, into: &exps).sum }
        return exps.map { $0 / sum }
    }

    func testSelectionMatchesSortingReferenceForEveryKAndRowLength() {
        for seed in 0..<60 {
            for experts in [8, 16, 24, 60, 64, 250, 256] {
                let tokens = experts >= 250 ? 6 : 16
                let scores = RoutingTests.scores(tokens: tokens, experts: experts, seed: UInt64(seed * 7 + experts), mode: seed % 3)
                for k in 1...min(10, experts) {
                    var ids = [Int32](repeating: -1, count: k), values = [Float](repeating: .nan, count: k)
                    for t in 0..<tokens {
                        // A sub-row at an offset too, as SAM and node-limited routing select within a GPU or node.
                        let offset = t % 2 == 0 ? 0 : 8
                        let count = experts - offset
                        guard k <= count else { continue }
                        scores.withUnsafeBufferPointer {
                            selectTop($0.baseAddress! + t * experts + offset, count: count, k: k, firstExpert: Int32(offset),
                                      topExperts: &ids, topScores: &values)
                        }
                        let row = scores[t * experts..<(t + 1) * experts]
                        let expected = referenceTopK(row, among: Array(offset..<experts), k: k)
                        XCTAssertEqual(ids, expected, "seed \(seed) experts \(experts) k \(k) token \(t)")
                        XCTAssertEqual(values, expected.map { row[row.startIndex + Int($0)] })
                    }
                }
            }
        }
    }

    func testSelectionOverScatteredBlocksMatchesSortingReference() {
        // The chosen nodes' experts of node-limited routing: any ascending subset of a row's blocks of 8.
        for seed in 0..<60 {
            let experts = [64, 256][seed % 2]
            let tokens = 8
            let scores = RoutingTests.scores(tokens: tokens, experts: experts, seed: UInt64(seed * 11 + 3), mode: seed % 3)
            var rng = SplitMix64(seed: UInt64(seed))
            for t in 0..<tokens {
                var starts = stride(from: 0, to: experts, by: 8).filter { _ in rng.next() % 3 != 0 }.map(Int32.init)
                if starts.isEmpty { starts = [Int32(8 * (t % (experts / 8)))] }
                let among = starts.flatMap { Int($0)..<Int($0) + 8 }
                let row = scores[t * experts..<(t + 1) * experts]
                for k in 1...8 {
                    var ids = [Int32](repeating: -1, count: k), values = [Float](repeating: .nan, count: k)
                    scores.withUnsafeBufferPointer { all in
                        starts.withUnsafeBufferPointer { blockStarts in
                            selectTopOfBlocks(all.baseAddress! + t * experts, blockCount: blockStarts.count,
                                              blockStart: { blockStarts[$0] }, k: k, firstExpert: 0,
                                              topExperts: &ids, topScores: &values)
                        }
                    }
                    let expected = referenceTopK(row, among: among, k: k)
                    XCTAssertEqual(ids, expected, "seed \(seed) token \(t) k \(k) blocks \(starts)")
                    XCTAssertEqual(values, expected.map { row[row.startIndex + Int($0)] })
                }
            }
        }
    }

    func testTopTwoValuesMatchSortingReference() {
        for seed in 0..<60 {
            for count in [8, 16, 32, 64, 256] {
                let tokens = 6
                let scores = RoutingTests.scores(tokens: tokens, experts: count, seed: UInt64(seed * 5 + count), mode: seed % 3)
                for t in 0..<tokens {
                    let (first, second) = scores.withUnsafeBufferPointer { topTwoValues($0.baseAddress! + t * count, count: count) }
                    let sorted = scores[t * count..<(t + 1) * count].sorted(by: >)
                    XCTAssertEqual([first, second], Array(sorted.prefix(2)), "seed \(seed) count \(count) token \(t)")
                }
            }
        }
    }

    func testTopKAndSwitchGateProbabilitiesEqualTheFullSoftmax() {
        for seed in 0..<60 {
            for experts in [64, 256] {
                let tokens = 12
                let scores = RoutingTests.scores(tokens: tokens, experts: experts, seed: UInt64(seed), mode: seed % 3)
                let placement = ExpertPlacement.contiguous(experts: experts, gpuCount: 8)
                for k in 1...8 {
                    let normalize = seed % 4 == 1
                    let buffer = TestSupport.route(TopKRouting(k: k, normalize: normalize), scores: scores, tokens: tokens,
                                                   placement: placement)
                    for t in 0..<tokens {
                        let row = scores[t * experts..<(t + 1) * experts]
                        let expected = referenceTopK(row, among: Array(0..<experts), k: k)
                        let p = RoutingTests.referenceProbabilities(row)
                        var chosen = expected.map { p[Int($0)] }
                        if normalize {
                            let mass = chosen.reduce(0, +)
                            chosen = chosen.map { $0 / mass }
                        }
                        XCTAssertEqual(Array(buffer.experts[t * k..<(t + 1) * k]), expected, "seed \(seed) k \(k) token \(t)")
                        XCTAssertEqual(Array(buffer.probabilities[t * k..<(t + 1) * k]), chosen, "seed \(seed) k \(k) token \(t)")
                    }
                }
                let switched = TestSupport.route(SwitchRouting(), scores: scores, tokens: tokens, placement: placement)
                for t in 0..<tokens {
                    let row = scores[t * experts..<(t + 1) * experts]
                    let best = referenceTopK(row, among: Array(0..<experts), k: 1)[0]
                    XCTAssertEqual(switched.experts[t], best)
                    XCTAssertEqual(switched.probabilities[t], RoutingTests.referenceProbabilities(row)[Int(best)])
                }
            }
        }
    }

    func testSAMAtLargeSizesMatchesReference() {
        for seed in 0..<40 {
            for (experts, gpus) in [(64, 8), (256, 32), (256, 16)] {
                let tokens = 10
                let scores = RoutingTests.scores(tokens: tokens, experts: experts, seed: UInt64(seed), mode: seed % 3)
                // Contiguous placement takes the vectorised selection on a GPU; round robin, the insertion.
                let placement = seed % 4 == 3 ? ExpertPlacement.roundRobin(experts: experts, gpuCount: gpus)
                                              : ExpertPlacement.contiguous(experts: experts, gpuCount: gpus)
                let deviceScore: DeviceScore = seed % 5 == 0 ? .max : .sum
                for k in 1...8 {
                    let buffer = TestSupport.route(SAMRouting(k: k, deviceScore: deviceScore), scores: scores, tokens: tokens,
                                                   placement: placement)
                    for t in 0..<tokens {
                        let row = scores[t * experts..<(t + 1) * experts]
                        let expected = referenceSAM(row, placement: placement, k: k, deviceScore: deviceScore)
                        let p = RoutingTests.referenceProbabilities(row)
                        XCTAssertEqual(Array(buffer.experts[t * k..<(t + 1) * k]), expected, "seed \(seed) k \(k) token \(t)")
                        XCTAssertEqual(Array(buffer.probabilities[t * k..<(t + 1) * k]), expected.map { p[Int($0)] })
                        XCTAssertEqual(Set(buffer.gpus[t * k..<(t + 1) * k]), [Int32(placement.primaryGPU(of: Int(expected[0])))])
                    }
                }
            }
        }
    }

    func testPlacementGroupsExpertsByGPU() {
        let placement = ExpertPlacement(gpuOfExpert: [1, 0, 1, 2, 0, 2], gpuCount: 3)
        XCTAssertEqual(Array(placement.experts(onGPU: 0)), [1, 4])
        XCTAssertEqual(Array(placement.experts(onGPU: 1)), [0, 2])
        XCTAssertEqual(Array(placement.experts(onGPU: 2)), [3, 5])
        XCTAssertEqual(ExpertPlacement.contiguous(experts: 8, gpuCount: 4).replicaGPUs, [0, 0, 1, 1, 2, 2, 3, 3])
        XCTAssertEqual(ExpertPlacement.roundRobin(experts: 8, gpuCount: 4).replicaGPUs, [0, 1, 2, 3, 0, 1, 2, 3])
    }
}
