import XCTest
@testable import MoESimCore

/// Node-limited top-k, expert choice and hash routing against their definitions.
final class MoreStrategiesTests: XCTestCase {
    func testNodeLimitedNeverTouchesMoreThanMNodesAndMatchesReference() {
        for seed in 0..<80 {
            let gpusPerNode = 2, gpus = 8, perGPU = 4, experts = gpus * perGPU
            let nodes = gpus / gpusPerNode
            let maxNodes = 1 + seed % nodes
            let k = 1 + seed % min(8, maxNodes * gpusPerNode * perGPU)
            let tokens = 32
            let scores = TestSupport.randomScores(tokens: tokens, experts: experts, seed: UInt64(seed), ties: seed % 3 == 0)
            let placement = ExpertPlacement.contiguous(experts: experts, gpuCount: gpus)
            let buffer = TestSupport.route(NodeLimitedTopKRouting(k: k, maxNodes: maxNodes, gpusPerNode: gpusPerNode),
                                           scores: scores, tokens: tokens, placement: placement)
            for t in 0..<tokens {
                let row = Array(scores[t * experts..<(t + 1) * experts])
                let chosen = Array(buffer.experts[buffer.slots(of: t)])
                let touched = Set(buffer.slots(of: t).map { Int(buffer.gpus[$0]) / gpusPerNode })
                XCTAssertLessThanOrEqual(touched.count, maxNodes, "seed \(seed) token \(t)")
                XCTAssertEqual(Set(chosen).count, k)
                let expected = referenceNodeLimited(row, placement: placement, k: k, maxNodes: maxNodes, gpusPerNode: gpusPerNode)
                XCTAssertEqual(chosen.map(Int.init), Array(expected), "seed \(seed) token \(t)")
            }
        }
    }

    /// Reference node-limited top-k: node score = sum of the top ⌈k/M⌉ probabilities of the experts with a
    /// replica on it; best M nodes (lower id on ties); top-k of the experts with a replica on them, by sorting.
    func referenceNodeLimited(_ row: [Float], placement: ExpertPlacement, k: Int, maxNodes: Int, gpusPerNode: Int) -> [Int] {
        let experts = row.count
        let nodes = (placement.gpuCount + gpusPerNode - 1) / gpusPerNode
        let maxLogit = row.max()!
        let p = row.map { Softmax.exp($0 - maxLogit) }
        let byScore = { (a: Int, b: Int) in row[a] != row[b] ? row[a] > row[b] : a < b }
        let nodesOf = { (e: Int) in Set(placement.replicaGPUs[placement.replicaStart[e]..<placement.replicaStart[e + 1]]
                                            .map { Int($0) / gpusPerNode }) }
        let perNode = (k + maxNodes - 1) / maxNodes
        let nodeScores = (0..<nodes).map { node -> Float in
            (0..<experts).filter { nodesOf($0).contains(node) }.sorted(by: byScore).prefix(perNode).reduce(Float(0)) { $0 + p[$1] }
        }
        let bestNodes = Set((0..<nodes).sorted {
            nodeScores[$0] != nodeScores[$1] ? nodeScores[$0] > nodeScores[$1] : $0 < $1
        }.prefix(maxNodes))
        return Array((0..<experts).filter { !nodesOf($0).isDisjoint(with: bestNodes) }.sorted(by: byScore).prefix(k))
    }

