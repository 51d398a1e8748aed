/// The network's own check of the max-min conditions, for tests (as swift-collections keeps
/// `Heap`'s invariant checks apart from its operations).
extension FlowNetwork {
    /// The first max-min condition the current rates break, described, or nil when they are the
    /// max-min fair allocation within `precision`: every link's load is the sum of its flows' rates
    /// (a finished flow awaiting its repair at the rate it held) and within capacity (both within
    /// `tolerance`), every group's link is saturated and no flow crossing a link with a group is
    /// faster than its level (both within `precision`), and the bookkeeping (group sizes, cached
    /// finish keys, risers) agrees. For tests.
    /// - Complexity: O(F · P + L).
    func maxMinViolation() -> String? {
        let tolerance = Self.tolerance
        var sum = [Double](repeating: 0, count: links.count)
        for l in crossings.indices {
            for p in crossings[l] { sum[l] += allocatedRate(of: entryFlow[Int(p)]) }
        }
        for l in crossings.indices {
            let capacity = topology.bytesPerSecond[l], link = links[l], members = groupMembers[l]
            if abs(sum[l] - link.load) > tolerance * capacity { return "link \(l): load \(link.load), flows sum to \(sum[l])" }
            if sum[l] > capacity * (1 + tolerance) { return "link \(l): \(sum[l]) over capacity \(capacity)" }
            if Int(link.groupSize) != members.count { return "link \(l): group size \(link.groupSize), members \(members.count)" }
            if link.hasRisers || !risers[l].isEmpty { return "link \(l): risers left after the repair" }
            guard !members.isEmpty else { continue }
            let smallestKey = members.map { membership[$0.index].finishKey }.min()!
            if !nextFinishKey[l].isNaN && nextFinishKey[l] != smallestKey {
                return "link \(l): next finish key \(nextFinishKey[l]), members' smallest \(smallestKey)"
            }
            if sum[l] < capacity * (1 - precision - tolerance) {
                return "link \(l): group of \(members.count) at \(link.level) but load \(sum[l]) < \(capacity)"
            }
            for p in crossings[l] where allocatedRate(of: entryFlow[Int(p)]) > link.level * (1 + precision + tolerance) {
                let flow = entryFlow[Int(p)]
                return "link \(l): flow \(flow.rawValue) at \(allocatedRate(of: flow)) faster than level \(link.level)"
            }
        }
        return nil
    }
}
