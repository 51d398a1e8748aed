/// The routing decisions for one batch of tokens, reused from batch to batch
/// so that routing allocates nothing per token.
///
/// Token t's assignments are slots `t·k ..< (t+1)·k`; each slot names an
/// expert, its gate probability (softmax over all experts) and whether the
/// capacity limit dropped it.
public struct RoutingBuffer {
    /// Assignments per token.
    public private(set) var k = 0
    /// Tokens in the batch.
    public private(set) var tokenCount = 0
    /// Expert of each slot.
    public var experts: [Int32] = []
    /// Gate probability of each slot: softmax(z)[expert] over all experts.
    public var probabilities: [Float] = []
    /// Whether the slot was dropped by the capacity limit.
    public var dropped: [Bool] = []

    /// An empty buffer.
    public init() {}

    /// Resizes for `tokenCount` tokens of `k` slots each, keeping capacity; clears drops.
    /// - Complexity: O(tokenCount · k), no allocation once the buffer has grown.
    public mutating func reset(tokenCount: Int, k: Int) {
        self.tokenCount = tokenCount
        self.k = k
        let slots = tokenCount * k
        if experts.count != slots {
            experts = [Int32](repeating: 0, count: slots)
            probabilities = [Float](repeating: 0, count: slots)
            dropped = [Bool](repeating: false, count: slots)
        } else {
            for i in 0..<slots { dropped[i] = false }
        }
    }
}
