/// The flow-level network model: every transfer is a flow over its route's links;
/// active flows share links max-min fairly, and rates are brought up to date
/// whenever flows start or finish (all changes at one instant form one batch).
///
/// A flow added at time t waits out its route's latency α, then transmits;
/// alone on its links it completes at t + α + bytes / bottleneck bandwidth,
/// rounded up to the nanosecond. Links that can never limit a flow (`Topology.neverLimits`)
/// are left out of the routes it shares bandwidth over; no rate depends on them.
///
/// Rates are stored per *group*, the flows bottlenecked on one link, which share that link's
/// *level* (FlowNetwork+Groups.swift). When flows start or finish the links whose load changed
/// are settled again, lowest level first, until the allocation is max-min within `precision`
/// (FlowNetwork+Repair.swift); should that take too long, every rate is recomputed by progressive
/// filling (FlowNetwork+FullSolve.swift). `maxMinViolation()` checks the result for tests
/// (FlowNetwork+Invariants.swift).
///
/// **Precision.** At `precision` = 1e-9 (`exactPrecision`) the settled conditions characterise the
/// unique max-min allocation, and the network follows the exact max-min trajectory. Under skewed
/// traffic that trajectory is expensive: when a flow finishes, its group's level rises, which
/// squeezes every member's other links, which moves those groups' levels, and so on, so that nearly
/// every rate changes a little at every instant. A coarser precision ε (the default,
/// `defaultPrecision`, is 10⁻⁴; SimGrid's flow models also compare rates within a precision, 10⁻⁵
/// by default) relaxes that trajectory in two ways. A group's link may run up to ε below capacity,
/// and a flow up to ε faster than the level of a link it crosses, before that link is settled
/// again, which stops the ripples of relative size below ε. And a finished flow's bandwidth may
/// stay unused for up to ε of the time the youngest flow on its links has been transmitting before
/// the rates are settled again, so completions close in time are repaired as one batch: each still
/// happens at its exact time, only the rise of the others' rates waits, and no flow sharing a link
/// with the finished one waits more than ε of its own time (at `exactPrecision` nothing waits). No
/// link is ever over capacity, so the flow model still never beats the bottleneck bound. Should the
/// settling not finish within a budget proportional to the links, or a batch of starts be a large
/// share of the flows, every rate is recomputed by progressive filling instead (`fullSolves`
/// counts these).
///
/// Flows are parallel arrays indexed by `FlowID` (no object per flow); nothing is allocated per
/// event once the arrays have grown. Drive it with `nextEventTime()` and `advance(to:completed:)`,
/// interleaved with the caller's own events; `reset()` reuses the storage.
public struct FlowNetwork {
    /// The links and routes.
    public let topology: Topology

    // MARK: Flow table (by `FlowID`, in the order added)

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

    // MARK: Counters

    /// Distinct instants at which flows started or finished.
    public internal(set) var instants = 0
    /// Rate repairs so far: one per instant at which flows started, and one per batch of
    /// completions (see `precision`).
    public internal(set) var repairs = 0
    /// Flows the repairs visited, summed over repairs: the members of a group whose level changed
    /// (once per change), the flows scanned on a link whose level fell or that flows overtook (all
    /// of its flows, or only those that rose above it), and every transmitting flow of a full solve.
    /// The work of the repairs, for the benchmark.
    public internal(set) var resolvedFlows = 0
    /// Flows whose rate a repair changed, summed over repairs: the members of every group whose level
    /// moved beyond `tolerance`, plus the flows that joined a group whose level did not (a starting
    /// flow counts); a full solve counts the flows whose rate it changed (after a settle that ran out
    /// of budget, against the rates that settle had reached). The rate changes of the max-min
    /// trajectory itself.
    public internal(set) var rateChanges = 0
    /// Repairs that recomputed every rate by progressive filling (see the type's documentation).
    public internal(set) var fullSolves = 0

    // MARK: Precision

