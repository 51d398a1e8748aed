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

    /// Each expert selects its top C with a linear-time selection over keys that order tokens
    /// by (probability descending, index ascending), so the chosen set is unique.
    /// - Complexity: O(E · T) expected; allocates per batch, not per token.
    public func route(scores: UnsafeBufferPointer<Float>, tokenCount: Int, placement: ExpertPlacement,
                      into buffer: inout RoutingBuffer) {
        let experts = placement.expertCount
        var probabilities = [Float](repeating: 0, count: tokenCount * experts)
        probabilities.withUnsafeMutableBufferPointer { out in
            for token in 0..<tokenCount {
                let base = token * experts
                let (_, sum) = Softmax.exponentials(scores, base: base, count: experts, into: out.baseAddress! + base)
                for e in 0..<experts { out[base + e] /= sum }
            }
        }
        let capacity = capacity(tokens: tokenCount, experts: experts)
        var picks = [Bool](repeating: false, count: tokenCount * experts)
        var counts = [Int](repeating: 0, count: tokenCount)
        var keys = [UInt64](repeating: 0, count: tokenCount)
        for expert in 0..<experts {
            // Non-negative floats order like their bit patterns; the low word makes lower token ids larger.
            for token in 0..<tokenCount {
                keys[token] = UInt64(probabilities[token * experts + expert].bitPattern) << 32
                    | UInt64(UInt32.max - UInt32(token))
            }
            keys.withUnsafeMutableBufferPointer { selectLargest(capacity, in: $0) }
            for key in keys.prefix(capacity) {
                let token = Int(UInt32.max - UInt32(truncatingIfNeeded: key))
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

    /// Moves the `count` largest keys (all distinct) to the front, in no particular order (quickselect).
    /// - Complexity: O(n) expected.
    func selectLargest(_ count: Int, in keys: UnsafeMutableBufferPointer<UInt64>) {
        var low = 0, high = keys.count - 1
        guard count > 0, count < keys.count else { return }
        while low < high {
            // Median of three as pivot; Hoare partition into [> pivot | < pivot] around it.
            let middle = low + (high - low) / 2
            let pivot = max(min(keys[low], keys[middle]), min(max(keys[low], keys[middle]), keys[high]))
            var i = low, j = high
            while i <= j {
                while keys[i] > pivot { i += 1 }
                while keys[j] < pivot { j -= 1 }
                if i <= j {
                    keys.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if count - 1 <= j { high = j } else if count - 1 >= i { low = i } else { return }
        }
    }
}