    func testNodeLimitedAtLargeSizesMatchesReferenceOnEveryPath() {
        for seed in 0..<24 {
            for (experts, gpus, gpusPerNode) in [(64, 16, 4), (256, 32, 8), (256, 64, 8)] {
                let tokens = 6
                let scores = RoutingTests.scores(tokens: tokens, experts: experts, seed: UInt64(seed), mode: seed % 3)
                // Contiguous placement takes the per-node vectorised path on the row itself; round robin and a
                // shuffled one-replica placement, on a node-ordered copy of it; a replicated one, the general path.
                let placement = Self.placement(seed % 4, experts: experts, gpus: gpus, seed: UInt64(seed))
                let nodes = gpus / gpusPerNode
                for k in 1...8 {
                    let maxNodes = 1 + (seed + k) % nodes
                    let router = NodeLimitedTopKRouting(k: k, maxNodes: maxNodes, gpusPerNode: gpusPerNode)
                    let buffer = TestSupport.route(router, scores: scores, tokens: tokens, placement: placement)
                    // Without gate probabilities the same experts and GPUs, the probabilities left 0.
                    let bare = TestSupport.route(NodeLimitedTopKRouting(k: k, maxNodes: maxNodes, gpusPerNode: gpusPerNode,
                                                                        gateProbabilities: false),
                                                 scores: scores, tokens: tokens, placement: placement)
                    XCTAssertEqual(bare.experts, buffer.experts)
                    XCTAssertEqual(bare.gpus, buffer.gpus)
                    XCTAssertTrue(bare.probabilities.allSatisfy { $0 == 0 })
                    for t in 0..<tokens {
                        let row = Array(scores[t * experts..<(t + 1) * experts])
                        let expected = referenceNodeLimited(row, placement: placement, k: k, maxNodes: maxNodes,
                                                            gpusPerNode: gpusPerNode)
                        let p = RoutingTests.referenceProbabilities(row[...])
                        XCTAssertEqual(buffer.experts[buffer.slots(of: t)].map(Int.init), expected,
                                       "seed \(seed) experts \(experts) k \(k) M \(maxNodes) token \(t)")
                        XCTAssertEqual(Array(buffer.probabilities[buffer.slots(of: t)]), expected.map { p[$0] })
                        if placement.replicaCount == experts {
                            XCTAssertEqual(buffer.gpus[buffer.slots(of: t)].map(Int.init), expected.map { placement.primaryGPU(of: $0) })
                        }
                    }
                }
            }
        }
    }

    /// Placement `kind` of `experts` on `gpus`: 0 contiguous, 1 round robin, 2 a shuffled one-replica placement
    /// (the same number of experts per GPU), 3 contiguous plus a second replica of every eighth expert one node on.
    static func placement(_ kind: Int, experts: Int, gpus: Int, seed: UInt64) -> ExpertPlacement {
        switch kind {
        case 0: return .contiguous(experts: experts, gpuCount: gpus)
        case 1: return .roundRobin(experts: experts, gpuCount: gpus)
        case 2:
            var random = SplitMix64(seed: seed)
            var gpuOfExpert = (0..<experts).map { $0 * gpus / experts }
            for i in stride(from: experts - 1, to: 0, by: -1) { gpuOfExpert.swapAt(i, Int(random.next() % UInt64(i + 1))) }
            return ExpertPlacement(gpuOfExpert: gpuOfExpert, gpuCount: gpus)
        default:
            let replicas = (0..<experts).map { expert -> [Int] in
                let home = expert * gpus / experts
                return expert % 8 == 0 ? [home, (home + 8) % gpus] : [home]
            }
            return ExpertPlacement(replicas: replicas, gpuCount: gpus)
        }
    }

    func testExpertChoiceAtLargeSizesMatchesSortingReference() {
        for seed in 0..<12 {
            let experts = [64, 256][seed % 2], tokens = [40, 300, 1_000][seed % 3], k = [1, 2, 8][seed % 3]
            let cf = [1.0, 0.5, 2.0, 1.25][seed % 4]
            let scores = RoutingTests.scores(tokens: tokens, experts: experts, seed: UInt64(seed), mode: seed % 3)
            let placement = ExpertPlacement.contiguous(experts: experts, gpuCount: 8)
            let router = ExpertChoiceRouting(k: k, capacityFactor: cf)
            let buffer = TestSupport.route(router, scores: scores, tokens: tokens, placement: placement)
            let capacity = router.capacity(tokens: tokens, experts: experts)
            let p = (0..<tokens).map { RoutingTests.referenceProbabilities(scores[$0 * experts..<($0 + 1) * experts]) }
            var expected = [[(expert: Int32, probability: Float)]](repeating: [], count: tokens)
            for expert in 0..<experts {
                let taken = (0..<tokens).sorted {
                    p[$0][expert] != p[$1][expert] ? p[$0][expert] > p[$1][expert] : $0 < $1
                }.prefix(capacity)
                for t in taken { expected[t].append((Int32(expert), p[t][expert])) }
            }
            for t in 0..<tokens {
                XCTAssertEqual(Array(buffer.experts[buffer.slots(of: t)]), expected[t].map(\.expert), "seed \(seed) token \(t)")
                XCTAssertEqual(Array(buffer.probabilities[buffer.slots(of: t)]), expected[t].map(\.probability))
            }
        }
    }