    /// How far, relatively, a group's link may run below capacity and a flow above the level of a
    /// link it crosses before the repair settles that link again, and for what share of the time the
    /// flows on its links have been transmitting a finished flow's bandwidth may stay unused (see the
    /// type's documentation).
    public let precision: Double
    /// The default `precision`: link utilisations within 0.01 % of max-min, far inside what link
    /// efficiencies are known to.
    public static let defaultPrecision = 1e-4
    /// The finest `precision`: the exact max-min trajectory (floating-point noise aside).
    public static let exactPrecision = tolerance
    /// The `precision` values accepted.
    public static let precisionRange = exactPrecision...1e-2
    /// Relative tolerance of floating-point noise: how far a link may be over capacity.
    static let tolerance = 1e-9
    /// A batch of starting flows at least this share of the flows already transmitting is placed by a full solve.
    static let fullSolveShare = 0.25
    /// Links one repair may settle before it gives up and solves everything (tests lower it to exercise that path).
    var settleBudget: Int

    // MARK: Routes (by path entry: one per link a flow crosses that can limit it)

    /// Where each flow's path entries start: flow f's are `pathStart[f]..<pathStart[f + 1]` (`pathEntries(of:)`).
    var pathStart: [Int32] = [0]
    /// The link of each path entry (link indices, as `Topology.route` writes them and the solver reads them).
    var pathLinks: [Int32] = []
    /// The flow of each path entry.
    var entryFlow: [FlowID] = []
    /// Each path entry's index in its link's `crossings` (while its flow transmits).
    var crossingSlot: [Int32] = []
    /// Links left out of routes (`Topology.neverLimits`).
    let neverLimits: [Bool]

    // MARK: Links (by link index)

    /// Each link's capacity, load, level, group size and repair flags: the fields the repair's inner loops touch.
    var links: [Link]
    /// The path entries crossing each link, of transmitting flows.
    var crossings: [[Int32]]
    /// The group of each entry in `crossings`, in the same order (`.none` until placed): what a scan of the link reads.
    var crossingGroup: [[LinkID]]
    /// When a flow last started crossing each link.
    var lastStartNanos: [Int64]

    // MARK: Groups (by link: the flows bottlenecked on it; see FlowNetwork+Groups.swift)

    /// Each flow's group and its place in it (by flow).
    var membership: [Membership] = []
    /// The flows of each group.
    var groupMembers: [[FlowID]]
    /// Each group's members' other links, `otherLinksStride` entries per member (`.none` padded), in `groupMembers` order.
    var memberOtherLinks: [[LinkID]]
    /// The most other links a group member has had so far (widened on demand).
    var otherLinksStride = 1
    /// Each group's members by finish key (entries of members that left are skipped when met).
    var membersByFinishKey: [BinaryHeap<QueuedMember>]
    /// The smallest finish key in each group (NaN: not known, read `membersByFinishKey`; ∞: no member).
    var nextFinishKey: [Double]
    /// Bytes sent to each member of each group since the group's origin, as of `servedAt`.
    var served: [Double]
    /// When each group's `served` was last brought up to date.
    var servedAt: [Int64]
    /// The groups by the time of their next completion.
    var groupsByNextCompletion = IndexedMinHeap()

    // MARK: Clock and pending changes

    /// The time last advanced to.
    var now: Int64 = 0
    /// Added flows waiting out their route's latency, by the time they start transmitting.
    var flowsByStartTime = EventQueue<FlowID>()
    /// Flows on their links: started, and not yet taken off by a repair.
    var transmittingCount = 0
    /// Flows that started since the last repair.
    var pendingStarts: [FlowID] = []
    /// Flows that finished since the last repair (still on their links, at the rate they held).
    var pendingRemovals: [FlowID] = []
    /// When the flows in `pendingRemovals` must be taken off their links (.max: none).
    var repairDeadline = Int64.max

    // MARK: Repair state and scratch (see FlowNetwork+Repair.swift)

