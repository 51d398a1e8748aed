/// **Repair.** When flows finish or start, the links whose load changed are *dirty*. Dirty links
/// are settled lowest level first (the order of progressive filling): a group link's level is set
/// so that it is saturated again; if that level would fall below a faster flow crossing it, those
/// flows join the group by water-filling on the link; a link without a group that is over capacity
/// forms one the same way. A level change moves the load of every member's other links, which may
/// dirty them in turn. To find the faster flows a link keeps those that rose above its level since it
/// was last settled (its *risers*) and a bound on the speed of the others (`fasterBound`); it scans
/// every flow crossing it only when that bound allows one of them to be faster. When no link is
/// dirty, (a)–(c) of FlowNetwork+Groups.swift hold on every link: (b) always (within floating-point
/// noise, `tolerance`), (a) and (c) within `precision`.
extension FlowNetwork {
    /// A link waiting to be settled; lowest level first, as progressive filling freezes them.
    struct DirtyLink: Comparable {
        let level: Double
        let link: LinkID
        static func < (a: DirtyLink, b: DirtyLink) -> Bool { a.level != b.level ? a.level < b.level : a.link < b.link }
    }

    /// A flow outside a link's group that may join it; `<` puts the faster (then lower id) first.
    struct Candidate: Comparable {
        let rate: Double
        let flow: FlowID
        static func < (a: Candidate, b: Candidate) -> Bool { a.rate != b.rate ? a.rate > b.rate : a.flow < b.flow }
    }

    /// Repairs the rates if flows started, or if finished flows are due to be taken off their links.
    mutating func repairIfNeeded() {
        guard !pendingStarts.isEmpty || now >= repairDeadline else { return }
        repairDeadline = .max
        repairs += 1
        didFullSolve = false
        for flow in pendingRemovals { finish(flow) }
        pendingRemovals.removeAll(keepingCapacity: true)
        let placeBySolving = !pendingStarts.isEmpty
            && Double(pendingStarts.count) >= Self.fullSolveShare * Double(transmittingCount)
        for flow in pendingStarts { insert(flow) }
        if placeBySolving {
            solveEverything()
        } else {
            for flow in pendingStarts { place(flow) }
            if !settleDirtyLinks() { solveEverything() }
        }
        pendingStarts.removeAll(keepingCapacity: true)
        finishRepair()
    }

    /// Takes a finished flow off its links and out of its group.
    private mutating func finish(_ flow: FlowID) {
        let group = membership[flow.index].bottleneck
        let rate = links[group.index].level
        leaveGroup(flow)
        markDirty(group)
        for p in pathEntries(of: flow) {
            let link = LinkID(rawValue: pathLinks[p]), l = link.index
            links[l].load -= rate
            let slot = Int(crossingSlot[p])
            let moved = crossings[l].removeLast()
            let movedGroup = crossingGroup[l].removeLast()
            if Int(moved) != p {
                crossings[l][slot] = moved
                crossingGroup[l][slot] = movedGroup
                crossingSlot[Int(moved)] = Int32(slot)
            }
            if link != group && links[l].groupSize > 0 { markDirty(link) }
        }
        transmittingCount -= 1
    }

    /// Puts a flow that starts transmitting on its links (in no group until placed).
    private mutating func insert(_ flow: FlowID) {
        for p in pathEntries(of: flow) {
            let l = Int(pathLinks[p])
            crossingSlot[p] = Int32(crossings[l].count)
            lastStartNanos[l] = now
            crossings[l].append(Int32(p))
            crossingGroup[l].append(.none)
        }
        transmittingCount += 1
    }

    /// Gives a starting flow a first rate: the tightest of its links' offers (a group's level, or
    /// the capacity left on a link without one); the settling then corrects everything it upsets.
    private mutating func place(_ flow: FlowID) {
        var best = LinkID.none
        var offer = Double.infinity
        for p in pathEntries(of: flow) {
            let l = Int(pathLinks[p])
            let o = links[l].groupSize == 0 ? max(links[l].capacity - links[l].load, 0) : links[l].level
            if o < offer {
                offer = o
                best = LinkID(rawValue: pathLinks[p])
            }
        }
        let b = best.index
        if links[b].groupSize == 0 {
            rebase(best)
            links[b].level = offer
            links[b].fasterBound = 0
            links[b].needsScan = true   // flows already crossing may be faster than the new group's level
        }
        join(flow, group: best, remaining: Double(bytes[flow.index]))
        for p in pathEntries(of: flow) {
            let link = LinkID(rawValue: pathLinks[p]), l = link.index
            links[l].load += offer
            if link != best && links[l].groupSize > 0 { links[l].fasterBound = max(links[l].fasterBound, offer) }
            markDirty(link)
        }
    }

    /// Records `link` as changed in this repair: its group is rescheduled and counted at the end.
    @inline(__always) mutating func touch(_ link: LinkID) {
        let l = link.index
        guard !links[l].isTouched else { return }
        links[l].isTouched = true
        touchedLinks.append(link)
        levelBefore[l] = links[l].groupSize == 0 ? .nan : links[l].level
    }

