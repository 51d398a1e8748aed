/// Where a layer's bytes went, accounted once from the traffic of each communication phase: per
/// direction (into `PhaseCost`) and per GPU over all phases (for `LayerDetail`). Network models
/// only time the phases; every byte count the simulator reports comes from here.
public struct TrafficAccount: Sendable {
    /// GPUs per node (which pairs are intra-node).
    public let gpusPerNode: Int
    /// Bytes each GPU sent to other GPUs (or through its own links), all phases since `reset`.
    public private(set) var bytesSent: [Int64]
    /// Bytes each GPU received from other GPUs (or through its own links), all phases since `reset`.
    public private(set) var bytesReceived: [Int64]
    private var phaseSent: [Int64]
    private var phaseReceived: [Int64]

    /// An empty account for `gpuCount` GPUs, `gpusPerNode` to a node.
    public init(gpuCount: Int, gpusPerNode: Int) {
        self.gpusPerNode = gpusPerNode
        bytesSent = [Int64](repeating: 0, count: gpuCount)
        bytesReceived = bytesSent
        phaseSent = bytesSent
        phaseReceived = bytesSent
    }

    /// Forgets every phase (keeps storage).
    public mutating func reset() {
        for g in bytesSent.indices { bytesSent[g] = 0; bytesReceived[g] = 0 }
    }

    /// Adds one phase's `traffic` to `cost` (bytes only; the time is the network model's) and to the
    /// per-GPU totals. A copy to the sender's own GPU stays off every count but `totalBytes`; a loopback
    /// counts as sent and received by its GPU, inside its node.
    /// - Complexity: O(G²).
    public mutating func charge(_ traffic: some PhaseTraffic, to cost: inout PhaseCost) {
        let gpus = traffic.gpuCount
        precondition(gpus == bytesSent.count, "traffic matrix size differs from the account")
        for g in 0..<gpus { phaseSent[g] = 0; phaseReceived[g] = 0 }
        for source in 0..<gpus {
            for destination in 0..<gpus {
                let bytes = traffic.bytes(from: source, to: destination)
                if bytes == 0 { continue }
                cost.totalBytes += bytes
                if destination == source { continue }
                phaseSent[source] += bytes
                phaseReceived[destination] += bytes
                if source / gpusPerNode == destination / gpusPerNode {
                    cost.intraNodeBytes += bytes
                } else {
                    cost.interNodeBytes += bytes
                }
            }
            for kind in TrafficMatrix.Loopback.allCases {
                let bytes = traffic.loopbackBytes(of: source, through: kind)
                cost.totalBytes += bytes
                cost.intraNodeBytes += bytes
                phaseSent[source] += bytes
                phaseReceived[source] += bytes
            }
        }
        for g in 0..<gpus {
            bytesSent[g] += phaseSent[g]
            bytesReceived[g] += phaseReceived[g]
        }
        cost.maxGPUSentBytes = max(cost.maxGPUSentBytes, phaseSent.max() ?? 0)
        cost.maxGPUReceivedBytes = max(cost.maxGPUReceivedBytes, phaseReceived.max() ?? 0)
    }
}
