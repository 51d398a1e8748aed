import Foundation

/// Measures routing throughput: each strategy over a fixed number of tokens of
/// f32 router scores, timing only the routing (scores are generated beforehand).
///
/// Scores come in batches of `batchTokens` (routed again and again until
/// `tokens` have been routed) so that memory stays bounded at 256 experts.
/// A row is the fastest of `repeats` timings: on a shared machine a slower timing measures the
/// neighbours (the minimum is the usual estimator for a deterministic workload).
public enum RoutingBenchmark {
    /// One measured row.
    public struct Row: Sendable {
        public let strategy: String
        public let gateProbabilities: Bool
        public let k: Int
        public let experts: Int
        public let tokens: Int
        /// Timings taken; `wallSeconds` is the fastest.
        public let repeats: Int
        public let wallSeconds: Double
        public var tokensPerSecond: Double { Double(tokens) / wallSeconds }

        /// The row as `bench routing` prints it, under `RoutingBenchmark.columns`: newline-terminated,
        /// wall time to 0.1 ms, tokens per second whole.
        public var csvLine: String {
            CSVWriter.line(["routing", strategy, String(k), String(gateProbabilities), String(experts), String(tokens),
                            String(format: "%.4f", wallSeconds), String(format: "%.0f", tokensPerSecond), String(repeats)])
        }
    }

    /// The CSV header of `bench routing`.
    public static let columns = ["benchmark", "strategy", "k", "gate_probabilities", "experts", "tokens", "wall_s",
                                 "tokens_per_s", "repeats"]
    /// `columns` as a newline-terminated CSV line.
    public static var csvHeader: String { CSVWriter.line(columns) }

    /// The strategies measured at each expert count, on 32 GPUs of 8 per node (4 nodes; SAM on fewer GPUs when
    /// it needs more experts per GPU, see `measure`): Switch, top-2,
    /// top-8, hash and node-limited top-8 (M = 2) without and with gate probabilities (a simulation computes
    /// them only under a capacity limit), and SAM (k = 2, 4) and expert choice (k = 2), which always need them,
    /// and node-limited top-2 (M = 2) and top-8 (M = 4: every node) with them.
    public static func cases() -> [(spec: RoutingStrategySpec, gateProbabilities: Bool)] {
        let simple = [RoutingStrategySpec(kind: .switch, k: 1), RoutingStrategySpec(kind: .topk, k: 2),
                      RoutingStrategySpec(kind: .topk, k: 8), RoutingStrategySpec(kind: .hash, k: 1),
                      RoutingStrategySpec(kind: .nodeLimited, k: 8, maxNodes: 2)]
        return simple.flatMap { [($0, false), ($0, true)] } + [
            (RoutingStrategySpec(kind: .sam, k: 2), true),
            (RoutingStrategySpec(kind: .sam, k: 4), true),
            (RoutingStrategySpec(kind: .nodeLimited, k: 2, maxNodes: 2), true),
            (RoutingStrategySpec(kind: .nodeLimited, k: 8, maxNodes: 4), true),
            (RoutingStrategySpec(kind: .expertChoice, k: 2), true),
        ]
    }

    /// Routes `tokens` tokens over `experts` experts with `spec`, `repeats` times; returns the fastest
    /// wall time of routing alone.
    /// - Complexity: that of the router, times repeats · tokens / batchTokens batches.
    /// Gate probabilities are computed when `gateProbabilities` (routers that route by them always do).
    public static func measure(_ spec: RoutingStrategySpec, gateProbabilities: Bool, experts: Int, tokens: Int,
                               repeats: Int = 1, batchTokens: Int = 65_536, seed: UInt64 = 1) -> Row {
        precondition(repeats >= 1, "a benchmark needs at least one timing")
        // SAM picks all k experts on one GPU: fewer GPUs when k exceeds the experts per GPU (SAM-4 at 64 experts).
        let gpus = spec.kind == .sam ? min(32, experts / spec.k) : 32
        let placement = ExpertPlacement.contiguous(experts: experts, gpuCount: gpus)
        // A capacity factor is what makes a simulation compute gate probabilities; routing itself ignores it.
        let router = spec.makeRouter(gpusPerNode: 8, capacityFactor: gateProbabilities ? 1 : nil)
        let generator = SyntheticScoreGenerator(spec: SyntheticScoresSpec(zipfExponent: 1.0), experts: experts,
                                                layers: 1, seed: seed)
        let batch = min(batchTokens, tokens)
        var scores: [Float] = []
        generator.fill(step: 0, layer: 0, tokenCount: batch, into: &scores)
        var buffer = RoutingBuffer()
        var fastest = Double.infinity
        for _ in 0..<repeats {
            var routed = 0
            let start = DispatchTime.now().uptimeNanoseconds
            while routed < tokens {
                let count = min(batch, tokens - routed)
                scores.withUnsafeBufferPointer { router.route(scores: $0, tokenCount: count, placement: placement, into: &buffer) }
                routed += count
            }
            fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return Row(strategy: spec.label, gateProbabilities: gateProbabilities, k: spec.k, experts: experts, tokens: tokens,
                   repeats: repeats, wallSeconds: fastest)
    }
}
