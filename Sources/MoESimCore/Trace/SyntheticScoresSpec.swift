/// Parameters of the synthetic router-score generator: expert popularity per layer and step.
public struct SyntheticScoresSpec: Equatable, Sendable {
    /// A few experts that take a fixed share of the load.
    public struct HotExperts: Equatable, Sendable {
        /// Fraction of the experts that are hot, in (0, 1): the ⌊fraction · E⌉ most popular (at least 1, at most E − 1).
        public var expertFraction: Double
        /// Fraction of the load they take together, in (0, 1), shared equally among them.
        public var loadFraction: Double

        /// Creates hot-expert parameters.
        public init(expertFraction: Double, loadFraction: Double) {
            self.expertFraction = expertFraction
            self.loadFraction = loadFraction
        }

        /// Hot experts among `experts`.
        public func count(experts: Int) -> Int {
            max(1, min(experts - 1, Int((expertFraction * Double(experts)).rounded())))
        }
    }

    /// Zipf exponent s of expert popularity: expert of popularity rank r gets
    /// probability ∝ 1 / r^s. 0 means uniform.
    public var zipfExponent: Double
    /// Hot experts, or nil for none. With them, the other experts share the rest of the load by Zipf(s).
    public var hotExperts: HotExperts?
    /// Popularity drift: each expert's popularity rank advances by this many places per step
    /// (⌊step · drift⌋ mod E), so which experts are hot changes over the steps. 0: no drift.
    public var driftExpertsPerStep: Double
    /// Correlation of popularity between layers, in [0, 1]: each expert keeps its layer-0 rank in
    /// another layer with this probability (the others' ranks are shuffled among them).
    /// 0: independent layers; 1: every layer has layer 0's popularity.
    public var layerCorrelation: Double

    /// Creates generator parameters.
    public init(zipfExponent: Double, hotExperts: HotExperts? = nil, driftExpertsPerStep: Double = 0,
                layerCorrelation: Double = 0) {
        self.zipfExponent = zipfExponent
        self.hotExperts = hotExperts
        self.driftExpertsPerStep = driftExpertsPerStep
        self.layerCorrelation = layerCorrelation
    }

    /// A short description for reports: "zipf 1.2", "zipf 0, hot 0.1/0.5, drift 0.5, layer correlation 0.8".
    public var summary: String {
        var parts = ["zipf \(JSONValue.format(zipfExponent))"]
        if let hot = hotExperts {
            parts.append("hot \(JSONValue.format(hot.expertFraction))/\(JSONValue.format(hot.loadFraction))")
        }
        if driftExpertsPerStep > 0 { parts.append("drift \(JSONValue.format(driftExpertsPerStep))") }
        if layerCorrelation > 0 { parts.append("layer correlation \(JSONValue.format(layerCorrelation))") }
        return parts.joined(separator: ", ")
    }
}
