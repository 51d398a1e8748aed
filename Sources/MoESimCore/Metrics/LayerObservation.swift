/// One strategy on one (step, layer) batch: what the layer cost, and the per-GPU and per-expert
/// counts `LayerDetail` keeps, copied out of the scratch space that priced it. Batches can then be
/// priced on any thread and summed in (step, layer, strategy) order, so sums come out bit-identical
/// whatever the thread count.
public struct LayerObservation: Sendable {
    /// The priced layer.
    public var outcome: LayerOutcome
    /// Slots the capacity limit dropped.
    public var droppedSlots: Int
    /// Slots offered (tokens × k).
    public var offeredSlots: Int
    /// Tokens that arrived at each GPU for its experts (one per token and GPU).
    public var tokensArrived: [Int]
    /// Kept slots of each expert replica (indexed like the placement's `replicaGPUs`).
    public var replicaSlots: [Int]
    /// All compute of each GPU.
    public var gpuCompute: [SimTime]
    /// Bytes each GPU sent, all phases (see `TrafficAccount`).
    public var bytesSent: [Int64]
    /// Bytes each GPU received, all phases.
    public var bytesReceived: [Int64]
    /// Dropped slots of each expert.
    public var droppedByExpert: [Int]
    /// With failed GPUs: kept slots served elsewhere than the pre-failure placement would have sent them.
    public var reroutedSlots = 0
    /// With failed GPUs: slots dropped because every replica of their expert failed (part of `droppedSlots`).
    public var orphanDroppedSlots = 0

    /// An observation of these counts.
    public init(outcome: LayerOutcome, droppedSlots: Int, offeredSlots: Int, tokensArrived: [Int], replicaSlots: [Int],
                gpuCompute: [SimTime], bytesSent: [Int64], bytesReceived: [Int64], droppedByExpert: [Int]) {
        self.outcome = outcome
        self.droppedSlots = droppedSlots
        self.offeredSlots = offeredSlots
        self.tokensArrived = tokensArrived
        self.replicaSlots = replicaSlots
        self.gpuCompute = gpuCompute
        self.bytesSent = bytesSent
        self.bytesReceived = bytesReceived
        self.droppedByExpert = droppedByExpert
    }
}
