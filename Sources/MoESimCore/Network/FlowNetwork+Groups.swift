/// **Groups.** In a max-min fair allocation every flow has a *bottleneck*: a saturated link on
/// which no flow is faster. The flows bottlenecked on link l form its *group* (named by l, so a
/// group is a `LinkID`) and share one rate, the link's *level* λ_l. The allocation is the max-min
/// one exactly when (a) every link with a group is saturated, (b) no link is over capacity, and
/// (c) no flow crossing a link with a group is faster than that link's level. So the model stores
/// rates per group, not per flow, and a group's members progress together: each group counts the
/// bytes sent to any one member since it formed (`served`), a member finishes when that count
/// reaches its `finishKey`, and the group keeps its members in a heap by key
/// (`membersByFinishKey`). A level change is then one group update, not one per member, and
/// completion times live in a heap of groups (`groupsByNextCompletion`).
///
/// Words: a group's *members* are flows; the path entries that cross a link are its *crossings*,
/// whichever groups their flows are in.
extension FlowNetwork {
    /// A flow's group and its place in it, kept together: a finish or a move reads them all.
    struct Membership {
        /// The group's `served` count at which the flow's last byte is sent.
        var finishKey = 0.0
        /// The flow's group (`.none` unless transmitting).
        var bottleneck = LinkID.none
        /// Its index in the group's `groupMembers`.
        var groupSlot: Int32 = -1
        /// Bumped on every join, so that stale `membersByFinishKey` entries are recognised.
        var joinStamp: UInt32 = 0
    }

    /// A group member in its group's `membersByFinishKey`: smallest key first, then lowest id.
    struct QueuedMember: Comparable {
        let key: Double
        let flow: FlowID
        /// The member's `joinStamp` when queued.
        let stamp: UInt32
        static func < (a: QueuedMember, b: QueuedMember) -> Bool { a.key != b.key ? a.key < b.key : a.flow < b.flow }
    }

    /// When a member of `group` with finish key `key` sends its last byte at the group's current level.
    @inline(__always) func finishTime(key: Double, in group: LinkID) -> Int64 {
        let g = group.index
        let rate = links[g].level
        let duration = rate > 0
            ? SimTime.duration(work: max(key - served[g], 0), ratePerSecond: rate)
            : SimTime.longestDuration
        return servedAt[g] + duration.nanoseconds
    }

    /// Brings `group`'s served count to now, at the level it has had since `servedAt`.
    /// Call before its level changes.
    @inline(__always) mutating func rebase(_ group: LinkID) {
        let g = group.index
        guard servedAt[g] != now else { return }
        served[g] += links[g].level * Double(now - servedAt[g]) / 1e9
        servedAt[g] = now
    }

    /// Bytes `flow` still has to send (its group brought to now).
    mutating func remainingBytes(of flow: FlowID) -> Double {
        let group = membership[flow.index].bottleneck
        rebase(group)
        return max(membership[flow.index].finishKey - served[group.index], 0)
    }

    /// Makes `flow` a member of `group` with `remaining` bytes to send.
    mutating func join(_ flow: FlowID, group: LinkID, remaining: Double) {
        rebase(group)
        touch(group)
        let i = flow.index, g = group.index
        let entries = pathEntries(of: flow)
        if entries.count - 1 > otherLinksStride { widenOtherLinksStride(to: entries.count - 1) }
        membership[i].groupSlot = links[g].groupSize
        groupMembers[g].append(flow)
        links[g].groupSize += 1
        for p in entries { crossingGroup[Int(pathLinks[p])][Int(crossingSlot[p])] = group }
        appendOtherLinks(of: flow, toGroup: group)
        membership[i].bottleneck = group
        membership[i].joinStamp &+= 1
        membership[i].finishKey = remaining + served[g]
        membersByFinishKey[g].push(QueuedMember(key: membership[i].finishKey, flow: flow, stamp: membership[i].joinStamp))
        if membership[i].finishKey < nextFinishKey[g] { nextFinishKey[g] = membership[i].finishKey }   // NaN (not known) stays NaN
        joinedCount[g] += 1
    }

    /// Appends `flow`'s links other than `group`'s to `memberOtherLinks[group]`, padded to `otherLinksStride`.
    mutating func appendOtherLinks(of flow: FlowID, toGroup group: LinkID) {
        let entries = pathEntries(of: flow), g = group.index
        for p in entries where pathLinks[p] != group.rawValue { memberOtherLinks[g].append(LinkID(rawValue: pathLinks[p])) }
        for _ in (entries.count - 1)..<otherLinksStride { memberOtherLinks[g].append(.none) }
    }

    /// Lays every group's `memberOtherLinks` out again with `stride` entries per member.
    /// - Complexity: O(members × stride); only when a flow with more links than any before joins a group.
    mutating func widenOtherLinksStride(to stride: Int) {
        otherLinksStride = stride
        for g in groupMembers.indices where links[g].groupSize > 0 {
            memberOtherLinks[g].removeAll(keepingCapacity: true)
            for flow in groupMembers[g] { appendOtherLinks(of: flow, toGroup: LinkID(g)) }
        }
    }

    /// Pops the entries of flows that have left `group` (finished or moved) off the top of its `membersByFinishKey`.
    @inline(__always) mutating func dropStaleEntries(of group: LinkID) {
        let g = group.index
        while let top = membersByFinishKey[g].min,
              membership[top.flow.index].bottleneck != group || membership[top.flow.index].joinStamp != top.stamp {
            _ = membersByFinishKey[g].popMin()
        }
    }

    /// Takes `flow` out of its group.
    mutating func leaveGroup(_ flow: FlowID) {
        let i = flow.index
        let group = membership[i].bottleneck, g = group.index
        touch(group)
        let slot = Int(membership[i].groupSlot)
        let last = groupMembers[g].removeLast()
        links[g].groupSize -= 1
        let stride = otherLinksStride, lastBlock = memberOtherLinks[g].count - stride
        if last != flow {
            groupMembers[g][slot] = last
            membership[last.index].groupSlot = Int32(slot)
            for k in 0..<stride { memberOtherLinks[g][slot * stride + k] = memberOtherLinks[g][lastBlock + k] }
        }
        memberOtherLinks[g].removeLast(stride)
        if links[g].groupSize == 0 {
            membersByFinishKey[g].removeAll()
            nextFinishKey[g] = .infinity
        } else if membership[i].finishKey <= nextFinishKey[g] {
            nextFinishKey[g] = .nan   // it may have been the smallest: the queue will tell
        }
        membership[i].bottleneck = .none
    }
}
