/// The run's seeded pseudo-random generator: SplitMix64 (Steele, Lea & Flood, 2014).
///
/// Small, fast and fully determined by its seed on every platform, unlike
/// `SystemRandomNumberGenerator`. Every random draw in a run comes from one of
/// these, seeded from the scenario's `simulation.seed`.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator whose whole output is determined by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    /// - Complexity: O(1).
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in the open interval (0, 1): never exactly 0 or 1,
    /// so `log` of it is always finite.
    /// - Complexity: O(1).
    public mutating func nextOpenUnitDouble() -> Double {
        (Double(next() >> 11) + 0.5) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A generator for an independent stream derived from this seed and `stream`
    /// (for example one per layer), so that adding a stream does not shift others.
    /// - Complexity: O(1).
    public static func stream(seed: UInt64, stream: UInt64) -> SplitMix64 {
        var mixer = SplitMix64(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        return SplitMix64(seed: mixer.next())
    }
}
