/// Per-GPU and per-expert detail of one strategy on one MoE layer, over the whole run:
/// what explains a summary number (which GPU was the straggler, which expert overflowed).
///
/// Token and byte counts are totals over all steps; times are means per step.
public struct LayerDetail: Equatable, Sendable {
    /// The placement the layer ran on (after replication, if any).
    public let placement: ExpertPlacement
    /// Tokens that arrived at each GPU for its experts (local ones included; a token counts once per GPU).
    public private(set) var tokensIn: [Int64]
    /// Expert replicas on each GPU that received at least one token, summed over steps.
    public private(set) var expertsRun: [Int64]
    /// Bytes each GPU sent to other GPUs, all phases.
    public private(set) var bytesSent: [Int64]
    /// Bytes each GPU received from other GPUs, all phases.
    public private(set) var bytesReceived: [Int64]
    /// Gate and expert compute of each GPU, nanoseconds summed over steps.
    public private(set) var computeNanos: [Int64]
    /// Layer time minus the GPU's own compute (waiting for tokens, results or slower GPUs), nanoseconds summed over steps.
    public private(set) var idleNanos: [Int64]
    /// Kept token slots per expert replica (indexed like `placement.replicaGPUs`).
    public private(set) var replicaTokens: [Int64]
    /// Dropped token slots per expert (attributed to its primary replica).
    public private(set) var expertDropped: [Int64]

    /// An empty record for `placement`.
    public init(placement: ExpertPlacement) {
        self.placement = placement
        let gpus = [Int64](repeating: 0, count: placement.gpuCount)
        tokensIn = gpus; expertsRun = gpus; bytesSent = gpus; bytesReceived = gpus
        computeNanos = gpus; idleNanos = gpus
        replicaTokens = [Int64](repeating: 0, count: placement.replicaCount)
        expertDropped = [Int64](repeating: 0, count: placement.expertCount)
    }

    /// Adds one priced batch.
    /// - Complexity: O(G + replicas + experts).
    mutating func add(_ observation: LayerObservation) {
        let layerTime = observation.outcome.layerTime.nanoseconds
        for g in 0..<placement.gpuCount {
            tokensIn[g] += Int64(observation.tokensArrived[g])
            bytesSent[g] += observation.bytesSent[g]
            bytesReceived[g] += observation.bytesReceived[g]
            computeNanos[g] += observation.gpuCompute[g].nanoseconds
            idleNanos[g] += layerTime - observation.gpuCompute[g].nanoseconds
        }
        for replica in 0..<placement.replicaCount {
            replicaTokens[replica] += Int64(observation.replicaSlots[replica])
            if observation.replicaSlots[replica] > 0 { expertsRun[Int(placement.replicaGPUs[replica])] += 1 }
        }
        for expert in 0..<placement.expertCount { expertDropped[expert] += Int64(observation.droppedByExpert[expert]) }
    }
}
