/// Switch (top-1) routing, as in the Switch Transformer: each token goes to
/// its single highest-scoring expert.
public struct SwitchRouting: RoutingStrategy {
    /// Compute gate probabilities (a softmax over all experts); when false they are left 0.
    public let gateProbabilities: Bool
    public var expertsPerToken: Int { 1 }

    /// A Switch router.
    public init(gateProbabilities: Bool = true) { self.gateProbabilities = gateProbabilities }

    /// - Complexity: O(tokenCount · E); no allocation per token.
    public func route(scores: UnsafeBufferPointer<Float>, tokenCount: Int, placement: ExpertPlacement,
                      into buffer: inout RoutingBuffer) {
        let experts = placement.expertCount
        buffer.reset(tokenCount: tokenCount, k: 1)
        var exponentials = [Float](repeating: 0, count: experts)
        exponentials.withUnsafeMutableBufferPointer { exps in
            for token in 0..<tokenCount {
                let base = token * experts
                var best: Int32 = 0
                var bestScore: Float = 0
                if gateProbabilities {
                    let (maxLogit, sum) = Softmax.exponentials(scores, base: base, count: experts, into: exps.baseAddress!)
                    // The first expert holding the maximum: ties go to the lower id.
                    while scores[base + Int(best)] != maxLogit { best += 1 }
                    bestScore = exps[Int(best)] / sum
                } else {
                    selectTop(scores, base: base, count: experts, k: 1, topExperts: &best, topScores: &bestScore)
                    bestScore = 0
                }
                buffer.experts[token] = best
                buffer.probabilities[token] = bestScore
            }
        }
    }
}
