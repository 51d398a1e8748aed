/// The routing decisions for one batch of tokens, reused from batch to batch
/// so that routing allocates nothing per token.
///
/// Token t's assignments ("slots") are `slotStart[t] ..< slotStart[t + 1]`:
/// k each for top-k-like routers, any number for expert choice. Each slot names
/// an expert, its gate probability (softmax over all experts), the GPU that
/// will run it (one of the expert's replicas) and whether the capacity limit
/// dropped it.
public struct RoutingBuffer {
    /// Tokens in the batch.
    public private(set) var tokenCount = 0
    /// Nominal experts per token (k); expert choice may give a token more or fewer.
    public private(set) var k = 0
    /// Token t's slots are `slotStart[t] ..< slotStart[t + 1]`.
    public private(set) var slotStart: [Int] = [0]
    /// Expert of each slot.
    public var experts: [Int32] = []
    /// Gate probability of each slot: softmax(z)[expert] over all experts.
    public var probabilities: [Float] = []
    /// GPU that runs each slot, or `RoutingBuffer.unassigned` until a replica is chosen.
    public var gpus: [Int32] = []
    /// Whether the slot was dropped by the capacity limit.
    public var dropped: [Bool] = []

    /// Whether every token owns exactly k slots (false after `reset(slotCounts:k:)`).
    private var uniformLayout = true

    /// Marks a slot whose GPU the replica assigner still has to choose.
    public static let unassigned: Int32 = -1

    /// An empty buffer.
    public init() {}

    /// Total slots in the batch.
    public var slotCount: Int { slotStart[tokenCount] }

    /// The slots of `token`.
    @inline(__always) public func slots(of token: Int) -> Range<Int> { slotStart[token]..<slotStart[token + 1] }

    /// Prepares `tokenCount` tokens of exactly `k` slots each (token t owns `t·k ..< (t+1)·k`).
    /// - Complexity: O(tokenCount · k); allocates only when the batch shape changes.
    public mutating func reset(tokenCount: Int, k: Int) {
        // Rebuild the layout unless it already is k slots per token (expert choice leaves another one).
        if !uniformLayout || slotStart.count != tokenCount + 1 || self.k != k {
            slotStart = (0...tokenCount).map { $0 * k }
        }
        uniformLayout = true
        self.tokenCount = tokenCount
        self.k = k
        resizeSlots(tokenCount * k)
    }

    /// Prepares `counts.count` tokens where token t owns `counts[t]` slots; `k` is the nominal count.
    /// - Complexity: O(tokens + slots).
    public mutating func reset(slotCounts counts: [Int], k: Int) {
        tokenCount = counts.count
        self.k = k
        uniformLayout = false
        if slotStart.count != counts.count + 1 { slotStart = [Int](repeating: 0, count: counts.count + 1) }
        for (t, count) in counts.enumerated() { slotStart[t + 1] = slotStart[t] + count }
        resizeSlots(slotStart[tokenCount])
    }

    /// Fills the buffer with recorded choices: token t's experts are `experts[t·k ..< (t+1)·k]`,
    /// their gate probabilities `weights` at the same positions (a choices trace, replayed as recorded).
    /// - Complexity: O(tokenCount · k); allocates only when the batch shape changes.
    public mutating func replay(experts recorded: [Int32], weights: [Float], tokenCount: Int, k: Int) {
        reset(tokenCount: tokenCount, k: k)
        for slot in 0..<tokenCount * k {
            experts[slot] = recorded[slot]
            probabilities[slot] = weights[slot]
        }
    }

    private mutating func resizeSlots(_ slots: Int) {
        if experts.count != slots {
            experts = [Int32](repeating: 0, count: slots)
            probabilities = [Float](repeating: 0, count: slots)
            gpus = [Int32](repeating: RoutingBuffer.unassigned, count: slots)
            dropped = [Bool](repeating: false, count: slots)
        } else {
            for i in 0..<slots {
                gpus[i] = RoutingBuffer.unassigned
                dropped[i] = false
            }
        }
    }
}
