/// Switch (top-1) routing, as in the Switch Transformer: each token goes to
/// its single highest-scoring expert.
public struct SwitchRouting: RoutingStrategy {
    /// Compute gate probabilities (a softmax over all experts); when false they are left 0.
    public let gateProbabilities: Bool
    public var expertsPerToken: Int { 1 }

    /// A Switch router.
    public init(gateProbabilities: Bool = true) { self.gateProbabilities = gateProbabilities }

    /// - Complexity: O(tokenCount · E), vectorised; no allocation.
    public func route(scores: UnsafeBufferPointer<Float>, tokenCount: Int, placement: ExpertPlacement,
                      into buffer: inout RoutingBuffer) {
        let experts = placement.expertCount
        buffer.reset(tokenCount: tokenCount, k: 1)
        buffer.experts.withUnsafeMutableBufferPointer { chosen in
        buffer.probabilities.withUnsafeMutableBufferPointer { probabilities in
            for token in 0..<tokenCount {
                let row = scores.baseAddress! + token * experts
                // The first expert holding the maximum: ties go to the lower id.
                selectTop(row, count: experts, k: 1, firstExpert: 0, topExperts: chosen.baseAddress! + token,
                          topScores: probabilities.baseAddress! + token)
                guard gateProbabilities else {
                    probabilities[token] = 0
                    continue
                }
                // The best score is max z, whose exponential is e^0 = 1.
                probabilities[token] = 1 / Softmax.sumOfExponentials(row, count: experts, maxLogit: probabilities[token],
                                                                     into: nil)
            }
        }
        }
    }
}
