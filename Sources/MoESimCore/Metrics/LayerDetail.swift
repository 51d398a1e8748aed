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

    /// Adds one evaluated batch: `step` has just priced `buffer` into `outcome`.
    /// - Complexity: O(G² + slots).
    mutating func add(_ step: MoELayerStep, outcome: LayerOutcome, buffer: RoutingBuffer) {
        let scenario = step.scenario
        let gpus = placement.gpuCount
        let traffic = step.dispatchTraffic
        // Combine (and, in training, both backward transfers) mirror dispatch at the combine element size.
        func combineSized(_ dispatchBytes: Int64) -> Int64 {
            dispatchBytes / scenario.model.dispatchBytesPerToken * scenario.model.combineBytesPerToken
        }
        let passes: Int64 = scenario.simulation.mode == .training ? 2 : 1
        for g in 0..<gpus {
            var sentDispatch: Int64 = 0, receivedDispatch: Int64 = 0
            tokensIn[g] += Int64(step.tokensArrived[g])
            for other in 0..<gpus where other != g {
                sentDispatch += traffic[g, other]
                receivedDispatch += traffic[other, g]
            }
            for kind in TrafficMatrix.Loopback.allCases {
                sentDispatch += traffic.loopback(of: g, through: kind)
                receivedDispatch += traffic.loopback(of: g, through: kind)
            }
            // Forward: dispatch out, combine back; training adds combine-grad out (combine size) and dispatch-grad back.
            let sent = sentDispatch + combineSized(receivedDispatch)
            let received = receivedDispatch + combineSized(sentDispatch)
            let backwardSent = combineSized(sentDispatch + receivedDispatch)
            bytesSent[g] += sent + (passes - 1) * backwardSent
            bytesReceived[g] += received + (passes - 1) * backwardSent
            let compute = step.gpuCompute[g].nanoseconds
            computeNanos[g] += compute
            idleNanos[g] += outcome.layerTime.nanoseconds - compute
        }
        for replica in 0..<placement.replicaCount {
            replicaTokens[replica] += Int64(step.replicaTokens[replica])
            if step.replicaTokens[replica] > 0 { expertsRun[Int(placement.replicaGPUs[replica])] += 1 }
        }
        for slot in 0..<buffer.slotCount where buffer.dropped[slot] {
            expertDropped[Int(buffer.experts[slot])] += 1
        }
    }
}
