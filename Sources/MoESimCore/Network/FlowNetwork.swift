/// The flow-level network model: every transfer is a flow over its route's links;
/// active flows share links max-min fairly, and rates are brought up to date
/// whenever flows start or finish (all changes at one instant form one batch).
///
/// A flow added at time t waits out its route's latency α, then transmits;
/// alone on its links it completes at t + α + bytes / bottleneck bandwidth,
/// rounded up to the nanosecond.
///
/// **Incremental max-min.** A full progressive filling costs O(F · P) and an
/// all-to-all has about as many distinct completion times as flows, so the rates
/// are repaired locally instead. Every flow remembers its bottleneck link; a link's
/// *group* is the flows bottlenecked on it, all at the link's *level*. When flows
/// finish or start, only the groups of the links they touched are re-solved (by
/// progressive filling on the capacity the other flows leave), and the result is
/// checked against the max-min conditions on every link whose flows changed:
/// no link over capacity; a link with a group stays saturated and no flow on it is
/// faster than its level. Each violation adds that link's group and the repair
/// repeats; when none is left, every flow has a saturated bottleneck on which it is
/// fastest, which characterises the (unique) max-min fair allocation.
/// Completion times live in an indexed heap, so only flows whose rate changed are touched.
///
/// Flows are parallel arrays (no object per flow); nothing is allocated per event once
/// the arrays have grown. Drive it with `nextEventTime()` and `advance(to:completed:)`,
/// interleaved with the caller's own events; `reset()` reuses the storage.
public struct FlowNetwork {
    /// The links and routes.
    public let topology: Topology
    /// Source GPU of each flow (by flow id, in the order added).
    public private(set) var sources: [Int32] = []
    /// Destination GPU of each flow.
    public private(set) var destinations: [Int32] = []
    /// The caller's label of each flow (e.g. which phase it belongs to).
    public private(set) var tags: [Int32] = []
    /// Bytes of each flow.
    public private(set) var bytes: [Int64] = []
    /// When each flow was added.
    public private(set) var addedNanos: [Int64] = []
    /// When each flow's last byte arrived (−1 while in flight).
    public private(set) var finishedNanos: [Int64] = []
    /// Rate repairs so far: one per instant at which flows started or finished (a cost driver, for the benchmark).
    public private(set) var repairs = 0
    /// Flows re-solved by all repairs together, counting a flow once per repair pass (the other cost driver).
    public private(set) var resolvedFlows = 0
    /// Flows whose rate a repair changed (beyond `tolerance`; a starting flow counts), once per repair: the
    /// rate changes of the max-min trajectory itself, a floor for any method that keeps per-flow rates.
    public private(set) var rateChanges = 0

    /// Relative tolerance of the max-min checks (floating-point noise, not a model parameter).
    static let tolerance = 1e-9

    // Per flow.
    private var pathStart: [Int32] = [0]
    private var pathLinks: [Int32] = []
    private var memberSlot: [Int32] = []      // per path entry: its index in the link's member list
    private var pathOwner: [Int32] = []       // per path entry: its flow
    private var remaining: [Double] = []      // bytes left at `settledAt`
    private var settledAt: [Int64] = []
    private var rates: [Double] = []
    private var rateBeforeRepair: [Double] = []
    private var bottleneck: [Int32] = []
    private var inRepair: [Bool] = []
    private var completions = IndexedMinHeap()
    private var waiting = EventQueue<Int32>()

    // Per link.
    private var members: [[Int32]]            // path entries crossing the link
    private var load: [Double]
    private var groupSize: [Int32]
    private var level: [Double]
    private var inRepairSet: [Bool]
    private var repairGroup: [Int32]           // scratch: flows of the repair bottlenecked here
    private var repairCrossing: [Int32]        // scratch: flows of the repair crossing the link
    private var repairShare: [Double]          // scratch: the rate of the repair's flows bottlenecked here

    // Repair scratch.
    private var repairFlows: [Int32] = []
    private var repairLinks: [Int32] = []
    private var checked: [Int32] = []
    private var violations: [Int] = []
    private var isChecked: [Bool]
    private var solver = MaxMinFairShare()
    private var now: Int64 = 0
    private var pendingRemovals: [Int32] = []
    private var pendingStarts: [Int32] = []

