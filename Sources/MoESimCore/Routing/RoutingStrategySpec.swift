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
    }

    /// The strategy family.
    public var kind: Kind
    /// Experts activated per token (1 for Switch).
    public var k: Int
    /// Top-k only: send a token once per destination GPU rather than once per expert.
    public var deduplicate: Bool
    /// SAM only: how a device is scored.
    public var deviceScore: DeviceScore

    /// Creates a strategy description.
    public init(kind: Kind, k: Int, deduplicate: Bool = true, deviceScore: DeviceScore = .sum) {
        self.kind = kind
        self.k = k
        self.deduplicate = deduplicate
        self.deviceScore = deviceScore
    }

    /// A short human label: "switch", "top-2", "top-2 (no dedup)", "sam-2".
    public var label: String {
        switch kind {
        case .switch: return "switch"
        case .topk: return deduplicate ? "top-\(k)" : "top-\(k) (no dedup)"
        case .sam: return deviceScore == .sum ? "sam-\(k)" : "sam-\(k) (\(deviceScore.rawValue))"
        }
    }
}