    func testNodeLimitedWithEveryNodeAllowedIsTopK() {
        for seed in 0..<40 {
            let experts = 32, tokens = 64
            let scores = TestSupport.randomScores(tokens: tokens, experts: experts, seed: UInt64(seed), ties: seed % 2 == 0)
            let placement = ExpertPlacement.contiguous(experts: experts, gpuCount: 8)
            let limited = TestSupport.route(NodeLimitedTopKRouting(k: 4, maxNodes: 4, gpusPerNode: 2), scores: scores,
                                            tokens: tokens, placement: placement)
            let topk = TestSupport.route(TopKRouting(k: 4), scores: scores, tokens: tokens, placement: placement)
            XCTAssertEqual(limited.experts, topk.experts, "seed \(seed)")
            XCTAssertEqual(limited.gpus, topk.gpus, "seed \(seed)")
            XCTAssertEqual(limited.probabilities, topk.probabilities, "seed \(seed)")
        }
    }

    func testExpertChoiceGivesEveryExpertItsTopCTokens() {
        for seed in 0..<30 {
            let experts = 8, tokens = 50, k = 1 + seed % 3
            let cf = [1.0, 0.5, 2.0][seed % 3]
            let scores = TestSupport.randomScores(tokens: tokens, experts: experts, seed: UInt64(seed), ties: seed % 2 == 0)
            let placement = ExpertPlacement.contiguous(experts: experts, gpuCount: 4)
            let router = ExpertChoiceRouting(k: k, capacityFactor: cf)
            let buffer = TestSupport.route(router, scores: scores, tokens: tokens, placement: placement)
            let capacity = router.capacity(tokens: tokens, experts: experts)
            XCTAssertEqual(capacity, min(tokens, Int((cf * Double(tokens * k) / Double(experts)).rounded(.up))))
            XCTAssertEqual(buffer.slotCount, capacity * experts, "seed \(seed)")
            for expert in 0..<experts {
                let probability = { (t: Int) -> Float in
                    var exps = [Float](repeating: 0, count: experts)
                    let sum = scores.withUnsafeBufferPointer {
                        Softmax.exponentials($0, base: t * experts, count: experts, into: &exps).sum
                    }
                    return exps[expert] / sum
                }
                let expected = (0..<tokens).sorted {
                    probability($0) != probability($1) ? probability($0) > probability($1) : $0 < $1
                }.prefix(capacity)
                let taken = (0..<tokens).filter { t in buffer.slots(of: t).contains { buffer.experts[$0] == Int32(expert) } }
                XCTAssertEqual(Set(taken), Set(expected), "seed \(seed) expert \(expert)")
            }
        }
    }

    func testExpertChoiceIsPerfectlyBalancedAndCanLeaveTokensUnrouted() throws {
        let scenario = try TestSupport.scenario(zipf: 1.5, strategies: #"[{"name":"expert-choice","k":1}]"#)
        let result = try Simulator.run(scenario).results[0]
        XCTAssertEqual(result.expertLoad.maxOverMean, 1, accuracy: 1e-12)
        XCTAssertEqual(result.droppedAssignments, 0)
        XCTAssertGreaterThan(result.unroutedTokens, 0, "skewed scores leave some tokens without an expert")
    }

    func testHashRoutingIgnoresScores() {
        let experts = 16, tokens = 4_000
        let placement = ExpertPlacement.contiguous(experts: experts, gpuCount: 8)
        let a = TestSupport.route(HashRouting(), scores: TestSupport.randomScores(tokens: tokens, experts: experts, seed: 1, ties: false),
                                  tokens: tokens, placement: placement)
        let b = TestSupport.route(HashRouting(), scores: TestSupport.randomScores(tokens: tokens, experts: experts, seed: 2, ties: false),
                                  tokens: tokens, placement: placement)
        XCTAssertEqual(a.experts, b.experts)
        XCTAssertEqual(a.experts.map(Int.init), (0..<tokens).map { HashRouting.expert(ofToken: $0, experts: experts) })
        var counts = [Int](repeating: 0, count: experts)
        for e in a.experts { counts[Int(e)] += 1 }
        XCTAssertLessThan(LoadStatistics(counts).maxOverMean, 1.2, "a hash spreads tokens nearly evenly")
    }

    func testTopKNormalizationOnlyRescalesProbabilities() {
        let experts = 16, tokens = 64
        let scores = TestSupport.randomScores(tokens: tokens, experts: experts, seed: 9, ties: false)
        let placement = ExpertPlacement.contiguous(experts: experts, gpuCount: 4)
        let plain = TestSupport.route(TopKRouting(k: 3), scores: scores, tokens: tokens, placement: placement)
        let normalized = TestSupport.route(TopKRouting(k: 3, normalize: true), scores: scores, tokens: tokens, placement: placement)
        XCTAssertEqual(plain.experts, normalized.experts)
        for t in 0..<tokens {
            XCTAssertEqual(normalized.probabilities[t * 3..<t * 3 + 3].reduce(0, +), 1, accuracy: 1e-5)
        }
    }
}