    /// An idle network over `topology`.
    public init(topology: Topology) {
        self.topology = topology
        let links = topology.linkCount
        members = [[Int32]](repeating: [], count: links)
        load = [Double](repeating: 0, count: links)
        groupSize = [Int32](repeating: 0, count: links)
        level = load
        inRepairSet = [Bool](repeating: false, count: links)
        repairGroup = groupSize
        repairCrossing = groupSize
        repairShare = load
        isChecked = inRepairSet
    }

    /// Number of flows added since the last reset.
    public var flowCount: Int { sources.count }

    /// Current rate of flow `id`, bytes per second (0 unless transmitting).
    public func rate(of id: Int32) -> Double { rates[Int(id)] }

    /// Forgets every flow and returns the clock to zero, keeping storage.
    /// - Complexity: O(F + L).
    public mutating func reset() {
        for array in [\FlowNetwork.sources, \.destinations, \.tags, \.pathLinks, \.memberSlot, \.pathOwner, \.bottleneck] {
            self[keyPath: array].removeAll(keepingCapacity: true)
        }
        for array in [\FlowNetwork.bytes, \.addedNanos, \.finishedNanos, \.settledAt] {
            self[keyPath: array].removeAll(keepingCapacity: true)
        }
        remaining.removeAll(keepingCapacity: true)
        rates.removeAll(keepingCapacity: true)
        rateBeforeRepair.removeAll(keepingCapacity: true)
        inRepair.removeAll(keepingCapacity: true)
        pathStart.removeAll(keepingCapacity: true)
        pathStart.append(0)
        for l in members.indices {
            members[l].removeAll(keepingCapacity: true)
            load[l] = 0
            groupSize[l] = 0
            level[l] = 0
        }
        completions.removeAll()
        waiting.removeAll()
        pendingRemovals.removeAll(keepingCapacity: true)
        pendingStarts.removeAll(keepingCapacity: true)
        now = 0
        repairs = 0
        resolvedFlows = 0
        rateChanges = 0
    }

    /// Adds a transfer of `byteCount` bytes from GPU `source` to GPU `destination` at time `time`
    /// (not earlier than the last time advanced to) and returns its flow id.
    /// - Precondition: `source != destination` and `byteCount > 0` (local copies never touch a link).
    /// - Complexity: O(log F) amortised.
    @discardableResult
    public mutating func addFlow(from source: Int, to destination: Int, bytes byteCount: Int64,
                                 at time: SimTime, tag: Int32) -> Int32 {
        precondition(source != destination, "a flow needs two different GPUs (a GPU to itself is a loopback flow)")
        return appendFlow(source: source, destination: destination, bytes: byteCount, at: time, tag: tag,
                          latency: topology.route(from: source, to: destination, into: &pathLinks))
    }

    /// Adds a loopback of `byteCount` bytes from GPU `gpu` to itself through `links` (see
    /// `TrafficMatrix.loopback`) at time `time` and returns its flow id.
    /// - Precondition: `byteCount > 0`.
    /// - Complexity: O(log F) amortised.
    @discardableResult
    public mutating func addLoopbackFlow(gpu: Int, through links: TrafficMatrix.Loopback, bytes byteCount: Int64,
                                         at time: SimTime, tag: Int32) -> Int32 {
        appendFlow(source: gpu, destination: gpu, bytes: byteCount, at: time, tag: tag,
                   latency: topology.loopbackRoute(of: gpu, through: links, into: &pathLinks))
    }

    /// Records a flow whose links were just appended to `pathLinks`.
    private mutating func appendFlow(source: Int, destination: Int, bytes byteCount: Int64, at time: SimTime,
                                     tag: Int32, latency: Int64) -> Int32 {
        precondition(byteCount > 0, "a flow needs at least one byte")
        precondition(time.nanoseconds >= now, "a flow was added in the past")
        let id = Int32(sources.count)
        pathStart.append(Int32(pathLinks.count))
        while memberSlot.count < pathLinks.count {
            memberSlot.append(-1)
            pathOwner.append(id)
        }
        sources.append(Int32(source))
        destinations.append(Int32(destination))
        tags.append(tag)
        bytes.append(byteCount)
        addedNanos.append(time.nanoseconds)
        finishedNanos.append(-1)
        remaining.append(Double(byteCount))
        settledAt.append(0)
        rates.append(0)
        rateBeforeRepair.append(0)
        bottleneck.append(-1)
        inRepair.append(false)
        completions.grow(to: sources.count)
        waiting.push(id, at: SimTime(nanoseconds: time.nanoseconds + latency))
        return id
    }

