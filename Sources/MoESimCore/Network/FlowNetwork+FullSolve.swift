/// The fallback of the repair: every rate recomputed by progressive filling (`MaxMinFairShare`) and
/// the groups rebuilt from the bottlenecks it finds, when a batch of starts is a large share of the
/// flows or the settling runs out of budget (FlowNetwork+Repair.swift).
extension FlowNetwork {
    /// Recomputes every transmitting flow's rate by progressive filling and rebuilds the groups.
    /// - Complexity: O(F · P + F log F) for F transmitting flows of P links.
    mutating func solveEverything() {
        fullSolves += 1
        didFullSolve = true
        transmitting.removeAll(keepingCapacity: true)
        for flow in pendingStarts where membership[flow.index].bottleneck.isNone {   // not placed yet
            solvedRemaining[flow.index] = Double(bytes[flow.index])
            previousRate[flow.index] = 0
            transmitting.append(flow.rawValue)
        }
        for g in groupMembers.indices where links[g].groupSize > 0 {
            for flow in groupMembers[g] {
                solvedRemaining[flow.index] = remainingBytes(of: flow)
                previousRate[flow.index] = links[g].level
                transmitting.append(flow.rawValue)
            }
            touch(LinkID(g))
            for flow in groupMembers[g] { membership[flow.index].bottleneck = .none }
            groupMembers[g].removeAll(keepingCapacity: true)
            links[g].groupSize = 0
            memberOtherLinks[g].removeAll(keepingCapacity: true)
            membersByFinishKey[g].removeAll()
            nextFinishKey[g] = .infinity
        }
        transmitting.sort()
        for l in links.indices { links[l].load = 0 }
        solver.solve(capacities: topology.bytesPerSecond, pathStart: pathStart, pathLinks: pathLinks,
                     flows: transmitting, rates: &solvedRate, bottlenecks: &solvedBottleneck)
        resolvedFlows += transmitting.count
        for f in transmitting {
            let flow = FlowID(rawValue: f), i = flow.index
            let group = LinkID(rawValue: solvedBottleneck[i]), g = group.index
            let rate = solvedRate[i], before = previousRate[i]
            if abs(rate - before) > Self.tolerance * max(rate, before) { rateChanges += 1 }
            if links[g].groupSize == 0 {
                rebase(group)
                links[g].level = rate
                links[g].fasterBound = rate   // max-min: nothing crossing a bottleneck is faster than its level
            }
            join(flow, group: group, remaining: solvedRemaining[i])
            for p in pathEntries(of: flow) { links[Int(pathLinks[p])].load += rate }
        }
    }
}
