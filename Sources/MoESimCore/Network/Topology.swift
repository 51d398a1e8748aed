/// The links of a cluster and the route every GPU-to-GPU transfer takes over them.
///
/// Every link is one direction of one physical link (or of an aggregated switch
/// uplink), with an effective bandwidth (nominal × efficiency) and a latency.
/// Link indices are laid out by type:
///
/// | links | count | bandwidth |
/// |---|---|---|
/// | NVLink egress, ingress of each GPU (NVSwitch nodes) | 2G | `intraNodeLink` |
/// | PCIe up, down of each GPU (to the NIC, or the peer fabric on PCIe nodes) | 2G | `gpuToNICLink` (NVSwitch) or `intraNodeLink` (PCIe) |
/// | PCIe switch uplink up, down (PCIe nodes) | 2·nodes·S | `pcieSwitchUplink` |
/// | NIC egress, ingress | 2·NICs | `nicLink` |
/// | fabric switch uplink up, down (leaves or rail switches) | 2·switches | NIC bandwidth below ÷ oversubscription |
/// | mesh link from each GPU to each other GPU of its node (mesh nodes) | G·(gpusPerNode − 1) | `intraNodeLink` |
///
/// Mesh links come last, so the other links keep their indices whatever the intra-node fabric.
/// A route's latency is the largest latency of its links (α of the transfer):
/// the NIC's latency stands for a whole path between nodes, as the analytical model has always taken it.
public struct Topology: Sendable {
    /// The hardware this topology was built from.
    public let cluster: ClusterSpec
    /// Which links GPU-to-GPU bytes inside a node take.
    public let transport: Transport
    /// Effective bandwidth of each link, bytes per second.
    public private(set) var bytesPerSecond: [Double] = []
    /// Latency of each link, nanoseconds.
    public private(set) var latencyNanos: [Int64] = []
    private let intraOutBase, intraInBase, pcieUpBase, pcieDownBase: Int32
    private let switchUpBase, switchDownBase, nicOutBase, nicInBase, fabricUpBase, fabricDownBase, meshBase: Int32
    private let fabricSwitches: Int

    /// Lays out the links of `cluster`, with the bandwidth of every link `perturbations` degrades scaled by
    /// its factor (the ids in them must exist in `cluster`, as scenario validation checks).
    /// - Complexity: O(G + NICs + switches + degraded links).
    public init(cluster: ClusterSpec, transport: Transport, perturbations: Perturbations = .none) {
        self.cluster = cluster
        self.transport = transport
        let gpus = cluster.gpuCount
        let nics = cluster.nodes * cluster.nicsPerNode
        let pcieSwitches = cluster.intraNodeFabric == .pcie ? cluster.nodes * cluster.pcieSwitchesPerNode : 0
        fabricSwitches = cluster.fabricSwitchCount
        var next: Int32 = 0
        func block(_ count: Int) -> Int32 { defer { next += Int32(count) }; return next }
        intraOutBase = block(gpus); intraInBase = block(gpus)
        pcieUpBase = block(gpus); pcieDownBase = block(gpus)
        switchUpBase = block(pcieSwitches); switchDownBase = block(pcieSwitches)
        nicOutBase = block(nics); nicInBase = block(nics)
        fabricUpBase = block(fabricSwitches); fabricDownBase = block(fabricSwitches)
        let meshLinks = cluster.intraNodeFabric == .mesh ? gpus * (cluster.gpusPerNode - 1) : 0
        meshBase = block(meshLinks)

        let pcie = cluster.intraNodeFabric == .pcie ? cluster.intraNodeLink : cluster.gpuToNICLink
        func add(_ link: LinkSpec, count: Int, latency: Int64? = nil) {
            for _ in 0..<count {
                bytesPerSecond.append(link.effectiveBytesPerSecond)
                latencyNanos.append(latency ?? link.latencyNanos)
            }
        }
        add(cluster.intraNodeLink, count: 2 * gpus)
        // On NVSwitch nodes the GPU→NIC PCIe hop has no latency of its own (the NIC's covers the path).
        add(pcie, count: 2 * gpus, latency: cluster.intraNodeFabric == .pcie ? pcie.latencyNanos : 0)
        add(cluster.pcieSwitchUplink, count: 2 * pcieSwitches, latency: 0)
        add(cluster.nicLink, count: 2 * nics)
        for _ in 0..<2 {
            for s in 0..<fabricSwitches {
                var uplink = cluster.nicLink
                uplink.bandwidthBytesPerSecond *= Double(nicsBelow(fabricSwitch: s)) / oversubscription
                add(uplink, count: 1, latency: 0)
            }
        }
        add(cluster.intraNodeLink, count: meshLinks)
        for degraded in perturbations.degradedLinks {
            for l in links(of: degraded.target) { bytesPerSecond[l] *= degraded.factor }
        }
    }

