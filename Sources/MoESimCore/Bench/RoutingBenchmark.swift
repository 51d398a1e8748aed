import Foundation

/// Measures routing throughput: each strategy over a fixed number of tokens of
/// f32 router scores, timing only the routing (scores are generated beforehand).
///
/// Scores come in batches of `batchTokens` (routed again and again until
/// `tokens` have been routed) so that memory stays bounded at 256 experts.
public enum RoutingBenchmark {
    /// One measured row.
    public struct Row: Sendable {
        public let strategy: String
        public let k: Int
        public let experts: Int
        public let tokens: Int
        public let wallSeconds: Double
        public var tokensPerSecond: Double { Double(tokens) / wallSeconds }
    }

    /// The CSV header of `bench routing`.
    public static let columns = ["benchmark", "strategy", "k", "experts", "tokens", "wall_s", "tokens_per_s"]

    /// The strategies measured at each expert count: Switch, top-2, SAM(2), node-limited top-2 (M = 2 of 4 nodes),
    /// expert choice (k = 2) and hash, on 32 GPUs of 8 per node (4 nodes).
    public static func strategies() -> [RoutingStrategySpec] {
        [RoutingStrategySpec(kind: .switch, k: 1), RoutingStrategySpec(kind: .topk, k: 2),
         RoutingStrategySpec(kind: .sam, k: 2), RoutingStrategySpec(kind: .nodeLimited, k: 2, maxNodes: 2),
         RoutingStrategySpec(kind: .expertChoice, k: 2), RoutingStrategySpec(kind: .hash, k: 1)]
    }

    /// Routes `tokens` tokens over `experts` experts with `spec`; returns the wall time of routing alone.
    /// - Complexity: that of the router, times tokens / batchTokens batches.
    public static func measure(_ spec: RoutingStrategySpec, experts: Int, tokens: Int, batchTokens: Int = 65_536,
                               seed: UInt64 = 1) -> Row {
        let gpus = 32
        let placement = ExpertPlacement.contiguous(experts: experts, gpuCount: gpus)
        let router = spec.makeRouter(gpusPerNode: 8, capacityFactor: nil)
        let generator = SyntheticScoreGenerator(spec: SyntheticScoresSpec(zipfExponent: 1.0), experts: experts,
                                                layers: 1, seed: seed)
        let batch = min(batchTokens, tokens)
        var scores: [Float] = []
        generator.fill(step: 0, layer: 0, tokenCount: batch, into: &scores)
        var buffer = RoutingBuffer()
        var routed = 0
        let start = DispatchTime.now().uptimeNanoseconds
        while routed < tokens {
            let count = min(batch, tokens - routed)
            scores.withUnsafeBufferPointer { router.route(scores: $0, tokenCount: count, placement: placement, into: &buffer) }
            routed += count
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Row(strategy: spec.label, k: spec.k, experts: experts, tokens: tokens, wallSeconds: seconds)
    }
}
