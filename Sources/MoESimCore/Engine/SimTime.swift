/// A point or span of simulated time: an integer count of nanoseconds.
///
/// Integer time never drifts: adding a thousand phases gives the same total in
/// any order. Durations computed from rates are rounded *up* to the next
/// nanosecond, so a transfer never completes before its last byte could arrive.
public struct SimTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the start of the run (or the length of a span).
    public let nanoseconds: Int64

    /// Creates a time from a whole number of nanoseconds.
    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// The longest single duration the model produces, 1e15 ns (11.6 days); longer ones saturate.
    public static let longestDuration = SimTime(nanoseconds: 1_000_000_000_000_000)

    /// The zero time (start of a run, or an empty span).
    public static let zero = SimTime(nanoseconds: 0)

    /// The span needed to do `work` units at `ratePerSecond` units per second,
    /// rounded up to the next nanosecond. Zero work takes zero time.
    /// - Precondition: `work >= 0` and `ratePerSecond > 0`.
    /// - Complexity: O(1).
    public static func duration(work: Double, ratePerSecond: Double) -> SimTime {
        precondition(work >= 0 && ratePerSecond > 0, "duration needs work >= 0 and a positive rate")
        if work == 0 { return .zero }
        // A tiny tolerance keeps exact products such as 1e6 B / 1e11 B/s = 1e4 ns from
        // rounding up to 10001 because of binary floating point.
        // Saturates at `SimTime.longestDuration` instead of trapping on absurd inputs.
        let nanos = min(work / ratePerSecond * 1e9, Double(longestDuration.nanoseconds))
        return SimTime(nanoseconds: Int64((nanos - 1e-6).rounded(.up)))
    }

    /// Microseconds, for reports.
    public var microseconds: Double { Double(nanoseconds) / 1_000 }
    /// The time in seconds.
    public var seconds: Double { Double(nanoseconds) / 1e9 }

    public static func + (lhs: SimTime, rhs: SimTime) -> SimTime {
        SimTime(nanoseconds: lhs.nanoseconds + rhs.nanoseconds)
    }

    public static func += (lhs: inout SimTime, rhs: SimTime) { lhs = lhs + rhs }

    public static func < (lhs: SimTime, rhs: SimTime) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public var description: String { "\(nanoseconds) ns" }
}