    /// The links (both directions) a degradation of `target` slows.
    /// - Complexity: O(links returned).
    public func links(of target: Perturbations.LinkTarget) -> [Int] {
        func pair(_ up: Int32, _ down: Int32, _ i: Int) -> [Int] { [Int(up) + i, Int(down) + i] }
        switch target {
        case let .nvlink(gpu):
            guard cluster.intraNodeFabric == .mesh else { return pair(intraOutBase, intraInBase, gpu) }
            let node = cluster.node(of: gpu)
            return (node * cluster.gpusPerNode..<(node + 1) * cluster.gpusPerNode).filter { $0 != gpu }
                .flatMap { [Int(meshLink(from: gpu, to: $0)), Int(meshLink(from: $0, to: gpu))] }
        case let .nic(gpu):
            let nic = cluster.nic(of: gpu)
            return pair(pcieUpBase, pcieDownBase, gpu) + pair(nicOutBase, nicInBase, nic)
        case let .nodeNICs(node):
            return (0..<cluster.nicsPerNode).flatMap { pair(nicOutBase, nicInBase, node * cluster.nicsPerNode + $0) }
        case let .fabricUplink(s):
            return pair(fabricUpBase, fabricDownBase, s)
        }
    }

    /// Number of links.
    public var linkCount: Int { bytesPerSecond.count }

    /// Whether link `l` can never limit a flow under max-min sharing, so a flow model may leave it out of
    /// routes without changing any rate: the PCIe hop between a GPU and its NIC on an NVSwitch node, when
    /// that NIC serves only this GPU and the hop is at least as fast as the NIC port. Every flow over the hop
    /// then crosses the port too (traffic between the node's GPUs takes NVLink), so both carry the same load
    /// and the port is full no later than the hop. Latency is unaffected: routes keep every link.
    /// - Complexity: O(1).
    public func neverLimits(_ l: Int) -> Bool {
        guard cluster.intraNodeFabric != .pcie, cluster.nicsPerNode == cluster.gpusPerNode else { return false }
        let gpus = Int32(cluster.gpuCount), link = Int32(l)
        if link >= pcieUpBase && link < pcieUpBase + gpus {
            return bytesPerSecond[l] >= bytesPerSecond[Int(nicOutBase) + cluster.nic(of: Int(link - pcieUpBase))]
        }
        if link >= pcieDownBase && link < pcieDownBase + gpus {
            return bytesPerSecond[l] >= bytesPerSecond[Int(nicInBase) + cluster.nic(of: Int(link - pcieDownBase))]
        }
        return false
    }

    private var oversubscription: Double {
        switch cluster.fabric {
        case .nonBlocking: return 1
        case let .fatTree(_, ratio), let .railOptimized(_, ratio): return ratio
        }
    }

    /// NIC ports under fabric switch `s` (the last leaf or group may be partial).
    private func nicsBelow(fabricSwitch s: Int) -> Int {
        switch cluster.fabric {
        case .nonBlocking: return 0
        case let .fatTree(nodesPerLeaf, _):
            return (min(cluster.nodes, (s + 1) * nodesPerLeaf) - s * nodesPerLeaf) * cluster.nicsPerNode
        case let .railOptimized(nodesPerGroup, _):
            let group = s / cluster.nicsPerNode
            return min(cluster.nodes, (group + 1) * nodesPerGroup) - group * nodesPerGroup
        }
    }

    /// Appends to `links` the links a transfer from GPU `source` to GPU `destination` crosses,
    /// in order, and returns the route's latency in nanoseconds. A GPU to itself crosses nothing.
    /// - Complexity: O(1); allocates only if `links` must grow.
    @discardableResult
    public func route(from source: Int, to destination: Int, into links: inout [Int32]) -> Int64 {
        if source == destination { return 0 }
        let start = links.count
        let sourceNode = cluster.node(of: source), destinationNode = cluster.node(of: destination)
        let pcieNode = cluster.intraNodeFabric == .pcie
        if sourceNode == destinationNode && transport == .nvlink {
            if pcieNode {
                links.append(pcieUpBase + Int32(source))
                appendSwitchHop(node: sourceNode, from: cluster.pcieSwitch(ofGPU: source),
                                to: cluster.pcieSwitch(ofGPU: destination), into: &links)
                links.append(pcieDownBase + Int32(destination))
            } else if cluster.intraNodeFabric == .mesh {
                links.append(meshLink(from: source, to: destination))
            } else {
                links.append(intraOutBase + Int32(source))
                links.append(intraInBase + Int32(destination))
            }
        } else {
            appendNICPath(from: source, to: destination, into: &links)
        }
        return latency(of: links, from: start)
    }

