/// One direction of one link type: what a vendor sheet promises and what a kernel gets.
///
/// The model moves bytes at `bandwidthBytesPerSecond × efficiency` and adds
/// `latencyNanos` once per transfer phase that uses the link (α in the
/// α + bytes / bandwidth cost).
public struct LinkSpec: Equatable, Sendable {
    /// Nominal bandwidth in one direction, bytes per second (1 GB/s = 1e9 B/s).
    public var bandwidthBytesPerSecond: Double
    /// Fraction of the nominal bandwidth a real collective achieves, in (0, 1].
    public var efficiency: Double
    /// Fixed start-up cost α of a transfer over this link type, nanoseconds.
    public var latencyNanos: Int64

    /// Creates a link type.
    public init(bandwidthBytesPerSecond: Double, efficiency: Double, latencyNanos: Int64) {
        self.bandwidthBytesPerSecond = bandwidthBytesPerSecond
        self.efficiency = efficiency
        self.latencyNanos = latencyNanos
    }

    /// Achievable bandwidth, bytes per second: nominal × efficiency.
    public var effectiveBytesPerSecond: Double { bandwidthBytesPerSecond * efficiency }

    /// Time for a single transfer of `bytes` alone on this link: α + bytes / effective bandwidth.
    /// - Complexity: O(1).
    public func transferTime(bytes: Int64) -> SimTime {
        SimTime(nanoseconds: latencyNanos)
            + SimTime.duration(work: Double(bytes), ratePerSecond: effectiveBytesPerSecond)
    }
}
