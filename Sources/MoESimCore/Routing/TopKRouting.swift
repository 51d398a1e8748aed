/// Top-k routing: each token activates its k highest-scoring experts, wherever they live.
///
/// A token may so need up to k GPUs, and up to k copies of its hidden state on
/// the wire (fewer when the sender deduplicates copies to the same GPU).
public struct TopKRouting: RoutingStrategy {
    /// Experts per token.
    public let k: Int
    /// Renormalise the chosen k probabilities to sum to 1.
    public let normalize: Bool
    /// Compute gate probabilities (a softmax over all experts); when false they are left 0.
    public let gateProbabilities: Bool
    public var expertsPerToken: Int { k }

    /// A top-k router. - Precondition: k ≥ 1.
    public init(k: Int, normalize: Bool = false, gateProbabilities: Bool = true) {
        precondition(k >= 1, "top-k needs k >= 1")
        self.k = k
        self.normalize = normalize
        self.gateProbabilities = gateProbabilities
    }

    /// Gate probabilities reuse the selection's best score as max z and exponentiate only the k chosen
    /// experts, beside one vectorised pass that sums the row's exponentials.
    /// - Complexity: O(tokenCount · E) vector steps, plus O(k) per candidate of the selection; no allocation.
    public func route(scores: UnsafeBufferPointer<Float>, tokenCount: Int, placement: ExpertPlacement,
                      into buffer: inout RoutingBuffer) {
        let experts = placement.expertCount
        let k = self.k
        buffer.reset(tokenCount: tokenCount, k: k)
        buffer.experts.withUnsafeMutableBufferPointer { chosen in
        buffer.probabilities.withUnsafeMutableBufferPointer { probabilities in
            for token in 0..<tokenCount {
                let row = scores.baseAddress! + token * experts
                let topExperts = chosen.baseAddress! + token * k
                let topScores = probabilities.baseAddress! + token * k
                selectTop(row, count: experts, k: k, firstExpert: 0, topExperts: topExperts, topScores: topScores)
                guard gateProbabilities else {
                    for slot in 0..<k { topScores[slot] = 0 }
                    continue
                }
                let maxLogit = topScores[0]
                let sum = Softmax.sumOfExponentials(row, count: experts, maxLogit: maxLogit, into: nil)
                var chosenMass: Float = 0
                for slot in 0..<k {
                    topScores[slot] = Softmax.exp(topScores[slot] - maxLogit) / sum
                    chosenMass += topScores[slot]
                }
                if normalize { for slot in 0..<k { topScores[slot] /= chosenMass } }
            }
        }
        }
    }
}
