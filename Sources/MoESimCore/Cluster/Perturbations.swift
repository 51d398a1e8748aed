/// What is wrong with a cluster in a what-if study: GPUs that compute slower than their spec
/// (stragglers: thermal throttling, a bad clock, a noisy neighbour), links that move fewer
/// bytes than theirs (a NIC that renegotiated to a lower rate, a flapping port, a degraded uplink),
/// and GPUs or nodes that failed (their tokens are not routed; their experts are served by
/// surviving replicas, re-placed on survivors, or their tokens dropped: `onFailure`).
///
/// A healthy cluster has none (`Perturbations.none`). The network models read degraded links
/// through `Topology`, whose links they scale; the layer step reads each GPU's compute factor.
public struct Perturbations: Equatable, Sendable {
    /// GPUs that run every kernel at `factor` × their normal speed.
    public struct SlowGPUs: Equatable, Sendable {
        /// Which GPUs: listed by id (ascending, distinct), or a count drawn with the run's seed.
        public enum Selection: Equatable, Sendable {
            case listed([Int])
            case drawn(count: Int)
        }
        /// Which GPUs are slow.
        public var selection: Selection
        /// Their speed as a fraction of normal, in (0, 1]: a kernel takes ⌈its time / factor⌉ ns.
        public var factor: Double

        /// Slow GPUs chosen by `selection`, at `factor` of their speed.
        public init(_ selection: Selection, factor: Double) {
            self.selection = selection
            self.factor = factor
        }

        /// The slow GPUs' ids, ascending, of `gpuCount`; a drawn selection is drawn with `seed`.
        /// - Complexity: O(gpuCount).
        public func gpus(gpuCount: Int, seed: UInt64) -> [Int] {
            switch selection {
            case .listed(let ids): return ids
            case .drawn(let count): return Perturbations.drawGPUs(count: count, of: gpuCount, seed: seed)
            }
        }
    }

    /// Which physical link (both of its directions) a degradation hits.
    public enum LinkTarget: Equatable, Sendable {
        /// A GPU's port into its node's GPU fabric: its NVLink egress and ingress (on a mesh, every link of the GPU).
        case nvlink(gpu: Int)
        /// A GPU's path to the fabric between nodes: its PCIe link to its NIC and that NIC's ports
        /// (a NIC several GPUs share is slow for all of them).
        case nic(gpu: Int)
        /// Every NIC port of a node.
        case nodeNICs(node: Int)
        /// The uplink (up and down) of one fabric switch: a leaf of a fat-tree or a rail switch.
        case fabricUplink(switch: Int)

        /// The kind's name in scenarios.
        public var kindName: String {
            switch self {
            case .nvlink: return "nvlink"
            case .nic: return "nic"
            case .nodeNICs: return "node-nics"
            case .fabricUplink: return "fabric-uplink"
            }
        }

        /// Every kind's name, in the order scenarios document them.
        public static let kindNames = ["nvlink", "nic", "node-nics", "fabric-uplink"]

        /// Words for reports: "NVLink of GPU 3", "NICs of node 1".
        public var summary: String {
            switch self {
            case let .nvlink(gpu): return "NVLink of GPU \(gpu)"
            case let .nic(gpu): return "NIC path of GPU \(gpu)"
            case let .nodeNICs(node): return "NICs of node \(node)"
            case let .fabricUplink(s): return "uplink of fabric switch \(s)"
            }
        }
    }

    /// One degraded link and what is left of its bandwidth.
    public struct DegradedLink: Equatable, Sendable {
        /// The link.
        public var target: LinkTarget
        /// Its bandwidth as a fraction of normal, in (0, 1] (latency unchanged).
        public var factor: Double

        /// A degradation of `target` to `factor` of its bandwidth.
        public init(target: LinkTarget, factor: Double) {
            self.target = target
            self.factor = factor
        }
    }

    /// What happens to an expert whose every replica is on a failed GPU.
    public enum FailurePolicy: String, CaseIterable, Sendable {
        /// It is placed on the surviving GPU that holds the fewest experts (lowest id on a tie).
        case replace
        /// Its tokens are dropped and counted.
        case drop
    }

    /// The slow GPUs, or nil.
    public var slowGPUs: SlowGPUs?
    /// The degraded links, in scenario order (two on one link multiply).
    public var degradedLinks: [DegradedLink] = []
    /// GPUs that failed, listed by id (ascending, distinct).
    public var failedGPUs: [Int] = []
    /// Nodes that failed, every GPU of them (ascending, distinct).
    public var failedNodes: [Int] = []
    /// What happens to experts left without a replica.
    public var onFailure = FailurePolicy.replace

