/// A link of a `Topology`, as the flow network stores it: the link's index into
/// `Topology.bytesPerSecond` (the indices `Topology.route` writes), or `none`.
/// A group of flows is named by its bottleneck link, so a flow's group is a `LinkID` too.
struct LinkID: Hashable, Comparable {
    /// The index, in 32 bits as in routes; −1 for `none`.
    var rawValue: Int32

    /// The link at index `rawValue` (−1: `none`).
    init(rawValue: Int32) { self.rawValue = rawValue }

    /// The link at index `index`.
    /// - Precondition: `index` fits in 32 bits.
    init(_ index: Int) { rawValue = Int32(index) }

    /// No link: the group of a flow that is in none, the padding of a member's list of links.
    static let none = LinkID(rawValue: -1)

    /// Whether this is `none`.
    var isNone: Bool { rawValue < 0 }

    /// The index, to subscript per-link arrays.
    var index: Int { Int(rawValue) }

    /// Lower index first.
    static func < (a: LinkID, b: LinkID) -> Bool { a.rawValue < b.rawValue }
}
