import Foundation

/// Switch (top-1) routing, as in the Switch Transformer: each token goes to
/// its single highest-scoring expert.
public struct SwitchRouting: RoutingStrategy {
    public var expertsPerToken: Int { 1 }

    /// A Switch router.
    public init() {}

    /// - Complexity: O(tokenCount · E).
    public func route(scores: UnsafeBufferPointer<Float>, tokenCount: Int, placement: ExpertPlacement,
                      into buffer: inout RoutingBuffer) {
        let experts = placement.expertCount
        buffer.reset(tokenCount: tokenCount, k: 1)
        for token in 0..<tokenCount {
            let row = scores[token * experts..<(token + 1) * experts]
            var best = 0
            var bestScore = -Float.infinity
            for (offset, z) in row.enumerated() where z > bestScore {
                best = offset
                bestScore = z
            }
            let (maxLogit, sum) = Softmax.normaliser(row)
            buffer.experts[token] = Int32(best)
            buffer.probabilities[token] = expf(bestScore - maxLogit) / sum
        }
    }
}