    /// Slow GPUs and degraded links as given.
    public init(slowGPUs: SlowGPUs? = nil, degradedLinks: [DegradedLink] = []) {
        self.slowGPUs = slowGPUs
        self.degradedLinks = degradedLinks
    }

    /// A healthy cluster.
    public static let none = Perturbations()

    /// Whether nothing is perturbed.
    public var isEmpty: Bool { slowGPUs == nil && degradedLinks.isEmpty && !hasFailures }

    /// Whether a GPU or node failed.
    public var hasFailures: Bool { !failedGPUs.isEmpty || !failedNodes.isEmpty }

    /// Whether each of `gpuCount` GPUs (`gpusPerNode` per node) failed, itself or with its node.
    /// - Complexity: O(gpuCount).
    public func failed(gpuCount: Int, gpusPerNode: Int) -> [Bool] {
        var failed = [Bool](repeating: false, count: gpuCount)
        for gpu in failedGPUs { failed[gpu] = true }
        for node in failedNodes {
            for gpu in node * gpusPerNode..<(node + 1) * gpusPerNode { failed[gpu] = true }
        }
        return failed
    }

    /// Each GPU's compute speed as a fraction of normal (1 for healthy GPUs), for `gpuCount` GPUs and the run's `seed`.
    /// - Complexity: O(gpuCount).
    public func computeFactors(gpuCount: Int, seed: UInt64) -> [Double] {
        var factors = [Double](repeating: 1, count: gpuCount)
        if let slow = slowGPUs {
            for gpu in slow.gpus(gpuCount: gpuCount, seed: seed) { factors[gpu] = slow.factor }
        }
        return factors
    }

    /// How long a kernel of `nanos` takes on a GPU running at `factor` of its speed: ⌈nanos / factor⌉,
    /// so at factor 1/2 exactly twice as long.
    /// - Complexity: O(1).
    @inline(__always)
    public static func slowed(_ nanos: Int64, by factor: Double) -> Int64 {
        factor == 1 ? nanos : Int64((Double(nanos) / factor).rounded(.up))
    }

    /// `count` distinct GPUs of `gpuCount`, ascending, drawn with `seed` (a stream no token uses).
    /// - Complexity: O(gpuCount).
    public static func drawGPUs(count: Int, of gpuCount: Int, seed: UInt64) -> [Int] {
        var random = SplitMix64.stream(seed: seed, stream: slowGPUStream)
        var ids = Array(0..<gpuCount)
        for i in 0..<min(count, gpuCount) {
            let j = i + Int(random.next() % UInt64(gpuCount - i))
            ids.swapAt(i, j)
        }
        return ids.prefix(count).sorted()
    }

    /// The stream of `simulation.seed` that draws slow GPUs (far from the token batches' streams).
    static let slowGPUStream: UInt64 = 0x510A_6B05

    /// Words for the report header, for `gpuCount` GPUs and the run's `seed`:
    /// "GPU 3 at 0.5x compute; NIC path of GPU 5 at 0.5x bandwidth".
    /// - Complexity: O(gpuCount + degraded links).
    public func summary(gpuCount: Int, seed: UInt64) -> String {
        var parts: [String] = []
        if let slow = slowGPUs {
            let gpus = slow.gpus(gpuCount: gpuCount, seed: seed)
            let ids = gpus.map(String.init).joined(separator: ", ")
            let drawn = slow.selection == .listed(gpus) ? "" : " (drawn with the seed)"
            parts.append("GPU\(gpus.count == 1 ? "" : "s") \(ids)\(drawn) at \(Self.format(slow.factor))x compute")
        }
        for link in degradedLinks {
            parts.append("\(link.target.summary) at \(Self.format(link.factor))x bandwidth")
        }
        func list(_ ids: [Int]) -> String { ids.map(String.init).joined(separator: ", ") }
        if !failedGPUs.isEmpty { parts.append("GPU\(failedGPUs.count == 1 ? "" : "s") \(list(failedGPUs)) failed") }
        if !failedNodes.isEmpty { parts.append("node\(failedNodes.count == 1 ? "" : "s") \(list(failedNodes)) failed") }
        if hasFailures { parts.append("orphaned experts: \(onFailure.rawValue)") }
        return parts.joined(separator: "; ")
    }

    /// A factor as few digits as it needs ("0.5", "0.25").
    private static func format(_ factor: Double) -> String {
        String(format: "%g", factor)
    }
}