    /// The time of the next flow start or completion, or nil when no flow is waiting or in flight.
    /// Repairs the rates first if flows started or finished since the last call.
    /// - Complexity: O(1) without a pending change; otherwise O(R · P + T log T) for the R flows the
    ///   repair re-solves (their groups, grown until the max-min conditions hold) touching T links.
    public mutating func nextEventTime() -> SimTime? {
        repairIfNeeded()
        let next = min(completions.minKey ?? .max, waiting.nextTime?.nanoseconds ?? .max)
        return next == .max ? nil : SimTime(nanoseconds: next)
    }

    /// Moves the network to `time` and appends to `completed` the flows whose last byte arrives then.
    /// - Precondition: `time` is not later than `nextEventTime()` (no event is skipped).
    /// - Complexity: O(k log F) for k flows finishing or starting at `time`.
    public mutating func advance(to time: SimTime, completed: inout [Int32]) {
        let t = time.nanoseconds
        precondition(t >= now, "the network clock may only move forward")
        repairIfNeeded()
        precondition(t <= (completions.minKey ?? .max) && t <= (waiting.nextTime?.nanoseconds ?? .max),
                     "an event would be skipped")
        now = t
        while let (f, finish) = completions.min, finish == t {
            completions.removeMin()
            finishedNanos[Int(f)] = t
            completed.append(f)
            pendingRemovals.append(f)
        }
        while let next = waiting.nextTime, next.nanoseconds == t, let (_, f) = waiting.pop() {
            pendingStarts.append(f)
        }
    }

    // MARK: Repair

    private mutating func repairIfNeeded() {
        guard !pendingRemovals.isEmpty || !pendingStarts.isEmpty else { return }
        repairs += 1
        for f in pendingRemovals { remove(f) }
        for f in pendingStarts {
            insert(f)
            addToRepair(f)
        }
        pendingStarts.removeAll(keepingCapacity: true)
        // Capacity freed on a link with a group lets that group rise.
        for f in pendingRemovals {
            for p in Int(pathStart[Int(f)])..<Int(pathStart[Int(f) + 1]) {
                let l = Int(pathLinks[p])
                if groupSize[l] > 0 { expand(l) }
            }
        }
        pendingRemovals.removeAll(keepingCapacity: true)
        resolveRepairSet()
    }

    /// Takes a finished flow off its links.
    private mutating func remove(_ f: Int32) {
        let i = Int(f)
        for p in Int(pathStart[i])..<Int(pathStart[i + 1]) {
            let l = Int(pathLinks[p])
            load[l] -= rates[i]
            let slot = Int(memberSlot[p])
            let moved = members[l].removeLast()
            if Int(moved) != p {
                members[l][slot] = moved
                memberSlot[Int(moved)] = Int32(slot)
            }
        }
        if bottleneck[i] >= 0 { groupSize[Int(bottleneck[i])] -= 1 }
        bottleneck[i] = -1
        rates[i] = 0
    }

    /// Puts a flow that starts transmitting on its links (rate 0 until the repair).
    private mutating func insert(_ f: Int32) {
        let i = Int(f)
        settledAt[i] = now
        for p in Int(pathStart[i])..<Int(pathStart[i + 1]) {
            let l = Int(pathLinks[p])
            memberSlot[p] = Int32(members[l].count)
            members[l].append(Int32(p))
        }
    }

    @inline(__always) private func flow(ofEntry p: Int32) -> Int { Int(pathOwner[Int(p)]) }

    private mutating func addToRepair(_ f: Int32) {
        let i = Int(f)
        guard !inRepair[i] else { return }
        inRepair[i] = true
        repairFlows.append(f)
        rateBeforeRepair[i] = rates[i]
        // Settle the bytes sent at the old rate before the rate changes.
        remaining[i] = max(remaining[i] - rates[i] * Double(now - settledAt[i]) / 1e9, 0)
        settledAt[i] = now
    }

