/// How SAM scores a device from the softmax probabilities of its experts.
public enum DeviceScore: String, CaseIterable, Sendable {
    /// Sum of the device's expert probabilities (the default; the probability mass on the device).
    case sum
    /// The device's best expert probability.
    case max
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
    /// Top-k only: send a token once per destination GPU rather than once per expert.
    public var deduplicate: Bool
    /// SAM only: how a device is scored.
    public var deviceScore: DeviceScore
    /// Node-limited only: most nodes a token may reach (M).
    public var maxNodes: Int
    /// Top-k only: renormalise the k gate probabilities to sum to 1 (changes which overflow is dropped).
    public var normalize: Bool

    /// Creates a strategy description.
    public init(kind: Kind, k: Int, deduplicate: Bool = true, deviceScore: DeviceScore = .sum, maxNodes: Int = 1,
                normalize: Bool = false) {
        self.kind = kind
        self.k = k
        self.deduplicate = deduplicate
        self.deviceScore = deviceScore
        self.maxNodes = maxNodes
        self.normalize = normalize
    }

    /// Whether a token sends one copy per destination GPU (every strategy but top-k with `dedup: false`).
    public var sendsOneCopyPerGPU: Bool { kind != .topk || deduplicate }

    /// Whether the capacity limit applies per device (SAM) rather than per expert; expert choice has its own.
    public var capacityIsPerDevice: Bool { kind == .sam }

    /// A short human label: "switch", "top-2", "top-2 (no dedup)", "sam-2", "top-8, <=4 nodes".
    public var label: String {
        switch kind {
        case .switch: return "switch"
        case .topk:
            return (deduplicate ? "top-\(k)" : "top-\(k) (no dedup)") + (normalize ? " normalized" : "")
        case .sam: return deviceScore == .sum ? "sam-\(k)" : "sam-\(k) (\(deviceScore.rawValue))"
        case .nodeLimited: return "top-\(k), <=\(maxNodes) nodes"
        case .expertChoice: return "expert-choice-\(k)"
        case .hash: return "hash"
        }
    }
}