    /// The flows outside each link's group that rose above its level since it was last settled (may repeat).
    var risers: [[FlowID]]
    /// The links to settle, lowest level first.
    var dirtyLinksByLevel = BinaryHeap<DirtyLink>()
    /// The links this repair changed (`touch`): rescheduled and counted when it ends.
    var touchedLinks: [LinkID] = []
    /// Each touched link's level when first touched (NaN: it had no group).
    var levelBefore: [Double]
    /// Flows that joined each touched link's group in this repair.
    var joinedCount: [Int32]
    /// `moveLoad`'s scratch: the links it found unsettled.
    var newlyDirty: [LinkID] = []
    /// `moveLoad`'s scratch: the entries of `memberOtherLinks` whose member overtook that link.
    var overtakenEntries: [Int32] = []
    /// The flows that may join the link being settled.
    var candidates: [Candidate] = []
    /// Whether this repair recomputed every rate.
    var didFullSolve = false

    // MARK: Full-solve scratch (by flow; see FlowNetwork+FullSolve.swift)

    /// Progressive filling, with its own scratch.
    var solver = MaxMinFairShare()
    /// The transmitting flows, as the solver takes them.
    var transmitting: [Int32] = []
    /// Each flow's rate as solved.
    var solvedRate: [Double] = []
    /// Each flow's bottleneck link as solved: its new group.
    var solvedBottleneck: [Int32] = []
    /// Each flow's bytes left when the solve began.
    var solvedRemaining: [Double] = []
    /// Each flow's rate before the solve, to count the changes.
    var previousRate: [Double] = []

    /// An idle network over `topology`, sharing bandwidth max-min fairly within `precision`
    /// (see the type's documentation; in `precisionRange`).
    /// - Complexity: O(L) for L links.
    public init(topology: Topology, precision: Double = FlowNetwork.defaultPrecision) {
        precondition(Self.precisionRange.contains(precision), "precision \(precision) outside \(Self.precisionRange)")
        self.topology = topology
        self.precision = precision
        let linkCount = topology.linkCount
        links = topology.bytesPerSecond.map(Link.init(capacity:))
        crossings = [[Int32]](repeating: [], count: linkCount)
        crossingGroup = [[LinkID]](repeating: [], count: linkCount)
        memberOtherLinks = crossingGroup
        groupMembers = [[FlowID]](repeating: [], count: linkCount)
        risers = groupMembers
        neverLimits = (0..<linkCount).map(topology.neverLimits)
        membersByFinishKey = [BinaryHeap<QueuedMember>](repeating: BinaryHeap(), count: linkCount)
        nextFinishKey = [Double](repeating: .infinity, count: linkCount)
        served = [Double](repeating: 0, count: linkCount)
        servedAt = [Int64](repeating: 0, count: linkCount)
        lastStartNanos = servedAt
        levelBefore = served
        joinedCount = [Int32](repeating: 0, count: linkCount)
        groupsByNextCompletion.grow(to: linkCount)
        settleBudget = 8 * linkCount + 1024
    }

    /// Number of flows added since the last reset.
    public var flowCount: Int { sources.count }

    /// Current rate of `flow`, bytes per second (0 unless transmitting).
    /// - Complexity: O(1), after the repair `nextEventTime()` does.
    public func rate(of flow: FlowID) -> Double {
        finishedNanos[flow.index] < 0 ? allocatedRate(of: flow) : 0
    }

    /// The bandwidth `flow` holds on its links: its rate, or, once finished, the rate it held
    /// until the repair that takes it off them.
    func allocatedRate(of flow: FlowID) -> Double {
        let group = membership[flow.index].bottleneck
        return group.isNone ? 0 : links[group.index].level
    }

    /// The path entries of `flow`: its indices into `pathLinks`.
    @inline(__always) func pathEntries(of flow: FlowID) -> Range<Int> {
        Int(pathStart[flow.index])..<Int(pathStart[flow.index + 1])
    }

