/// Hash routing (Roller et al., "Hash Layers for Large Sparse Models", 2021):
/// each token goes to a fixed expert chosen by a hash, whatever its scores.
///
/// Traces carry no vocabulary ids, so the hash is of the token's index in the
/// batch (SplitMix64's finaliser): the same position reaches the same expert in
/// every layer and step, and loads are balanced up to hashing noise. The gate
/// probability is still the softmax of the logits, for capacity priority.
public struct HashRouting: RoutingStrategy {
    /// Compute gate probabilities (a softmax over all experts); when false they are left 0.
    public let gateProbabilities: Bool
    public var expertsPerToken: Int { 1 }

    /// A hash router.
    public init(gateProbabilities: Bool = true) { self.gateProbabilities = gateProbabilities }

    /// The expert that token `index` hashes to among `experts`: the first output of SplitMix64
    /// seeded with the index, which is its finaliser applied to index + γ.
    @inline(__always) public static func expert(ofToken index: Int, experts: Int) -> Int {
        var hash = SplitMix64(seed: UInt64(index))
        return Int(hash.next() % UInt64(experts))
    }

    /// - Complexity: O(tokenCount · E) (the softmax normaliser, vectorised); no allocation.
    public func route(scores: UnsafeBufferPointer<Float>, tokenCount: Int, placement: ExpertPlacement,
                      into buffer: inout RoutingBuffer) {
        let experts = placement.expertCount
        buffer.reset(tokenCount: tokenCount, k: 1)
        for token in 0..<tokenCount {
            let expert = HashRouting.expert(ofToken: token, experts: experts)
            buffer.experts[token] = Int32(expert)
            guard gateProbabilities else {
                buffer.probabilities[token] = 0
                continue
            }
            let row = scores.baseAddress! + token * experts
            let maxLogit = Softmax.largest(row, count: experts)
            buffer.probabilities[token] = Softmax.exp(row[expert] - maxLogit)
                / Softmax.sumOfExponentials(row, count: experts, maxLogit: maxLogit, into: nil)
        }
    }
}
