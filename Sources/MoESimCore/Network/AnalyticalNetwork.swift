/// The bottleneck-link bound for an all-to-all phase:
/// time = max over links (α + bytes on the link / effective bandwidth), where α is
/// the smallest route latency of the transfers crossing that link (the link can
/// carry nothing before the first of them starts), and at least, for every
/// transfer, its own route latency + bytes / the slowest link of its route.
///
/// Loopback bytes (`TrafficMatrix.loopback`) cross their GPU's port or NIC out and back in.
/// Bytes follow the `Topology`'s routes, so the bound sees every link the flow
/// model sees (NVLink or PCIe inside a node, PCIe switch uplinks, GPU→NIC PCIe,
/// NIC ports, oversubscribed fabric uplinks). When every route of the phase has
/// the same latency this is the classic α + max over links (bytes / bandwidth).
///
/// This is a lower bound on any schedule: the flow model (`FlowNetwork`) is
/// never faster on the same traffic, and equals it when every flow's bottleneck
/// is shared only with flows of the same size, as in a uniform all-to-all on a
/// non-blocking fabric.
public struct AnalyticalNetwork {
    /// The links and routes.
    public let topology: Topology
    private var linkBytes: [Int64]
    private var linkLatency: [Int64]
    private var sent: [Int64]
    private var received: [Int64]
    private var path: [Int32] = []

    /// A model of `cluster` with scratch space for its link loads.
    public init(cluster: ClusterSpec, transport: Transport = .nvlink) {
        self.init(topology: Topology(cluster: cluster, transport: transport))
    }

    /// A model over an existing topology.
    public init(topology: Topology) {
        self.topology = topology
        linkBytes = [Int64](repeating: 0, count: topology.linkCount)
        linkLatency = linkBytes
        sent = [Int64](repeating: 0, count: topology.cluster.gpuCount)
        received = sent
        path.reserveCapacity(16)
    }

    /// The cost of moving `traffic` as one all-to-all phase.
    /// - Complexity: O(G² · P) for G GPUs and routes of P ≤ 10 links; allocates nothing.
    public mutating func cost(of traffic: TrafficMatrix) -> PhaseCost {
        let cluster = topology.cluster
        precondition(traffic.gpuCount == cluster.gpuCount, "traffic matrix size differs from the cluster")
        for i in linkBytes.indices { linkBytes[i] = 0; linkLatency[i] = .max }
        for i in sent.indices { sent[i] = 0; received[i] = 0 }

        let gpus = cluster.gpuCount
        var intraBytes: Int64 = 0
        var interBytes: Int64 = 0
        var slowestTransfer = SimTime.zero
        for source in 0..<gpus {
            for destination in 0..<gpus where destination != source {
                let bytes = traffic[source, destination]
                if bytes == 0 { continue }
                sent[source] += bytes
                received[destination] += bytes
                if cluster.node(of: source) == cluster.node(of: destination) {
                    intraBytes += bytes
                } else {
                    interBytes += bytes
                }
                path.removeAll(keepingCapacity: true)
                let latency = topology.route(from: source, to: destination, into: &path)
                slowestTransfer = max(slowestTransfer, chargePath(bytes, latency: latency))
            }
        }

        for kind in TrafficMatrix.Loopback.allCases {
            for gpu in 0..<gpus where traffic.loopback(of: gpu, through: kind) > 0 {
                let bytes = traffic.loopback(of: gpu, through: kind)
                sent[gpu] += bytes
                received[gpu] += bytes
                intraBytes += bytes
                path.removeAll(keepingCapacity: true)
                let latency = topology.loopbackRoute(of: gpu, through: kind, into: &path)
                slowestTransfer = max(slowestTransfer, chargePath(bytes, latency: latency))
            }
        }

        var time = slowestTransfer
        for (link, bytes) in linkBytes.enumerated() where bytes > 0 {
            time = max(time, SimTime(nanoseconds: linkLatency[link])
                + SimTime.duration(work: Double(bytes), ratePerSecond: topology.bytesPerSecond[link]))
        }
        return PhaseCost(time: time, intraNodeBytes: intraBytes, interNodeBytes: interBytes,
                         maxGPUSentBytes: sent.max() ?? 0, maxGPUReceivedBytes: received.max() ?? 0)
    }

    /// Adds `bytes` to every link of `path` and returns when the transfer alone would end:
    /// its latency plus its bytes over the slowest link of the path.
    private mutating func chargePath(_ bytes: Int64, latency: Int64) -> SimTime {
        var bottleneck = Double.infinity
        for link in path {
            let l = Int(link)
            linkBytes[l] += bytes
            linkLatency[l] = min(linkLatency[l], latency)
            bottleneck = min(bottleneck, topology.bytesPerSecond[l])
        }
        return SimTime(nanoseconds: latency) + SimTime.duration(work: Double(bytes), ratePerSecond: bottleneck)
    }
}
