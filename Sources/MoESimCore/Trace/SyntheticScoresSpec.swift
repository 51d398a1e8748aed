/// Parameters of the synthetic router-score generator.
public struct SyntheticScoresSpec: Equatable, Sendable {
    /// Zipf exponent s of expert popularity: expert of popularity rank r gets
    /// probability ∝ 1 / r^s. 0 means uniform.
    public var zipfExponent: Double

    /// Creates generator parameters.
    public init(zipfExponent: Double) { self.zipfExponent = zipfExponent }
}
