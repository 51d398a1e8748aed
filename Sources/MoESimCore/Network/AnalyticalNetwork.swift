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
        path.reserveCapacity(16)
    }

    /// How long moving `traffic` as one all-to-all phase takes at least. Where the bytes went (per node,
    /// per GPU) is accounted by `PhaseCost`, from the same traffic.
    /// - Complexity: O(G² · P) for G GPUs and routes of P ≤ 10 links; allocates nothing.
    public mutating func time(of traffic: some PhaseTraffic) -> SimTime {
        precondition(traffic.gpuCount == topology.cluster.gpuCount, "traffic matrix size differs from the cluster")
        for i in linkBytes.indices { linkBytes[i] = 0; linkLatency[i] = .max }
        let gpus = traffic.gpuCount
        var slowestTransfer = SimTime.zero
        for source in 0..<gpus {
            for destination in 0..<gpus where destination != source {
                let bytes = traffic.bytes(from: source, to: destination)
                if bytes == 0 { continue }
                path.removeAll(keepingCapacity: true)
                let latency = topology.route(from: source, to: destination, into: &path)
                slowestTransfer = max(slowestTransfer, chargePath(bytes, latency: latency))
            }
        }
        for kind in TrafficMatrix.Loopback.allCases {
            for gpu in 0..<gpus {
                let bytes = traffic.loopbackBytes(of: gpu, through: kind)
                if bytes == 0 { continue }
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
        return time
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