    /// Queues `link` for settling.
    @inline(__always) private mutating func markDirty(_ link: LinkID) {
        touch(link)
        let l = link.index
        guard !links[l].isDirty else { return }
        links[l].isDirty = true
        dirtyLinksByLevel.push(DirtyLink(level: links[l].groupSize == 0 ? 0 : links[l].level, link: link))
    }

    /// Settles dirty links, lowest level first, until none is left; false if the budget ran out
    /// (the dirty set is then cleared and the caller solves everything).
    private mutating func settleDirtyLinks() -> Bool {
        var budget = settleBudget
        while let next = dirtyLinksByLevel.popMin() {
            links[next.link.index].isDirty = false
            if settle(next.link) { budget -= 1 }
            if budget < 0 {
                while let rest = dirtyLinksByLevel.popMin() {
                    links[rest.link.index].isDirty = false
                    links[rest.link.index].needsScan = false
                    clearRisers(of: rest.link)
                }
                return false
            }
        }
        return true
    }

    /// Restores the max-min conditions on `link`: saturated at its group's level, over capacity
    /// nowhere, and no faster flow crossing it outside its group (those join it, by water-filling).
    /// Returns false when they already held.
    @discardableResult
    private mutating func settle(_ link: LinkID) -> Bool {
        let l = link.index
        let tolerance = Self.tolerance
        let capacity = links[l].capacity
        let oldCount = Int(links[l].groupSize)
        var count = oldCount
        var others = links[l].load - Double(count) * links[l].level   // the flows crossing l outside its group
        var target: Double
        defer { clearRisers(of: link) }
        if count == 0 {
            guard links[l].load > capacity * (1 + tolerance) else { return false }
            target = .infinity
        } else {
            guard links[l].needsScan || links[l].hasRisers || links[l].isOffCapacity(precision: precision) else { return false }
            target = (capacity - others) / Double(count)
        }
        rebase(link)
        var joining = 0
        // Water-filling: a flow outside the group joins it when it is faster than the level it would
        // share. Each joiner is faster than the level, so the level rises as they join (staying below
        // them all): only flows faster than the current level can join, fastest first. Those are among
        // the risers unless the flows outside them may be too (`fasterBound`), or any flow may be.
        let threshold = count == 0 ? -Double.infinity : target * (1 + precision)
        let scanAll = count == 0 || links[l].needsScan || links[l].fasterBound > threshold
        if scanAll || links[l].hasRisers {
            var fastestLeft: Double
            if scanAll {
                fastestLeft = gatherCandidates(crossing: link, fasterThan: threshold)
                resolvedFlows += crossings[l].count - oldCount
                candidates.sort()
            } else {
                fastestLeft = max(links[l].fasterBound, gatherRisers(of: link, fasterThan: threshold))   // sorted
                resolvedFlows += risers[l].count
            }
            while joining < candidates.count && (count == 0 || candidates[joining].rate > target * (1 + precision)) {
                others -= candidates[joining].rate
                count += 1
                target = (capacity - others) / Double(count)
                joining += 1
            }
            if joining < candidates.count { fastestLeft = max(fastestLeft, candidates[joining].rate) }
            links[l].fasterBound = fastestLeft
        }
        links[l].needsScan = false
        guard count > 0 else { return true }
        target = max(target, 0)

        // The members move to the new level, and with them the load on their other links.
        let delta = target - links[l].level
        if oldCount > 0 && delta != 0 {
            resolvedFlows += oldCount
            links[l].load += delta * Double(oldCount)
            moveLoad(by: delta, onOtherLinksOf: link, membersAt: target)
        }
        links[l].level = target
        for j in 0..<joining { move(candidates[j].flow, from: candidates[j].rate, to: link) }
        return true
    }

    /// Fills `candidates` with the flows crossing `link` outside its group that run faster than
    /// `threshold`, and returns the fastest rate of the others (0 if none).
    /// - Complexity: O(flows crossing `link`); on raw buffers, as it runs for every scan.
    private mutating func gatherCandidates(crossing link: LinkID, fasterThan threshold: Double) -> Double {
        var found = candidates   // taken out of self so that the loop holds no access to it
        candidates = []
        found.removeAll(keepingCapacity: true)
        var fastestLeft = 0.0
        let groups = crossingGroup[link.index], entries = crossings[link.index]   // not mutated below
        links.withUnsafeBufferPointer { links in
            groups.withUnsafeBufferPointer { groups in
                for k in groups.indices {
                    let group = groups[k]
                    guard group != link && !group.isNone else { continue }
                    let rate = links[group.index].level
                    if rate > threshold {
                        found.append(Candidate(rate: rate, flow: entryFlow[Int(entries[k])]))
                    } else if rate > fastestLeft {
                        fastestLeft = rate
                    }
                }
            }
        }
        candidates = found
        return fastestLeft
    }

