/// Switch (top-1) routing, as in the Switch Transformer: each token goes to
/// its single highest-scoring expert.
public struct SwitchRouting: RoutingStrategy {
    public var expertsPerToken: Int { 1 }

    /// A Switch router.
    public init() {}

    /// - Complexity: O(tokenCount · E); no allocation per token.
    public func route(scores: UnsafeBufferPointer<Float>, tokenCount: Int, placement: ExpertPlacement,
                      into buffer: inout RoutingBuffer) {
        let experts = placement.expertCount
        buffer.reset(tokenCount: tokenCount, k: 1)
        var exponentials = [Float](repeating: 0, count: experts)
        exponentials.withUnsafeMutableBufferPointer { exps in
            for token in 0..<tokenCount {
                let base = token * experts
                let sum = Softmax.exponentials(scores, base: base, count: experts, into: exps.baseAddress!)
                var best = 0
                var bestScore = -Float.infinity
                for expert in 0..<experts where scores[base + expert] > bestScore {
                    best = expert
                    bestScore = scores[base + expert]
                }
                buffer.experts[token] = Int32(best)
                buffer.probabilities[token] = exps[best] / sum
            }
        }
    }
}
