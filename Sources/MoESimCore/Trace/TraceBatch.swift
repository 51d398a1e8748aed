/// One batch of a trace: the tokens one MoE layer routes in one step, all GPUs together,
/// token t of GPU `t / tokensPerGPU`. Buffers are reused from batch to batch.
public struct TraceBatch: Equatable, Sendable {
    /// Scores trace: logits, `tokens × experts`, row-major.
    public var scores: [Float] = []
    /// Scores trace with device logits: `tokens × gpus`, row-major; empty otherwise.
    public var deviceLogits: [Float] = []
    /// Choices trace: expert ids, `tokens × k`; empty otherwise.
    public var experts: [Int32] = []
    /// Choices trace: gate weights, `tokens × k`; empty otherwise.
    public var weights: [Float] = []

    /// An empty batch.
    public init() {}

    /// Sizes the buffers for one batch of `header`'s shape, allocating only when a size changes.
    /// - Complexity: O(1) when the shape is unchanged, else O(batch size).
    public mutating func shape(for header: TraceHeader) {
        let tokens = header.tokensPerStep
        let scoreCount = header.payload == .scores ? tokens * header.experts : 0
        let deviceCount = header.hasDeviceLogits ? tokens * header.gpus : 0
        let slotCount = header.payload == .choices ? tokens * header.k : 0
        if scores.count != scoreCount { scores = [Float](repeating: 0, count: scoreCount) }
        if deviceLogits.count != deviceCount { deviceLogits = [Float](repeating: 0, count: deviceCount) }
        if experts.count != slotCount { experts = [Int32](repeating: 0, count: slotCount) }
        if weights.count != slotCount { weights = [Float](repeating: 0, count: slotCount) }
    }
}
