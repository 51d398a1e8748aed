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

    /// The expert that token `index` hashes to among `experts`.
    @inline(__always) public static func expert(ofToken index: Int, experts: Int) -> Int {
        var z = UInt64(index) &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(experts))
    }

    /// - Complexity: O(tokenCount · E) (the softmax normaliser); no allocation per token.
    public func route(scores: UnsafeBufferPointer<Float>, tokenCount: Int, placement: ExpertPlacement,
                      into buffer: inout RoutingBuffer) {
        let experts = placement.expertCount
        buffer.reset(tokenCount: tokenCount, k: 1)
        var exponentials = [Float](repeating: 0, count: experts)
        exponentials.withUnsafeMutableBufferPointer { exps in
            for token in 0..<tokenCount {
                let expert = HashRouting.expert(ofToken: token, experts: experts)
                buffer.experts[token] = Int32(expert)
                guard gateProbabilities else {
                    buffer.probabilities[token] = 0
                    continue
                }
                let (_, sum) = Softmax.exponentials(scores, base: token * experts, count: experts, into: exps.baseAddress!)
                buffer.probabilities[token] = exps[expert] / sum
            }
        }
    }
}
