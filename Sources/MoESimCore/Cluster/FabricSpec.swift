/// The switched fabric between the nodes' NICs.
///
/// Switch uplinks are modelled as one aggregated link per direction per switch
/// (ideal ECMP spreading over its uplink ports): its bandwidth is the NIC bandwidth
/// below the switch divided by the oversubscription ratio, with the NIC's
/// efficiency. The NIC's latency stands for the whole path, so uplinks add none.
public enum FabricSpec: Equatable, Sendable {
    /// A single non-blocking switch (full bisection): only NIC ports limit traffic.
    case nonBlocking
    /// Two-level fat-tree: leaf switches with `nodesPerLeaf` nodes below each, and
    /// uplinks to the spine with `oversubscription`:1 (1 = full bisection).
    /// Traffic between nodes under different leaves crosses both leaves' uplinks.
    case fatTree(nodesPerLeaf: Int, oversubscription: Double)
    /// Rail-optimised: NIC `r` of every node in a group of `nodesPerGroup` nodes hangs
    /// off rail switch `r` of that group. Same rail, same group: one switch hop, non-blocking.
    /// Any other pair (another rail, or another group) crosses both rail switches' uplinks to
    /// the spine, oversubscribed `oversubscription`:1.
    case railOptimized(nodesPerGroup: Int, oversubscription: Double)

    /// The name used in scenarios and reports.
    public var kindName: String {
        switch self {
        case .nonBlocking: return "non-blocking"
        case .fatTree: return "fat-tree"
        case .railOptimized: return "rail"
        }
    }
}