    /// Adds link `l` and its group to the repair.
    private mutating func expand(_ l: Int) {
        guard !inRepairSet[l] else { return }
        inRepairSet[l] = true
        repairLinks.append(Int32(l))
        for p in members[l] {
            let f = flow(ofEntry: p)
            if bottleneck[f] == Int32(l) { addToRepair(Int32(f)) }
        }
    }

    private mutating func resolveRepairSet() {
        let tolerance = Self.tolerance
        while true {
            // Take the repaired flows off their links and out of their groups.
            for f in repairFlows {
                let i = Int(f)
                for p in Int(pathStart[i])..<Int(pathStart[i + 1]) { load[Int(pathLinks[p])] -= rates[i] }
                if bottleneck[i] >= 0 { groupSize[Int(bottleneck[i])] -= 1 }
            }
            solver.solve(capacities: topology.bytesPerSecond, fixedLoad: load, pathStart: pathStart,
                         pathLinks: pathLinks, flows: repairFlows, rates: &rates, bottlenecks: &bottleneck)
            resolvedFlows += repairFlows.count
            for f in repairFlows {
                let i = Int(f)
                for p in Int(pathStart[i])..<Int(pathStart[i + 1]) { load[Int(pathLinks[p])] += rates[i] }
                repairGroup[Int(bottleneck[i])] += 1
                repairShare[Int(bottleneck[i])] = rates[i]
            }

            // Check the max-min conditions on every link the repaired flows cross.
            violations.removeAll(keepingCapacity: true)
            for f in repairFlows {
                let i = Int(f)
                for p in Int(pathStart[i])..<Int(pathStart[i + 1]) {
                    let l = Int(pathLinks[p])
                    let capacity = topology.bytesPerSecond[l]
                    repairCrossing[l] += 1
                    if !isChecked[l] {
                        isChecked[l] = true
                        checked.append(Int32(l))
                        if load[l] > capacity * (1 + tolerance) { violations.append(l) }
                        if groupSize[l] > 0 && load[l] < capacity * (1 - tolerance) { violations.append(l) }
                    }
                    // A fixed group on this link must not be slower than a repaired flow, nor faster than
                    // one bottlenecked here.
                    if groupSize[l] > 0 && !inRepairSet[l] {
                        let limit = level[l]
                        if rates[i] > limit * (1 + tolerance)
                            || (bottleneck[i] == Int32(l) && rates[i] < limit * (1 - tolerance)) {
                            violations.append(l)
                        }
                    }
                }
            }
            // A link where repaired flows froze: no fixed flow on it may be faster than them.
            for link in checked {
                let l = Int(link)
                // Skip links whose every flow is being repaired: no fixed flow there to compare.
                guard repairGroup[l] > 0, Int(repairCrossing[l]) < members[l].count else { continue }
                let share = repairShare[l]
                for p in members[l] {
                    let f = flow(ofEntry: p)
                    if !inRepair[f] && rates[f] > share * (1 + tolerance) && bottleneck[f] >= 0 {
                        violations.append(Int(bottleneck[f]))
                    }
                }
            }
            // Commit groups and levels.
            for f in repairFlows {
                let l = Int(bottleneck[Int(f)])
                groupSize[l] += 1
                level[l] = rates[Int(f)]
            }
            for link in checked {
                isChecked[Int(link)] = false
                repairGroup[Int(link)] = 0
                repairCrossing[Int(link)] = 0
            }
            checked.removeAll(keepingCapacity: true)
            let before = repairFlows.count + repairLinks.count
            for l in violations.indices { expand(violations[l]) }
            if repairFlows.count + repairLinks.count == before { break }
        }

        for f in repairFlows {
            let i = Int(f)
            inRepair[i] = false
            if abs(rates[i] - rateBeforeRepair[i]) > Self.tolerance * max(rates[i], rateBeforeRepair[i]) { rateChanges += 1 }
            let duration = rates[i] > 0
                ? SimTime.duration(work: remaining[i], ratePerSecond: rates[i]).nanoseconds
                : SimTime.longestDuration.nanoseconds
            completions.set(i, key: now + duration)
        }
        for l in repairLinks { inRepairSet[Int(l)] = false }
        repairFlows.removeAll(keepingCapacity: true)
        repairLinks.removeAll(keepingCapacity: true)
    }
}
