/// How the GPUs inside one node talk to each other.
public enum IntraNodeFabric: String, CaseIterable, Sendable {
    /// Every GPU has its own NVLink port group into an NVSwitch: a non-blocking
    /// crossbar, so the bottleneck is a GPU's own egress or ingress.
    case nvswitch
    /// No NVLink: peer-to-peer traffic crosses each GPU's PCIe link, the same
    /// link its NIC traffic uses.
    case pcie
    /// Every pair of GPUs has its own link (AMD MI300X's Infinity Fabric: 7 links per GPU on an 8-GPU
    /// board), so a transfer can use only its pair's link: a skewed all-to-all saturates one link
    /// while the others idle. `intraNodeLink` is one pair's link.
    case mesh
}

/// The hardware a scenario runs on: nodes of identical GPUs, the fabric inside
/// a node, and NICs onto the fabric between nodes (`fabric`: non-blocking, fat-tree or rail).
///
/// GPU `g` lives on node `g / gpusPerNode` and sends its inter-node traffic
/// through NIC `(g % gpusPerNode) * nicsPerNode / gpusPerNode` of its node
/// (GPU–NIC affinity, as on DGX systems with one NIC per GPU).
public struct ClusterSpec: Equatable, Sendable {
    /// The preset this description started from, if any (echoed in reports).
    public var presetName: String?
    /// Number of nodes, ≥ 1.
    public var nodes: Int
    /// GPUs per node, ≥ 1.
    public var gpusPerNode: Int
    /// The GPU model.
    public var gpu: GPUSpec
    /// The fabric inside a node.
    public var intraNodeFabric: IntraNodeFabric
    /// One GPU's link into the intra-node fabric (NVLink to the NVSwitch, or PCIe), per direction.
    public var intraNodeLink: LinkSpec
    /// One GPU's PCIe link to its NIC, per direction (on a PCIe node, the same as `intraNodeLink`).
    public var gpuToNICLink: LinkSpec
    /// NICs per node, ≥ 1.
    public var nicsPerNode: Int
    /// One NIC port, per direction.
    public var nicLink: LinkSpec
    /// The fabric between nodes.
    public var fabric: FabricSpec = .nonBlocking
    /// PCIe switches per node on a `.pcie` node (GPUs and NICs are spread over them in order);
    /// peer traffic between GPUs under different switches crosses both switches' uplinks.
    public var pcieSwitchesPerNode = 1
    /// One PCIe switch's uplink to the host root complex, per direction (used when `pcieSwitchesPerNode > 1`).
    public var pcieSwitchUplink = LinkSpec(bandwidthBytesPerSecond: 32e9, efficiency: 0.8, latencyNanos: 0)

    /// Creates a cluster description.
    public init(presetName: String?, nodes: Int, gpusPerNode: Int, gpu: GPUSpec,
                intraNodeFabric: IntraNodeFabric, intraNodeLink: LinkSpec,
                gpuToNICLink: LinkSpec, nicsPerNode: Int, nicLink: LinkSpec) {
        self.presetName = presetName
        self.nodes = nodes
        self.gpusPerNode = gpusPerNode
        self.gpu = gpu
        self.intraNodeFabric = intraNodeFabric
        self.intraNodeLink = intraNodeLink
        self.gpuToNICLink = gpuToNICLink
        self.nicsPerNode = nicsPerNode
        self.nicLink = nicLink
    }

    /// Total GPUs: nodes × gpusPerNode.
    public var gpuCount: Int { nodes * gpusPerNode }

    /// The node that holds `gpu`.
    @inline(__always) public func node(of gpu: Int) -> Int { gpu / gpusPerNode }

    /// The PCIe switch (node-local index) that `gpu` sits under on a `.pcie` node.
    @inline(__always) public func pcieSwitch(ofGPU gpu: Int) -> Int {
        (gpu % gpusPerNode) * pcieSwitchesPerNode / gpusPerNode
    }

    /// The PCIe switch (node-local index) that cluster-wide NIC `nic` sits under on a `.pcie` node.
    @inline(__always) public func pcieSwitch(ofNIC nic: Int) -> Int {
        (nic % nicsPerNode) * pcieSwitchesPerNode / nicsPerNode
    }

    /// The cluster-wide index of the NIC that `gpu` uses for inter-node traffic.
    @inline(__always) public func nic(of gpu: Int) -> Int {
        let local = gpu % gpusPerNode
        return node(of: gpu) * nicsPerNode + local * nicsPerNode / gpusPerNode
    }

    /// Fabric switches with an uplink (leaves of a fat-tree, rail switches of every group; none when non-blocking).
    public var fabricSwitchCount: Int {
        switch fabric {
        case .nonBlocking: return 0
        case let .fatTree(nodesPerLeaf, _): return (nodes + nodesPerLeaf - 1) / nodesPerLeaf
        case let .railOptimized(nodesPerGroup, _): return (nodes + nodesPerGroup - 1) / nodesPerGroup * nicsPerNode
        }
    }

    /// A copy with every bandwidth (all links and HBM) scaled by `factor`, compute unchanged:
    /// what-if studies and the "faster hardware is never slower" property.
    public func scalingBandwidths(by factor: Double) -> ClusterSpec {
        var copy = self
        copy.intraNodeLink.bandwidthBytesPerSecond *= factor
        copy.gpuToNICLink.bandwidthBytesPerSecond *= factor
        copy.nicLink.bandwidthBytesPerSecond *= factor
        copy.pcieSwitchUplink.bandwidthBytesPerSecond *= factor
        copy.gpu.hbmBytesPerSecond *= factor
        return copy
    }
}
