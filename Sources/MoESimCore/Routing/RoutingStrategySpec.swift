/// How SAM scores a device from the softmax probabilities of its experts.
public enum DeviceScore: String, CaseIterable, Sendable {
    /// Sum of the device's expert probabilities (the default; the probability mass on the device).
    case sum
    /// The device's best expert probability.
    case max
    /// The device logits a scores trace carries (its device block), argmax over devices.
    case trace
}

/// How a sender turns a token's kept experts into copies on the wire.
public enum Deduplication: String, CaseIterable, Sendable {
    /// One copy per destination GPU (the default).
    case perGPU = "gpu"
    /// One copy per destination node over the network, sent to the GPU with the sender's local index
    /// (its rail peer), which forwards it over NVLink to the destination GPUs of that node; within the
    /// sender's own node, one copy per GPU (with `SelfCopies.links`, after a loopback through the
    /// sender's NIC, as for any other node). DeepEP's internode "normal" kernels work this way.
    case perNode = "node"
    /// One copy per expert, even when two experts share a GPU (DeepEP's low-latency kernels).
    case none
}

/// One routing strategy as a scenario names it, with its parameters.
public struct RoutingStrategySpec: Equatable, Sendable {
    /// The strategy families (CSV `strategy` column).
    public enum Kind: String, CaseIterable, Sendable {
        /// Top-1: each token goes to its highest-scoring expert.
        case `switch`
        /// Top-k: each token goes to its k highest-scoring experts, possibly on k GPUs.
        case topk
        /// Switch and Mixture: one device per token, then its k best experts on that device.
        case sam
        /// Top-k within at most M nodes (DeepSeek-V3).
        case nodeLimited = "node-limited"
        /// Each expert takes its top-C tokens (Zhou et al. 2022).
        case expertChoice = "expert-choice"
        /// A fixed hash of the token picks one expert (Roller et al. 2021).
        case hash
    }

    /// The strategy family.
    public var kind: Kind
    /// Experts activated per token (1 for Switch).
    public var k: Int
    /// How a token's copies are sent (Switch and SAM always have a single destination GPU).
    public var deduplication: Deduplication
    /// SAM only: how a device is scored.
    public var deviceScore: DeviceScore
    /// Node-limited only: most nodes a token may reach (M).
    public var maxNodes: Int
    /// Top-k only: renormalise the k gate probabilities to sum to 1 (changes which overflow is dropped).
    public var normalize: Bool

    /// Creates a strategy description.
    public init(kind: Kind, k: Int, deduplication: Deduplication = .perGPU, deviceScore: DeviceScore = .sum, maxNodes: Int = 1,
                normalize: Bool = false) {
        self.kind = kind
        self.k = k
        self.deduplication = deduplication
        self.deviceScore = deviceScore
        self.maxNodes = maxNodes
        self.normalize = normalize
    }

    /// What capacity factor `factor` allows this strategy for a batch of `tokens` tokens on `placement`:
    /// per device for SAM (a token brings all its experts to one device), per expert otherwise; nil for
    /// expert choice, whose router sizes its own per-expert capacity.
    /// - Complexity: O(1).
    public func capacityLimit(factor: Double, tokens: Int, placement: ExpertPlacement) -> CapacityLimiter.Limit? {
        switch kind {
        case .expertChoice:
            return nil
        case .sam:
            return .init(capacity: CapacityLimiter.deviceCapacity(capacityFactor: factor, tokens: tokens,
                                                                 devices: placement.gpuCount), perDevice: true)
        case .switch, .topk, .nodeLimited, .hash:
            return .init(capacity: CapacityLimiter.expertCapacity(capacityFactor: factor, tokens: tokens, k: k,
                                                                 experts: placement.expertCount), perDevice: false)
        }
    }

    /// What a placement must keep for this strategy to route on a cluster of `gpusPerNode` GPUs per node:
    /// node-limited top-k needs k experts within any M nodes; nil when any placement will do.
    public func nodeLimit(gpusPerNode: Int) -> ReplicationBalancer.NodeLimit? {
        kind == .nodeLimited ? .init(maxNodes: maxNodes, k: k, gpusPerNode: gpusPerNode) : nil
    }

    /// A short human label: "switch", "top-2", "top-2 (no dedup)", "sam-2", "top-8, <=4 nodes".
    public var label: String {
        switch kind {
        case .switch: return "switch" + dedupSuffix
        case .topk: return "top-\(k)" + (normalize ? " normalized" : "") + dedupSuffix
        case .sam: return (deviceScore == .sum ? "sam-\(k)" : "sam-\(k) (\(deviceScore.rawValue))") + dedupSuffix
        case .nodeLimited: return "top-\(k), <=\(maxNodes) nodes" + dedupSuffix
        case .expertChoice: return "expert-choice-\(k)" + dedupSuffix
        case .hash: return "hash" + dedupSuffix
        }
    }

    private var dedupSuffix: String {
        switch deduplication {
        case .perGPU: return ""
        case .perNode: return " (node dedup)"
        case .none: return " (no dedup)"
        }
    }
}
