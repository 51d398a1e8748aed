/// The bottleneck-link bound for an all-to-all phase:
/// time = α + max over links (bytes on the link / effective bandwidth).
///
/// Links, each one direction: a GPU's link into the intra-node fabric
/// (NVLink into the NVSwitch, or PCIe on a PCIe node), its PCIe link to its NIC
/// (on a PCIe node the same link as before, so intra- and inter-node bytes add
/// up on it), and each NIC's port. The fabric between nodes and the NVSwitch
/// are taken as non-blocking (with `Transport.rdma`, bytes within a node also
/// take the PCIe and NIC path, looping back through the switch). α is the
/// largest latency of the link types the phase uses: the intra-node link's for
/// GPU-to-GPU bytes within a node, the NIC's for bytes through a NIC.
///
/// This is a lower bound on any schedule that keeps every link busy; the flow
/// model (a later addition) adds contention on top of it.
public struct AnalyticalNetwork {
    /// The hardware.
    public let cluster: ClusterSpec
    /// Which links bytes between GPUs of one node take.
    public let transport: Transport
    private var intraEgress: [Int64]
    private var intraIngress: [Int64]
    private var pcieEgress: [Int64]
    private var pcieIngress: [Int64]
    private var nicEgress: [Int64]
    private var nicIngress: [Int64]
    private var sent: [Int64]
    private var received: [Int64]

    /// A model of `cluster` with scratch space for its link loads.
    public init(cluster: ClusterSpec, transport: Transport = .nvlink) {
        self.cluster = cluster
        self.transport = transport
        let gpus = cluster.gpuCount
        let nics = cluster.nodes * cluster.nicsPerNode
        intraEgress = [Int64](repeating: 0, count: gpus)
        intraIngress = intraEgress
        pcieEgress = intraEgress
        pcieIngress = intraEgress
        sent = intraEgress
        received = intraEgress
        nicEgress = [Int64](repeating: 0, count: nics)
        nicIngress = nicEgress
    }

    /// The cost of moving `traffic` as one all-to-all phase.
    /// - Complexity: O(G²) for G GPUs; allocates nothing.
    public mutating func cost(of traffic: TrafficMatrix) -> PhaseCost {
        precondition(traffic.gpuCount == cluster.gpuCount, "traffic matrix size differs from the cluster")
        for i in intraEgress.indices {
            intraEgress[i] = 0; intraIngress[i] = 0; pcieEgress[i] = 0; pcieIngress[i] = 0
            sent[i] = 0; received[i] = 0
        }
        for i in nicEgress.indices { nicEgress[i] = 0; nicIngress[i] = 0 }

        let gpus = cluster.gpuCount
        let pcieNode = cluster.intraNodeFabric == .pcie
        var intraBytes: Int64 = 0
        var interBytes: Int64 = 0
        for source in 0..<gpus {
            for destination in 0..<gpus where destination != source {
                let bytes = traffic[source, destination]
                if bytes == 0 { continue }
                sent[source] += bytes
                received[destination] += bytes
                let sameNode = cluster.node(of: source) == cluster.node(of: destination)
                if sameNode { intraBytes += bytes } else { interBytes += bytes }
                if sameNode && transport == .nvlink {
                    if pcieNode {
                        pcieEgress[source] += bytes
                        pcieIngress[destination] += bytes
                    } else {
                        intraEgress[source] += bytes
                        intraIngress[destination] += bytes
                    }
                } else {
                    pcieEgress[source] += bytes
                    pcieIngress[destination] += bytes
                    nicEgress[cluster.nic(of: source)] += bytes
                    nicIngress[cluster.nic(of: destination)] += bytes
                }
            }
        }

        let pcieLink = pcieNode ? cluster.intraNodeLink : cluster.gpuToNICLink
        var busiest = SimTime.zero
        func consider(_ loads: [Int64], _ link: LinkSpec) {
            for bytes in loads where bytes > 0 {
                busiest = max(busiest, SimTime.duration(work: Double(bytes), ratePerSecond: link.effectiveBytesPerSecond))
            }
        }
        consider(intraEgress, cluster.intraNodeLink)
        consider(intraIngress, cluster.intraNodeLink)
        consider(pcieEgress, pcieLink)
        consider(pcieIngress, pcieLink)
        consider(nicEgress, cluster.nicLink)
        consider(nicIngress, cluster.nicLink)

        var alpha: Int64 = 0
        if intraBytes > 0 {
            alpha = max(alpha, transport == .nvlink ? cluster.intraNodeLink.latencyNanos : cluster.nicLink.latencyNanos)
        }
        if interBytes > 0 { alpha = max(alpha, cluster.nicLink.latencyNanos) }
        let time = intraBytes + interBytes == 0 ? SimTime.zero : SimTime(nanoseconds: alpha) + busiest
        return PhaseCost(time: time, intraNodeBytes: intraBytes, interNodeBytes: interBytes,
                         maxGPUSentBytes: sent.max() ?? 0, maxGPUReceivedBytes: received.max() ?? 0)
    }
}