    /// Fills `candidates` with the risers of `link` (see `risers`) that still cross it outside its
    /// group and run faster than `threshold`, and returns the fastest rate of the others (0 if none).
    /// A flow that rose twice is listed once.
    /// - Complexity: O(r log r) for r risers of `link`.
    private mutating func gatherRisers(of link: LinkID, fasterThan threshold: Double) -> Double {
        candidates.removeAll(keepingCapacity: true)
        var fastestLeft = 0.0
        for flow in risers[link.index] {
            let group = membership[flow.index].bottleneck
            guard group != link && !group.isNone else { continue }   // joined it since, or finished
            let rate = links[group.index].level
            if rate > threshold {
                candidates.append(Candidate(rate: rate, flow: flow))
            } else if rate > fastestLeft {
                fastestLeft = rate
            }
        }
        candidates.sort()   // a flow listed twice has one rate: its entries are neighbours
        var kept = 0   // (by index: iterating the array itself would copy it on the first write)
        for k in candidates.indices where kept == 0 || candidates[kept - 1].flow != candidates[k].flow {
            candidates[kept] = candidates[k]
            kept += 1
        }
        candidates.removeLast(candidates.count - kept)
        return fastestLeft
    }

    /// Forgets `link`'s risers.
    @inline(__always) private mutating func clearRisers(of link: LinkID) {
        let l = link.index
        guard links[l].hasRisers else { return }
        links[l].hasRisers = false
        risers[l].removeAll(keepingCapacity: true)
    }

    /// Adds `delta` to the load of every member's other links in `group`, whose members now run
    /// at `rate`, queues those links that must be settled again, and lists each member that now
    /// runs faster than another link's level among that link's risers.
    /// - Complexity: O(members × stride); the repair's innermost loop, so it runs on raw buffers.
    private mutating func moveLoad(by delta: Double, onOtherLinksOf group: LinkID, membersAt rate: Double) {
        let rising = delta > 0
        let otherLinks = memberOtherLinks[group.index]   // not mutated below
        var found = newlyDirty      // taken out of self so that the loop holds no access to it
        var overtaken = overtakenEntries
        newlyDirty = []
        overtakenEntries = []
        links.withUnsafeMutableBufferPointer { links in
            otherLinks.withUnsafeBufferPointer { otherLinks in
                for i in otherLinks.indices where !otherLinks[i].isNone {
                    let m = otherLinks[i].index
                    links[m].load += delta
                    switch links[m].loadMoved(byAFlowAt: rate, rising: rising, precision: precision) {
                    case .settled: break
                    case .unsettled: found.append(otherLinks[i])
                    case .overtaken:
                        found.append(otherLinks[i])
                        overtaken.append(Int32(i))
                    }
                }
            }
        }
        let stride = otherLinksStride
        for i in overtaken { risers[otherLinks[Int(i)].index].append(groupMembers[group.index][Int(i) / stride]) }
        for link in found { markDirty(link) }
        found.removeAll(keepingCapacity: true)
        overtaken.removeAll(keepingCapacity: true)
        newlyDirty = found
        overtakenEntries = overtaken
    }

    /// Moves `flow`, running at `rate`, into `group` at its (lower) level.
    private mutating func move(_ flow: FlowID, from rate: Double, to group: LinkID) {
        let old = membership[flow.index].bottleneck.index
        let remaining = remainingBytes(of: flow)
        leaveGroup(flow)
        join(flow, group: group, remaining: remaining)
        resolvedFlows += 1
        let newRate = links[group.index].level
        if links[old].groupSize > 0 { links[old].fasterBound = max(links[old].fasterBound, newRate) }
        for p in pathEntries(of: flow) {
            let link = LinkID(rawValue: pathLinks[p]), m = link.index
            links[m].load += newRate - rate
            if link != group && links[m].loadMoved(byAFlowAt: newRate, rising: false, precision: precision) != .settled {
                markDirty(link)
            }
        }
    }

    /// Reschedules every touched group's next completion and counts the rate changes.
    private mutating func finishRepair() {
        let tolerance = Self.tolerance
        for link in touchedLinks {
            let l = link.index
            links[l].isTouched = false
            defer { joinedCount[l] = 0 }
            guard links[l].groupSize > 0 else {
                groupsByNextCompletion.remove(l)
                continue
            }
            rebase(link)
            if !didFullSolve {
                let before = levelBefore[l]
                rateChanges += abs(links[l].level - before) > tolerance * max(links[l].level, before)
                    ? Int(links[l].groupSize) : Int(joinedCount[l])
            }
            if nextFinishKey[l].isNaN {
                dropStaleEntries(of: link)
                nextFinishKey[l] = membersByFinishKey[l].min!.key
            }
            groupsByNextCompletion.set(l, key: finishTime(key: nextFinishKey[l], in: link))
        }
        touchedLinks.removeAll(keepingCapacity: true)
    }
}