    /// Forgets every flow and returns the clock to zero, keeping storage.
    /// - Complexity: O(F + L).
    public mutating func reset() {
        for array in [\FlowNetwork.sources, \.destinations, \.tags, \.pathLinks, \.crossingSlot, \.solvedBottleneck] {
            self[keyPath: array].removeAll(keepingCapacity: true)
        }
        for array in [\FlowNetwork.bytes, \.addedNanos, \.finishedNanos] {
            self[keyPath: array].removeAll(keepingCapacity: true)
        }
        for array in [\FlowNetwork.solvedRate, \.solvedRemaining, \.previousRate] {
            self[keyPath: array].removeAll(keepingCapacity: true)
        }
        entryFlow.removeAll(keepingCapacity: true)
        membership.removeAll(keepingCapacity: true)
        pathStart.removeAll(keepingCapacity: true)
        pathStart.append(0)
        for l in links.indices {
            links[l] = Link(capacity: topology.bytesPerSecond[l])
            crossings[l].removeAll(keepingCapacity: true)
            crossingGroup[l].removeAll(keepingCapacity: true)
            lastStartNanos[l] = 0
            groupMembers[l].removeAll(keepingCapacity: true)
            memberOtherLinks[l].removeAll(keepingCapacity: true)
            membersByFinishKey[l].removeAll()
            nextFinishKey[l] = .infinity
            served[l] = 0
            servedAt[l] = 0
            risers[l].removeAll(keepingCapacity: true)
        }
        groupsByNextCompletion.removeAll()
        groupsByNextCompletion.grow(to: topology.linkCount)
        flowsByStartTime.removeAll()
        pendingRemovals.removeAll(keepingCapacity: true)
        pendingStarts.removeAll(keepingCapacity: true)
        transmittingCount = 0
        now = 0
        repairDeadline = .max
        instants = 0
        repairs = 0
        resolvedFlows = 0
        rateChanges = 0
        fullSolves = 0
    }

    /// Adds a transfer of `byteCount` bytes from GPU `source` to GPU `destination` at time `time`
    /// (not earlier than the last time advanced to) and returns its id.
    /// - Precondition: `source != destination` and `byteCount > 0` (local copies never touch a link).
    /// - Complexity: O(log F) amortised.
    @discardableResult
    public mutating func addFlow(from source: Int, to destination: Int, bytes byteCount: Int64,
                                 at time: SimTime, tag: Int32) -> FlowID {
        precondition(source != destination, "a flow needs two different GPUs (a GPU to itself is a loopback flow)")
        return appendFlow(source: source, destination: destination, bytes: byteCount, at: time, tag: tag,
                          latency: topology.route(from: source, to: destination, into: &pathLinks))
    }

    /// Adds a loopback of `byteCount` bytes from GPU `gpu` to itself through `kind`'s links (see
    /// `TrafficMatrix.loopback`) at time `time` and returns its id.
    /// - Precondition: `byteCount > 0`.
    /// - Complexity: O(log F) amortised.
    @discardableResult
    public mutating func addLoopbackFlow(gpu: Int, through kind: TrafficMatrix.Loopback, bytes byteCount: Int64,
                                         at time: SimTime, tag: Int32) -> FlowID {
        appendFlow(source: gpu, destination: gpu, bytes: byteCount, at: time, tag: tag,
                   latency: topology.loopbackRoute(of: gpu, through: kind, into: &pathLinks))
    }

    /// Records a flow whose links were just appended to `pathLinks`, keeping only those that can limit it.
    private mutating func appendFlow(source: Int, destination: Int, bytes byteCount: Int64, at time: SimTime,
                                     tag: Int32, latency: Int64) -> FlowID {
        precondition(byteCount > 0, "a flow needs at least one byte")
        precondition(time.nanoseconds >= now, "a flow was added in the past")
        var kept = Int(pathStart.last!)
        for p in kept..<pathLinks.count where !neverLimits[Int(pathLinks[p])] {
            pathLinks[kept] = pathLinks[p]
            kept += 1
        }
        pathLinks.removeLast(pathLinks.count - kept)
        let id = FlowID(sources.count)
        pathStart.append(Int32(pathLinks.count))
        crossingSlot.append(contentsOf: repeatElement(-1, count: pathLinks.count - crossingSlot.count))
        entryFlow.append(contentsOf: repeatElement(id, count: pathLinks.count - entryFlow.count))
        sources.append(Int32(source))
        destinations.append(Int32(destination))
        tags.append(tag)
        bytes.append(byteCount)
        addedNanos.append(time.nanoseconds)
        finishedNanos.append(-1)
        membership.append(Membership())
        solvedRate.append(0)
        solvedBottleneck.append(-1)
        solvedRemaining.append(0)
        previousRate.append(0)
        flowsByStartTime.push(id, at: SimTime(nanoseconds: time.nanoseconds + latency))
        return id
    }