    /// Appends to `links` the links a loopback of GPU `gpu` crosses — its intra-node port out and
    /// back in, or GPU→NIC, NIC egress, NIC ingress, NIC→GPU — and returns the route's latency in nanoseconds.
    /// - Complexity: O(1); allocates only if `links` must grow.
    @discardableResult
    public func loopbackRoute(of gpu: Int, through kind: TrafficMatrix.Loopback, into links: inout [Int32]) -> Int64 {
        let start = links.count
        switch kind {
        case .intraNode:
            let pcieNode = cluster.intraNodeFabric == .pcie
            links.append((pcieNode ? pcieUpBase : intraOutBase) + Int32(gpu))
            links.append((pcieNode ? pcieDownBase : intraInBase) + Int32(gpu))
        case .nic:
            appendNICPath(from: gpu, to: gpu, into: &links)
        }
        return latency(of: links, from: start)
    }

    /// Appends the path between two GPUs through their NICs: GPU→NIC (with the PCIe switch hop on
    /// PCIe nodes), NIC egress, the fabric's switch uplinks if any, NIC ingress, NIC→GPU. From a GPU
    /// to itself this is the loopback through its NIC (no fabric hop).
    private func appendNICPath(from source: Int, to destination: Int, into links: inout [Int32]) {
        let sourceNIC = cluster.nic(of: source), destinationNIC = cluster.nic(of: destination)
        let pcieNode = cluster.intraNodeFabric == .pcie
        links.append(pcieUpBase + Int32(source))
        if pcieNode {
            appendSwitchHop(node: cluster.node(of: source), from: cluster.pcieSwitch(ofGPU: source),
                            to: cluster.pcieSwitch(ofNIC: sourceNIC), into: &links)
        }
        links.append(nicOutBase + Int32(sourceNIC))
        appendFabricHops(fromNIC: sourceNIC, toNIC: destinationNIC, into: &links)
        links.append(nicInBase + Int32(destinationNIC))
        if pcieNode {
            appendSwitchHop(node: cluster.node(of: destination), from: cluster.pcieSwitch(ofNIC: destinationNIC),
                            to: cluster.pcieSwitch(ofGPU: destination), into: &links)
        }
        links.append(pcieDownBase + Int32(destination))
    }

    /// The mesh link from GPU `source` to GPU `destination`, two different GPUs of one mesh node.
    @inline(__always)
    private func meshLink(from source: Int, to destination: Int) -> Int32 {
        let local = destination % cluster.gpusPerNode, sourceLocal = source % cluster.gpusPerNode
        return meshBase + Int32(source * (cluster.gpusPerNode - 1) + (local < sourceLocal ? local : local - 1))
    }

    /// A route's latency: the largest latency of the links appended from `start` on.
    @inline(__always)
    private func latency(of links: [Int32], from start: Int) -> Int64 {
        var latency: Int64 = 0
        for i in start..<links.count { latency = max(latency, latencyNanos[Int(links[i])]) }
        return latency
    }

    private func appendSwitchHop(node: Int, from: Int, to: Int, into links: inout [Int32]) {
        guard from != to else { return }
        links.append(switchUpBase + Int32(node * cluster.pcieSwitchesPerNode + from))
        links.append(switchDownBase + Int32(node * cluster.pcieSwitchesPerNode + to))
    }

    private func appendFabricHops(fromNIC source: Int, toNIC destination: Int, into links: inout [Int32]) {
        let sourceNode = source / cluster.nicsPerNode, destinationNode = destination / cluster.nicsPerNode
        let up: Int, down: Int
        switch cluster.fabric {
        case .nonBlocking:
            return
        case let .fatTree(nodesPerLeaf, _):
            up = sourceNode / nodesPerLeaf
            down = destinationNode / nodesPerLeaf
            if up == down { return }
        case let .railOptimized(nodesPerGroup, _):
            up = sourceNode / nodesPerGroup * cluster.nicsPerNode + source % cluster.nicsPerNode
            down = destinationNode / nodesPerGroup * cluster.nicsPerNode + destination % cluster.nicsPerNode
            if up == down { return }
        }
        links.append(fabricUpBase + Int32(up))
        links.append(fabricDownBase + Int32(down))
    }
}
