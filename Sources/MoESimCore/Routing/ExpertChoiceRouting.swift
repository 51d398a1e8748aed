import Foundation

/// Expert-choice routing (Zhou et al., "Mixture-of-Experts with Expert Choice
/// Routing", 2022): every expert takes the C tokens that score it highest, so
/// experts are perfectly balanced while a token may get many experts or none.
///
/// C = ⌈cf · T · k / E⌉ for T tokens, E experts, k the average experts per
/// token and cf the capacity factor (1 when the scenario sets none). Tokens are
/// ranked by gate probability (softmax over all experts); ties go to the lower
/// token index. A token's slots list its experts in ascending id.
public struct ExpertChoiceRouting: RoutingStrategy {
    /// Average experts per token.
    public let k: Int
    /// Capacity factor cf.
    public let capacityFactor: Double
    public var expertsPerToken: Int { k }

    /// An expert-choice router. - Precondition: k ≥ 1, capacityFactor > 0.
    public init(k: Int, capacityFactor: Double) {
        precondition(k >= 1 && capacityFactor > 0, "expert choice needs k >= 1 and a positive capacity factor")
        self.k = k
        self.capacityFactor = capacityFactor
    }

    /// Tokens each expert takes for a batch of `tokens`.
    public func capacity(tokens: Int, experts: Int) -> Int {
        min(tokens, CapacityLimiter.expertCapacity(capacityFactor: capacityFactor, tokens: tokens, k: k, experts: experts))
    }

    /// - Complexity: O(E · T log T) (each expert sorts the batch by its probability); allocates per batch, not per token.
    public func route(scores: UnsafeBufferPointer<Float>, tokenCount: Int, placement: ExpertPlacement,
                      into buffer: inout RoutingBuffer) {
        let experts = placement.expertCount
        var probabilities = [Float](repeating: 0, count: tokenCount * experts)
        for token in 0..<tokenCount {
            let base = token * experts
            let (maxLogit, sum) = Softmax.normaliser(scores, base: base, count: experts)
            for e in 0..<experts { probabilities[base + e] = expf(scores[base + e] - maxLogit) / sum }
        }
        let capacity = capacity(tokens: tokenCount, experts: experts)
        var picks = [Bool](repeating: false, count: tokenCount * experts)
        var counts = [Int](repeating: 0, count: tokenCount)
        var order = Array(0..<tokenCount)
        for expert in 0..<experts {
            order.sort { a, b in
                let pa = probabilities[a * experts + expert], pb = probabilities[b * experts + expert]
                return pa != pb ? pa > pb : a < b
            }
            for token in order.prefix(capacity) {
                picks[token * experts + expert] = true
                counts[token] += 1
            }
        }
        buffer.reset(slotCounts: counts, k: k)
        var slot = 0
        for token in 0..<tokenCount {
            for expert in 0..<experts where picks[token * experts + expert] {
                buffer.experts[slot] = Int32(expert)
                buffer.probabilities[slot] = probabilities[token * experts + expert]
                slot += 1
            }
        }
    }
}