    /// The time of the next flow start or completion, or of a repair of the rates after completions,
    /// or nil when no flow is waiting or in flight and no repair is due.
    /// Repairs the rates first if flows started since the last call, or a repair is due now.
    /// - Complexity: O(1) without a pending change; otherwise the repair's: for each link settled,
    ///   O(log L) plus its group's members × path length when its level changes, plus the flows
    ///   crossing it when its level falls below a faster one (a full solve: O(F · P + F log F)).
    public mutating func nextEventTime() -> SimTime? {
        repairIfNeeded()
        let next = min(groupsByNextCompletion.minKey ?? .max, flowsByStartTime.nextTime?.nanoseconds ?? .max, repairDeadline)
        return next == .max ? nil : SimTime(nanoseconds: next)
    }

    /// Moves the network to `time` and appends to `completed` the flows whose last byte arrives then,
    /// in flow-id order (none when `time` is only a repair's).
    /// - Precondition: `time` is not later than `nextEventTime()` (no event is skipped).
    /// - Complexity: O(k log F) for k flows finishing or starting at `time`.
    public mutating func advance(to time: SimTime, completed: inout [FlowID]) {
        let t = time.nanoseconds
        precondition(t >= now, "the network clock may only move forward")
        repairIfNeeded()
        precondition(t <= (groupsByNextCompletion.minKey ?? .max) && t <= (flowsByStartTime.nextTime?.nanoseconds ?? .max)
                     && t <= repairDeadline, "an event would be skipped")
        now = t
        let first = completed.count
        while let (link, key) = groupsByNextCompletion.min, key == t {
            let group = LinkID(rawValue: link), g = group.index
            while true {
                dropStaleEntries(of: group)
                guard let top = membersByFinishKey[g].min else {
                    groupsByNextCompletion.remove(g)
                    break
                }
                let finish = finishTime(key: top.key, in: group)
                guard finish <= t else {
                    // The group's next member (or, after rounding, the one scheduled) finishes later.
                    groupsByNextCompletion.set(g, key: finish)
                    break
                }
                _ = membersByFinishKey[g].popMin()
                finishedNanos[top.flow.index] = t
                completed.append(top.flow)
                pendingRemovals.append(top.flow)
                repairDeadline = min(repairDeadline, t + repairWait(afterFinishing: top.flow))
            }
        }
        // With every transmitting flow finished, no rate would gain from waiting.
        if !pendingRemovals.isEmpty && pendingRemovals.count == transmittingCount { repairDeadline = min(repairDeadline, t) }
        completed[first...].sort()
        var started = false
        while let next = flowsByStartTime.nextTime, next.nanoseconds == t, let (_, flow) = flowsByStartTime.pop() {
            pendingStarts.append(flow)
            started = true
        }
        if started || completed.count > first { instants += 1 }
    }

    /// How long the repair after `flow` finishes now may wait: `precision` of the time since the
    /// youngest flow on its links started, so that no flow it shares a link with waits more than
    /// `precision` of its own time (0 at `exactPrecision`).
    @inline(__always) private func repairWait(afterFinishing flow: FlowID) -> Int64 {
        guard precision > Self.exactPrecision else { return 0 }
        var youngest = addedNanos[flow.index]
        for p in pathEntries(of: flow) { youngest = max(youngest, lastStartNanos[Int(pathLinks[p])]) }
        return Int64((precision * Double(now - youngest)).rounded(.down))
    }
}
