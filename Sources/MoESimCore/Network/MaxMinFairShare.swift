/// Max-min fair rates for flows sharing links, by progressive filling.
///
/// All flows' rates rise together; when a link runs out of capacity, the flows
/// crossing it freeze at its fair share and the rest keep rising (Bertsekas &
/// Gallager, *Data Networks*, §6.5.2; SimGrid's flow models do the same).
/// Implemented link by link: a heap holds each link's fair share
/// (remaining capacity ÷ unfrozen flows); the lowest link freezes its flows,
/// which lowers remaining capacity and counts on the other links of their paths.
/// A link's share never falls when flows at the current minimum leave it, so
/// stale heap entries are simply re-pushed with their new, larger share.
///
/// Result: every flow's rate is its bottleneck link's share, no link carries more
/// than its capacity, and every flow crosses a saturated link on which no flow is faster.
public struct MaxMinFairShare {
    private var remaining: [Double] = []
    private var unfrozen: [Int32] = []
    private var linkFlowStart: [Int32] = []
    private var linkFlows: [Int32] = []
    private var frozen: [Bool] = []
    /// A link's fair share; lower first, equal shares by lower link index, so the result never
    /// depends on heap history.
    private struct LinkShare: Comparable {
        let share: Double
        let link: Int32
        static func < (a: LinkShare, b: LinkShare) -> Bool {
            a.share != b.share ? a.share < b.share : a.link < b.link
        }
    }

    private var heap = BinaryHeap<LinkShare>()
    private var touched: [Int32] = []

    /// A solver with empty scratch space (it grows to the largest problem seen, then stays).
    public init() {}

    /// Sets `rates[f]` for every flow `f` in `flows` to its max-min fair rate, and
    /// `bottlenecks[f]` to the link it froze on.
    /// - Parameters:
    ///   - capacities: bytes per second of each link (> 0).
    ///   - fixedLoad: bytes per second already taken on each link by flows outside `flows`
    ///     (nil: none); the flows share what is left.
    ///   - pathStart: flow `f` crosses `pathLinks[pathStart[f] ..< pathStart[f + 1]]` (at least one link).
    ///   - flows: the flows to solve (ids into `pathStart`); others are ignored.
    ///   - rates, bottlenecks: indexed by flow id; only the solved flows' entries are written.
    /// - Complexity: O(F · P + T log T) for F flows of P links each touching T distinct links;
    ///   allocation-free once the scratch space has grown to the largest problem seen.
    public mutating func solve(capacities: [Double], fixedLoad: [Double]? = nil, pathStart: [Int32], pathLinks: [Int32],
                               flows: [Int32], rates: inout [Double], bottlenecks: inout [Int32]) {
        let linkCount = capacities.count
        if remaining.count < linkCount {
            remaining = [Double](repeating: 0, count: linkCount)
            unfrozen = [Int32](repeating: 0, count: linkCount)
            linkFlowStart = [Int32](repeating: 0, count: linkCount + 1)
        }
        if frozen.count < flows.count { frozen = [Bool](repeating: false, count: flows.count) }
        touched.removeAll(keepingCapacity: true)

        // Links → flows crossing them (CSR over positions in `flows`), by counting sort over touched links.
        for f in flows {
            for p in Int(pathStart[Int(f)])..<Int(pathStart[Int(f) + 1]) {
                let l = Int(pathLinks[p])
                if unfrozen[l] == 0 { touched.append(Int32(l)) }
                unfrozen[l] += 1
            }
        }
        var offset: Int32 = 0
        for link in touched {
            let l = Int(link)
            linkFlowStart[l] = offset
            offset += unfrozen[l]
            remaining[l] = capacities[l] - (fixedLoad?[l] ?? 0)
        }
        if linkFlows.count < Int(offset) { linkFlows = [Int32](repeating: 0, count: Int(offset)) }
        for (position, f) in flows.enumerated() {
            frozen[position] = false
            for p in Int(pathStart[Int(f)])..<Int(pathStart[Int(f) + 1]) {
                let l = Int(pathLinks[p])
                linkFlows[Int(linkFlowStart[l])] = Int32(position)
                linkFlowStart[l] += 1
            }
        }
        // Each touched link's cursor now sits at its end; its start is end − count.

        heap.removeAll()
        for link in touched {
            heap.push(LinkShare(share: max(remaining[Int(link)], 0) / Double(unfrozen[Int(link)]), link: link))
        }
        while let (share, link) = heap.popMin().map({ ($0.share, $0.link) }) {
            let l = Int(link)
            let count = unfrozen[l]
            if count == 0 { continue }
            let current = max(remaining[l], 0) / Double(count)
            if current > share {
                heap.push(LinkShare(share: current, link: link))
                continue
            }
            let end = Int(linkFlowStart[l])
            var i = end
            // Walk back over this link's flows (its CSR range ends at `end`); frozen ones are skipped.
            var left = Int(count)
            while left > 0 {
                i -= 1
                let position = Int(linkFlows[i])
                if frozen[position] { continue }
                left -= 1
                frozen[position] = true
                let f = Int(flows[position])
                rates[f] = current
                bottlenecks[f] = link
                for p in Int(pathStart[f])..<Int(pathStart[f + 1]) {
                    let other = Int(pathLinks[p])
                    remaining[other] -= current
                    unfrozen[other] -= 1
                }
            }
        }
    }
}
