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

    /// Streams the tokens once: each expert keeps a min-heap of the C best keys seen so far, keys ordering
    /// tokens by (probability descending, index ascending), so the chosen set is unique. A later token
    /// enters an expert's full heap only with a probability strictly above the heap's least (an equal one
    /// has a higher index), which a vectorised comparison of the token's row with the heaps' bars tests
    /// 8 experts at a time; the heaps then hold each expert's chosen tokens and their probabilities.
    /// - Complexity: O(T · E) vector steps plus O(log C) per heap entry, about C · (1 + ln(T / C)) entries
    ///   per expert for tokens in random order (O(T · E · log C) at worst); allocates per batch, not per token.
    public func route(scores: UnsafeBufferPointer<Float>, tokenCount: Int, placement: ExpertPlacement,
                      into buffer: inout RoutingBuffer) {
        let experts = placement.expertCount
        let capacity = capacity(tokens: tokenCount, experts: experts)
        var heaps = [UInt64](repeating: 0, count: experts * capacity)
        var heapCounts = [Int](repeating: 0, count: experts)
        // The probability a token must exceed to enter each expert's heap: −1 (any) until the heap is full.
        var bars = [Float](repeating: .infinity, count: experts + 8)  // padded: SIMD loads may run past E
        if capacity > 0 { for e in 0..<experts { bars[e] = -1 } }
        var probabilities = [Float](repeating: 0, count: experts + 8)
        heaps.withUnsafeMutableBufferPointer { heaps in
        bars.withUnsafeMutableBufferPointer { bars in
        probabilities.withUnsafeMutableBufferPointer { row in
            for token in 0..<tokenCount {
                let (_, sum) = Softmax.exponentials(scores, base: token * experts, count: experts, into: row.baseAddress!)
                for e in 0..<experts { row[e] /= sum }
                // Non-negative floats order like their bit patterns; the low word makes lower token ids larger.
                let tokenWord = UInt64(UInt32.max - UInt32(token))
                var e = 0
                while e < experts {
                    let values = UnsafeRawPointer(row.baseAddress! + e).loadUnaligned(as: SIMD8<Float>.self)
                    let limits = UnsafeRawPointer(bars.baseAddress! + e).loadUnaligned(as: SIMD8<Float>.self)
                    if anyLane(of: values, above: limits) {
                        for expert in e..<Swift.min(e + 8, experts) where row[expert] > bars[expert] {
                            let key = UInt64(row[expert].bitPattern) << 32 | tokenWord
                            let heap = heaps.baseAddress! + expert * capacity
                            if heapCounts[expert] < capacity {
                                pushHeap(key, into: heap, count: heapCounts[expert])
                                heapCounts[expert] += 1
                            } else {
                                replaceHeapRoot(with: key, in: heap, count: capacity)
                            }
                            if heapCounts[expert] == capacity { bars[expert] = Float(bitPattern: UInt32(heap[0] >> 32)) }
                        }
                    }
                    e += 8
                }
            }
        }
        }
        }
        // A token's slots list its experts in ascending id: fill them expert by expert.
        var counts = [Int](repeating: 0, count: tokenCount)
        for key in heaps { counts[Int(UInt32.max - UInt32(truncatingIfNeeded: key))] += 1 }
        buffer.reset(slotCounts: counts, k: k)
        var next = (0..<tokenCount).map { buffer.slotStart[$0] }
        for expert in 0..<experts {
            for key in heaps[expert * capacity..<(expert + 1) * capacity] {
                let token = Int(UInt32.max - UInt32(truncatingIfNeeded: key))
                buffer.experts[next[token]] = Int32(expert)
                buffer.probabilities[next[token]] = Float(bitPattern: UInt32(key >> 32))
                next[token] += 1
            }
        }
    }

    /// Adds `key` to the min-heap `heap[0 ..< count]` (which has room for it).
    /// - Complexity: O(log count).
    @inline(__always)
    private func pushHeap(_ key: UInt64, into heap: UnsafeMutablePointer<UInt64>, count: Int) {
        var child = count
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[parent] > key else { break }
            heap[child] = heap[parent]
            child = parent
        }
        heap[child] = key
    }

    /// Replaces the least key of the min-heap `heap[0 ..< count]` with the larger `key`.
    /// - Complexity: O(log count).
    @inline(__always)
    private func replaceHeapRoot(with key: UInt64, in heap: UnsafeMutablePointer<UInt64>, count: Int) {
        var parent = 0
        while true {
            var child = 2 * parent + 1
            guard child < count else { break }
            if child + 1 < count && heap[child + 1] < heap[child] { child += 1 }
            guard heap[child] < key else { break }
            heap[parent] = heap[child]
            parent = child
        }
        heap[parent] = key
    }
}
