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

    /// The end of the range the model computes in, 1e15 ns (11.6 days): a duration (or a sum of a
    /// layer's durations, see `cappedSum`) that would be longer is held at this value, so no time
    /// arithmetic can overflow, and a time that reaches it `isOutOfRange`: the simulator then stops
    /// with an error naming the keys to change instead of reporting it.
    public static let longestDuration = SimTime(nanoseconds: 1_000_000_000_000_000)

    /// Whether this time reached `longestDuration`, so that it stands for "longer than the model computes".
    public var isOutOfRange: Bool { nanoseconds >= SimTime.longestDuration.nanoseconds }

    /// `a + b` nanoseconds held at `longestDuration` (both at most a few times it): adds a layer's
    /// durations without overflow, a sum out of range staying out of range.
    /// - Complexity: O(1).
    public static func cappedSum(_ a: Int64, _ b: Int64) -> Int64 { min(a + b, longestDuration.nanoseconds) }

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
        // Held at `longestDuration` (out of range, caught by the simulator) rather than converted
        // when too long or not a number: a Double beyond Int64 would trap.
        let nanos = work / ratePerSecond * 1e9
        guard nanos < Double(longestDuration.nanoseconds) else { return longestDuration }
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
