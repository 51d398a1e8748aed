/// A flow of a `FlowNetwork`: its place in the order flows were added since the last reset, which
/// is also its index in the network's per-flow arrays (`sources`, `tags`, `finishedNanos`, …).
/// Kept apart from GPU and link indices, which are plain integers in those same arrays.
public struct FlowID: Hashable, Comparable, Sendable {
    /// The index, in 32 bits to keep the network's per-flow tables compact.
    public var rawValue: Int32

    /// The flow at index `rawValue`.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The flow at index `index`.
    /// - Precondition: `index` fits in 32 bits.
    public init(_ index: Int) { rawValue = Int32(index) }

    /// The index, to subscript the network's per-flow arrays.
    public var index: Int { Int(rawValue) }

    /// Lower index first: the order flows were added.
    public static func < (a: FlowID, b: FlowID) -> Bool { a.rawValue < b.rawValue }
}
