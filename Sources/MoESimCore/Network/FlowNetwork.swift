/// The flow-level network model: every transfer is a flow over its route's links;
/// active flows share links max-min fairly, and rates are brought up to date
/// whenever flows start or finish (all changes at one instant form one batch).
///
/// A flow added at time t waits out its route's latency α, then transmits;
/// alone on its links it completes at t + α + bytes / bottleneck bandwidth,
/// rounded up to the nanosecond. Links that can never limit a flow (`Topology.neverLimits`)
/// are left out of the routes it shares bandwidth over; no rate depends on them.
///
/// **Groups.** In a max-min fair allocation every flow has a *bottleneck*: a saturated link on
/// which no flow is faster. The flows bottlenecked on link l form its *group* and share one
/// rate, the link's *level* λ_l. The allocation is the max-min one exactly when
/// (a) every link with a group is saturated, (b) no link is over capacity, and (c) no flow
/// crossing a link with a group is faster than that link's level. So the model stores rates per
/// group, not per flow, and a group's members progress together: each group counts the bytes
/// sent to any one member since it formed (`served`), a member finishes when that count reaches
/// its `finishKey`, and the group keeps its members in a heap by key. A level change is then one
/// group update, not one per member, and completion times live in a heap of groups.
///
/// **Repair.** When flows finish or start, the links whose load changed are *dirty*. Dirty links
/// are settled lowest level first (the order of progressive filling): a group link's level is set
/// so that it is saturated again; if that level would fall below a faster flow crossing it, those
/// flows join the group by water-filling on the link; a link without a group that is over capacity
/// forms one the same way. A level change moves the load of every member's other links, which may
/// dirty them in turn. To find the faster flows a link keeps those that rose above its level since it
/// was last settled (its *risers*) and a bound on the speed of the others (`fasterBound`); it scans
/// every flow crossing it only when that bound allows one of them to be faster. When no link is
/// dirty, (a)–(c) hold on every link: (b) always (within floating-point noise, `tolerance`), (a)
/// and (c) within `precision`.
///
/// **Precision.** At `precision` = 1e-9 (`exactPrecision`) that characterises the unique max-min
/// allocation, and the network follows the exact max-min trajectory. Under skewed traffic that
/// trajectory is expensive: when a flow finishes, its group's level rises, which squeezes every
/// member's other links, which moves those groups' levels, and so on, so that nearly every rate
/// changes a little at every instant. A coarser precision ε (the default, `defaultPrecision`, is
/// 10⁻⁴; SimGrid's flow models also compare rates within a precision, 10⁻⁵ by default) relaxes
/// that trajectory in two ways. A group's link may run up to ε below capacity, and a flow up to ε
/// faster than the level of a link it crosses, before that link is settled again, which stops the
/// ripples of relative size below ε. And a finished flow's bandwidth may stay unused for up to ε
/// of the time the youngest flow on its links has been transmitting before the rates are settled
/// again, so completions close in time are repaired as one batch: each still happens at its exact
/// time, only the rise of the others' rates waits, and no flow sharing a link with the finished
/// one waits more than ε of its own time (at `exactPrecision` nothing waits). No link is ever over
/// capacity, so the flow model still never beats the bottleneck bound. Should the settling not
/// finish within a budget proportional to the links, or a batch of starts be a large share of the
/// flows, every rate is recomputed by progressive filling instead (`fullSolves` counts these).
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
    /// Distinct instants at which flows started or finished.
    public private(set) var instants = 0
    /// Rate repairs so far: one per instant at which flows started, and one per batch of
    /// completions (see `precision`).
    public private(set) var repairs = 0
    /// Flows the repairs visited, summed over repairs: the members of a group whose level changed
    /// (once per change), the flows scanned on a link whose level fell or that flows overtook (all
    /// of its flows, or only those that rose above it), and every transmitting flow of a full solve.
    /// The work of the repairs, for the benchmark.
    public private(set) var resolvedFlows = 0
    /// Flows whose rate a repair changed, summed over repairs: the members of every group whose level
    /// moved beyond `tolerance`, plus the flows that joined a group whose level did not (a starting
    /// flow counts); a full solve counts the flows whose rate it changed (after a settle that ran out
    /// of budget, against the rates that settle had reached). The rate changes of the max-min
    /// trajectory itself.
    public private(set) var rateChanges = 0
    /// Repairs that recomputed every rate by progressive filling (see the type's documentation).
    public private(set) var fullSolves = 0

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

    // Per flow.
    private var pathStart: [Int32] = [0]
    private var pathLinks: [Int32] = []
    private var memberSlot: [Int32] = []      // per path entry: its index in the link's `members`
    private var entryFlow: [Int32] = []       // per path entry: its flow
    private var membership: [Membership] = []  // the flow's group and place in it
    private var solvedRate: [Double] = []     // full-solve scratch
    private var solvedLink: [Int32] = []
    private var solvedRemaining: [Double] = []
    private var previousRate: [Double] = []
    private var waiting = EventQueue<Int32>()
    private var transmittingCount = 0

    // Per link.
    private var members: [[Int32]]            // path entries crossing the link
    private var crossingGroup: [[Int32]]      // their flows' groups, in the same order (−1 before placing): what scans read
    private var state: [LinkState]            // load, level, group size and repair flags (the hot fields)
    private var group: [[Int32]]              // flows bottlenecked here
    private var risers: [[Int32]]             // flows outside the group that rose above its level since it was settled (may repeat)
    private var groupPaths: [[Int32]]         // the members' other links, `memberStride` entries each (−1 padded), in `group` order
    private var memberStride = 1              // the most other links a member has so far (widened on demand)
    private let neverLimits: [Bool]           // links left out of routes (`Topology.neverLimits`)
    private var queue: [BinaryHeap<QueuedFlow>]  // the group's members by finish key (stale entries skipped)
    private var nextFinishKey: [Double]       // the smallest key in it (NaN: not known, read the queue; ∞: no member)
    private var served: [Double]              // bytes sent to each member since the group's origin, at `servedAt`
    private var servedAt: [Int64]
    private var lastStartNanos: [Int64]       // when a flow last started crossing the link
    private var completions = IndexedMinHeap()  // by link: its group's next completion

    // Repair scratch.
    private var levelBefore: [Double]
    private var joinedCount: [Int32]
    private var dirty = BinaryHeap<DirtyLink>()
    private var touched: [Int32] = []
    private var newlyDirty: [Int32] = []
    private var newRisers: [Int32] = []       // moveLoad's scratch: entries of `groupPaths` whose member overtook that link
    private var candidates: [Candidate] = []
    private var transmitting: [Int32] = []
    private var solver = MaxMinFairShare()
    private var now: Int64 = 0
    private var pendingRemovals: [Int32] = []
    private var pendingStarts: [Int32] = []
    private var didFullSolve = false
    private var repairDeadline = Int64.max   // when the flows in `pendingRemovals` must be taken off (.max: none)

    /// A group member in its group's completion queue.
    private struct QueuedFlow: Comparable {
        let key: Double
        let flow: Int32
        let stamp: UInt32
        static func < (a: QueuedFlow, b: QueuedFlow) -> Bool { a.key != b.key ? a.key < b.key : a.flow < b.flow }
    }

    /// The fields of a link that the repair reads and writes for every member of a group whose
    /// level moves, kept together so that one cache line serves them.
    private struct LinkState {
        let capacity: Double       // bytes per second
        var load = 0.0             // bytes per second of the flows crossing it
        var level = 0.0            // the rate of its group (meaningless without one)
        var fasterBound = 0.0      // no flow crossing the link outside its group and outside `risers` is faster
        var groupSize: Int32 = 0   // group[l].count
        var isDirty = false        // queued for settling
        var needsScan = false      // any flow outside the group may be faster than the level: scan them all
        var hasRisers = false      // `risers` lists flows that rose above the level
        var isTouched = false      // changed in this repair

        init(capacity: Double) { self.capacity = capacity }

        /// Records that the load moved because a flow crossing the link outside its group now runs at
        /// `rate` (faster than before when `rising`), and says what that asks of the link.
        @inline(__always) mutating func loadMoved(byAFlowAt rate: Double, rising: Bool, precision: Double) -> LoadChange {
            let tolerance = FlowNetwork.tolerance
            guard groupSize > 0 else { return rising && load > capacity * (1 + tolerance) ? .unsettled : .settled }
            if rising {
                if rate > level * (1 + precision) {
                    hasRisers = true
                    return .overtaken
                }
                if rate > fasterBound { fasterBound = rate }
            }
            return !isDirty && (needsScan || isOffCapacity(precision: precision)) ? .unsettled : .settled
        }

        /// Whether the load is over capacity, or more than `precision` under it.
        @inline(__always) func isOffCapacity(precision: Double) -> Bool {
            load - capacity > FlowNetwork.tolerance * capacity || capacity - load > precision * capacity
        }
    }

    /// What a change of load asks of a link (`LinkState.loadMoved`).
    private enum LoadChange {
        case settled      // nothing (or it is already queued)
        case unsettled    // it must be settled again
        case overtaken    // the flow now runs faster than the link's level: settle it, the flow a riser
    }

    /// A flow's group and its place in it, kept together: a finish or a move reads them all.
    private struct Membership {
        var finishKey = 0.0          // the group's `served` count at which the flow's last byte is sent
        var bottleneck: Int32 = -1   // the flow's group (−1 unless transmitting)
        var groupSlot: Int32 = -1    // its index in the group's member list
        var joinStamp: UInt32 = 0    // bumped on every join, so stale queue entries are recognised
    }

    /// A link waiting to be settled; lowest level first, as progressive filling freezes them.
    private struct DirtyLink: Comparable {
        let level: Double
        let link: Int32
        static func < (a: DirtyLink, b: DirtyLink) -> Bool { a.level != b.level ? a.level < b.level : a.link < b.link }
    }

    /// A flow outside a link's group that may join it; `<` puts the faster (then lower id) first.
    private struct Candidate: Comparable {
        let rate: Double
        let flow: Int32
        static func < (a: Candidate, b: Candidate) -> Bool { a.rate != b.rate ? a.rate > b.rate : a.flow < b.flow }
    }

    /// An idle network over `topology`, sharing bandwidth max-min fairly within `precision`
    /// (see the type's documentation; in `precisionRange`).
    public init(topology: Topology, precision: Double = FlowNetwork.defaultPrecision) {
        precondition(Self.precisionRange.contains(precision), "precision \(precision) outside \(Self.precisionRange)")
        self.topology = topology
        self.precision = precision
        let links = topology.linkCount
        members = [[Int32]](repeating: [], count: links)
        state = topology.bytesPerSecond.map(LinkState.init(capacity:))
        group = members
        risers = members
        crossingGroup = members
        groupPaths = members
        neverLimits = (0..<links).map(topology.neverLimits)
        queue = [BinaryHeap<QueuedFlow>](repeating: BinaryHeap(), count: links)
        nextFinishKey = [Double](repeating: .infinity, count: links)
        served = [Double](repeating: 0, count: links)
        servedAt = [Int64](repeating: 0, count: links)
        lastStartNanos = servedAt
        levelBefore = served
        joinedCount = [Int32](repeating: 0, count: links)
        completions.grow(to: links)
        settleBudget = 8 * links + 1024
    }

    /// Number of flows added since the last reset.
    public var flowCount: Int { sources.count }

    /// Current rate of flow `id`, bytes per second (0 unless transmitting).
    /// - Complexity: O(1), after the repair `nextEventTime()` does.
    public func rate(of id: Int32) -> Double {
        finishedNanos[Int(id)] < 0 ? allocatedRate(of: id) : 0
    }

    /// The bandwidth flow `id` holds on its links: its rate, or, once finished, the rate it held
    /// until the repair that takes it off them.
    private func allocatedRate(of id: Int32) -> Double {
        let l = membership[Int(id)].bottleneck
        return l >= 0 ? state[Int(l)].level : 0
    }

    /// Forgets every flow and returns the clock to zero, keeping storage.
    /// - Complexity: O(F + L).
    public mutating func reset() {
        for array in [\FlowNetwork.sources, \.destinations, \.tags, \.pathLinks, \.memberSlot, \.entryFlow,
                      \.solvedLink] {
            self[keyPath: array].removeAll(keepingCapacity: true)
        }
        for array in [\FlowNetwork.bytes, \.addedNanos, \.finishedNanos] {
            self[keyPath: array].removeAll(keepingCapacity: true)
        }
        for array in [\FlowNetwork.solvedRate, \.solvedRemaining, \.previousRate] {
            self[keyPath: array].removeAll(keepingCapacity: true)
        }
        membership.removeAll(keepingCapacity: true)
        pathStart.removeAll(keepingCapacity: true)
        pathStart.append(0)
        for l in members.indices {
            members[l].removeAll(keepingCapacity: true)
            crossingGroup[l].removeAll(keepingCapacity: true)
            group[l].removeAll(keepingCapacity: true)
            risers[l].removeAll(keepingCapacity: true)
            groupPaths[l].removeAll(keepingCapacity: true)
            queue[l].removeAll()
            nextFinishKey[l] = .infinity
            state[l] = LinkState(capacity: topology.bytesPerSecond[l])
            served[l] = 0
            servedAt[l] = 0
            lastStartNanos[l] = 0
        }
        completions.removeAll()
        completions.grow(to: topology.linkCount)
        waiting.removeAll()
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

    /// Records a flow whose links were just appended to `pathLinks`, keeping only those that can limit it.
    private mutating func appendFlow(source: Int, destination: Int, bytes byteCount: Int64, at time: SimTime,
                                     tag: Int32, latency: Int64) -> Int32 {
        precondition(byteCount > 0, "a flow needs at least one byte")
        precondition(time.nanoseconds >= now, "a flow was added in the past")
        var kept = Int(pathStart.last!)
        for p in kept..<pathLinks.count where !neverLimits[Int(pathLinks[p])] {
            pathLinks[kept] = pathLinks[p]
            kept += 1
        }
        pathLinks.removeLast(pathLinks.count - kept)
        let id = Int32(sources.count)
        pathStart.append(Int32(pathLinks.count))
        memberSlot.append(contentsOf: repeatElement(-1, count: pathLinks.count - memberSlot.count))
        entryFlow.append(contentsOf: repeatElement(id, count: pathLinks.count - entryFlow.count))
        sources.append(Int32(source))
        destinations.append(Int32(destination))
        tags.append(tag)
        bytes.append(byteCount)
        addedNanos.append(time.nanoseconds)
        finishedNanos.append(-1)
        membership.append(Membership())
        solvedRate.append(0)
        solvedLink.append(-1)
        solvedRemaining.append(0)
        previousRate.append(0)
        waiting.push(id, at: SimTime(nanoseconds: time.nanoseconds + latency))
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
        let next = min(completions.minKey ?? .max, waiting.nextTime?.nanoseconds ?? .max, repairDeadline)
        return next == .max ? nil : SimTime(nanoseconds: next)
    }

    /// Moves the network to `time` and appends to `completed` the flows whose last byte arrives then,
    /// in flow-id order (none when `time` is only a repair's).
    /// - Precondition: `time` is not later than `nextEventTime()` (no event is skipped).
    /// - Complexity: O(k log F) for k flows finishing or starting at `time`.
    public mutating func advance(to time: SimTime, completed: inout [Int32]) {
        let t = time.nanoseconds
        precondition(t >= now, "the network clock may only move forward")
        repairIfNeeded()
        precondition(t <= (completions.minKey ?? .max) && t <= (waiting.nextTime?.nanoseconds ?? .max)
                     && t <= repairDeadline, "an event would be skipped")
        now = t
        let first = completed.count
        while let (link, key) = completions.min, key == t {
            let l = Int(link)
            while true {
                dropStaleEntries(of: l)
                guard let top = queue[l].min else {
                    completions.remove(l)
                    break
                }
                let f = Int(top.flow)
                let finish = finishTime(key: top.key, in: l)
                guard finish <= t else {
                    // The group's next member (or, after rounding, the one scheduled) finishes later.
                    completions.set(l, key: finish)
                    break
                }
                _ = queue[l].popMin()
                finishedNanos[f] = t
                completed.append(top.flow)
                pendingRemovals.append(top.flow)
                repairDeadline = min(repairDeadline, t + repairWait(afterFinishing: f))
            }
        }
        // With every transmitting flow finished, no rate would gain from waiting.
        if !pendingRemovals.isEmpty && pendingRemovals.count == transmittingCount { repairDeadline = min(repairDeadline, t) }
        completed[first...].sort()
        var started = false
        while let next = waiting.nextTime, next.nanoseconds == t, let (_, f) = waiting.pop() {
            pendingStarts.append(f)
            started = true
        }
        if started || completed.count > first { instants += 1 }
    }

    /// How long the repair after flow `f` finishes now may wait: `precision` of the time since the
    /// youngest flow on its links started, so that no flow it shares a link with waits more than
    /// `precision` of its own time (0 at `exactPrecision`).
    @inline(__always) private func repairWait(afterFinishing f: Int) -> Int64 {
        guard precision > Self.exactPrecision else { return 0 }
        var youngest = addedNanos[f]
        for p in Int(pathStart[f])..<Int(pathStart[f + 1]) { youngest = max(youngest, lastStartNanos[Int(pathLinks[p])]) }
        return Int64((precision * Double(now - youngest)).rounded(.down))
    }

    // MARK: Groups

    /// When a member of group `l` with finish key `key` sends its last byte at the group's current level.
    @inline(__always) private func finishTime(key: Double, in l: Int) -> Int64 {
        let rate = state[l].level
        let duration = rate > 0
            ? SimTime.duration(work: max(key - served[l], 0), ratePerSecond: rate)
            : SimTime.longestDuration
        return servedAt[l] + duration.nanoseconds
    }

    /// Brings group `l`'s served count to now, at the level it has had since `servedAt`.
    /// Call before its level changes.
    @inline(__always) private mutating func rebase(_ l: Int) {
        guard servedAt[l] != now else { return }
        served[l] += state[l].level * Double(now - servedAt[l]) / 1e9
        servedAt[l] = now
    }

    /// Bytes flow `i` still has to send (its group brought to now).
    private mutating func remainingBytes(of i: Int) -> Double {
        let g = Int(membership[i].bottleneck)
        rebase(g)
        return max(membership[i].finishKey - served[g], 0)
    }

    /// Records link `l` as changed in this repair: its group is rescheduled and counted at the end.
    @inline(__always) private mutating func touch(_ l: Int) {
        guard !state[l].isTouched else { return }
        state[l].isTouched = true
        touched.append(Int32(l))
        levelBefore[l] = state[l].groupSize == 0 ? .nan : state[l].level
    }

    /// Queues link `l` for settling.
    @inline(__always) private mutating func markDirty(_ l: Int) {
        touch(l)
        guard !state[l].isDirty else { return }
        state[l].isDirty = true
        dirty.push(DirtyLink(level: state[l].groupSize == 0 ? 0 : state[l].level, link: Int32(l)))
    }

    /// Makes flow `i` a member of group `l` with `remaining` bytes to send.
    private mutating func join(_ i: Int, group l: Int, remaining: Double) {
        rebase(l)
        touch(l)
        let first = Int(pathStart[i]), end = Int(pathStart[i + 1])
        if end - first - 1 > memberStride { widenMemberStride(to: end - first - 1) }
        membership[i].groupSlot = state[l].groupSize
        group[l].append(Int32(i))
        state[l].groupSize += 1
        for p in first..<end { crossingGroup[Int(pathLinks[p])][Int(memberSlot[p])] = Int32(l) }
        appendOtherLinks(of: i, toGroup: l)
        membership[i].bottleneck = Int32(l)
        membership[i].joinStamp &+= 1
        membership[i].finishKey = remaining + served[l]
        queue[l].push(QueuedFlow(key: membership[i].finishKey, flow: Int32(i), stamp: membership[i].joinStamp))
        if membership[i].finishKey < nextFinishKey[l] { nextFinishKey[l] = membership[i].finishKey }   // NaN (not known) stays NaN
        joinedCount[l] += 1
    }

    /// Appends flow `f`'s links other than `l` to group `l`'s stored routes, padded to `memberStride`.
    private mutating func appendOtherLinks(of f: Int, toGroup l: Int) {
        let first = Int(pathStart[f]), end = Int(pathStart[f + 1])
        for p in first..<end where Int(pathLinks[p]) != l { groupPaths[l].append(pathLinks[p]) }
        for _ in (end - first - 1)..<memberStride { groupPaths[l].append(-1) }
    }

    /// Lays every group's stored routes out again with `stride` entries per member.
    /// - Complexity: O(members × stride); only when a flow with more links than any before joins a group.
    private mutating func widenMemberStride(to stride: Int) {
        memberStride = stride
        for l in group.indices where state[l].groupSize > 0 {
            groupPaths[l].removeAll(keepingCapacity: true)
            for f in group[l] { appendOtherLinks(of: Int(f), toGroup: l) }
        }
    }

    /// Pops the entries of flows that have left group `l` (finished or moved) off the top of its queue.
    @inline(__always) private mutating func dropStaleEntries(of l: Int) {
        while let top = queue[l].min,
              membership[Int(top.flow)].bottleneck != Int32(l) || membership[Int(top.flow)].joinStamp != top.stamp {
            _ = queue[l].popMin()
        }
    }

    /// Takes flow `i` out of its group.
    private mutating func leaveGroup(_ i: Int) {
        let g = Int(membership[i].bottleneck)
        touch(g)
        let slot = Int(membership[i].groupSlot)
        let last = group[g].removeLast()
        state[g].groupSize -= 1
        let stride = memberStride, lastBlock = groupPaths[g].count - stride
        if Int(last) != i {
            group[g][slot] = last
            membership[Int(last)].groupSlot = Int32(slot)
            for k in 0..<stride { groupPaths[g][slot * stride + k] = groupPaths[g][lastBlock + k] }
        }
        groupPaths[g].removeLast(stride)
        if state[g].groupSize == 0 {
            queue[g].removeAll()
            nextFinishKey[g] = .infinity
        } else if membership[i].finishKey <= nextFinishKey[g] {
            nextFinishKey[g] = .nan   // it may have been the smallest: the queue will tell
        }
        membership[i].bottleneck = -1
    }

    /// The first max-min condition the current rates break, described, or nil when they are the
    /// max-min fair allocation within `precision`: every link's load is the sum of its flows' rates
    /// (a finished flow awaiting its repair at the rate it held) and within capacity (both within
    /// `tolerance`), every group's link is saturated and no flow crossing a link with a group is
    /// faster than its level (both within `precision`), and the bookkeeping (group sizes, cached
    /// finish keys, risers) agrees. For tests.
    /// - Complexity: O(F · P + L).
    func maxMinViolation() -> String? {
        let tolerance = Self.tolerance
        var sum = [Double](repeating: 0, count: state.count)
        for l in members.indices {
            for p in members[l] { sum[l] += allocatedRate(of: entryFlow[Int(p)]) }
        }
        for l in members.indices {
            let capacity = topology.bytesPerSecond[l]
            if abs(sum[l] - state[l].load) > tolerance * capacity { return "link \(l): load \(state[l].load), flows sum to \(sum[l])" }
            if sum[l] > capacity * (1 + tolerance) { return "link \(l): \(sum[l]) over capacity \(capacity)" }
            if Int(state[l].groupSize) != group[l].count { return "link \(l): group size \(state[l].groupSize), members \(group[l].count)" }
            if state[l].hasRisers || !risers[l].isEmpty { return "link \(l): risers left after the repair" }
            guard !group[l].isEmpty else { continue }
            let smallestKey = group[l].map { membership[Int($0)].finishKey }.min()!
            if !nextFinishKey[l].isNaN && nextFinishKey[l] != smallestKey {
                return "link \(l): next finish key \(nextFinishKey[l]), members' smallest \(smallestKey)"
            }
            if sum[l] < capacity * (1 - precision - tolerance) { return "link \(l): group of \(group[l].count) at \(state[l].level) but load \(sum[l]) < \(capacity)" }
            for f in members[l].map({ entryFlow[Int($0)] }) where allocatedRate(of: f) > state[l].level * (1 + precision + tolerance) {
                return "link \(l): flow \(f) at \(allocatedRate(of: f)) faster than level \(state[l].level)"
            }
        }
        return nil
    }

    // MARK: Repair

    /// Repairs the rates if flows started, or if finished flows are due to be taken off their links.
    private mutating func repairIfNeeded() {
        guard !pendingStarts.isEmpty || now >= repairDeadline else { return }
        repairDeadline = .max
        repairs += 1
        didFullSolve = false
        for f in pendingRemovals { finish(Int(f)) }
        pendingRemovals.removeAll(keepingCapacity: true)
        let placeBySolving = !pendingStarts.isEmpty
            && Double(pendingStarts.count) >= Self.fullSolveShare * Double(transmittingCount)
        for f in pendingStarts { insert(Int(f)) }
        if placeBySolving {
            solveEverything()
        } else {
            for f in pendingStarts { place(Int(f)) }
            if !settleDirtyLinks() { solveEverything() }
        }
        pendingStarts.removeAll(keepingCapacity: true)
        finishRepair()
    }

    /// Takes a finished flow off its links and out of its group.
    private mutating func finish(_ i: Int) {
        let g = Int(membership[i].bottleneck)
        let rate = state[g].level
        leaveGroup(i)
        markDirty(g)
        for p in Int(pathStart[i])..<Int(pathStart[i + 1]) {
            let l = Int(pathLinks[p])
            state[l].load -= rate
            let slot = Int(memberSlot[p])
            let moved = members[l].removeLast()
            let movedGroup = crossingGroup[l].removeLast()
            if Int(moved) != p {
                members[l][slot] = moved
                crossingGroup[l][slot] = movedGroup
                memberSlot[Int(moved)] = Int32(slot)
            }
            if l != g && state[l].groupSize > 0 { markDirty(l) }
        }
        transmittingCount -= 1
    }

    /// Puts a flow that starts transmitting on its links (in no group until placed).
    private mutating func insert(_ i: Int) {
        for p in Int(pathStart[i])..<Int(pathStart[i + 1]) {
            let l = Int(pathLinks[p])
            memberSlot[p] = Int32(members[l].count)
            lastStartNanos[l] = now
            members[l].append(Int32(p))
            crossingGroup[l].append(-1)
        }
        transmittingCount += 1
    }

    /// Gives a starting flow a first rate: the tightest of its links' offers (a group's level, or
    /// the capacity left on a link without one); the settling then corrects everything it upsets.
    private mutating func place(_ i: Int) {
        var best = -1
        var offer = Double.infinity
        for p in Int(pathStart[i])..<Int(pathStart[i + 1]) {
            let l = Int(pathLinks[p])
            let o = state[l].groupSize == 0 ? max(state[l].capacity - state[l].load, 0) : state[l].level
            if o < offer {
                offer = o
                best = l
            }
        }
        if state[best].groupSize == 0 {
            rebase(best)
            state[best].level = offer
            state[best].fasterBound = 0
            state[best].needsScan = true   // flows already crossing may be faster than the new group's level
        }
        join(i, group: best, remaining: Double(bytes[i]))
        for p in Int(pathStart[i])..<Int(pathStart[i + 1]) {
            let l = Int(pathLinks[p])
            state[l].load += offer
            if l != best && state[l].groupSize > 0 { state[l].fasterBound = max(state[l].fasterBound, offer) }
            markDirty(l)
        }
    }

    /// Settles dirty links, lowest level first, until none is left; false if the budget ran out
    /// (the dirty set is then cleared and the caller solves everything).
    private mutating func settleDirtyLinks() -> Bool {
        var budget = settleBudget
        while let next = dirty.popMin() {
            let l = Int(next.link)
            state[l].isDirty = false
            if settle(l) { budget -= 1 }
            if budget < 0 {
                while let rest = dirty.popMin() {
                    state[Int(rest.link)].isDirty = false
                    state[Int(rest.link)].needsScan = false
                    clearRisers(of: Int(rest.link))
                }
                return false
            }
        }
        return true
    }

    /// Restores the max-min conditions on link `l`: saturated at its group's level, over capacity
    /// nowhere, and no faster flow crossing it outside its group (those join it, by water-filling).
    /// Returns false when they already held.
    @discardableResult
    private mutating func settle(_ l: Int) -> Bool {
        let tolerance = Self.tolerance
        let capacity = state[l].capacity
        let oldCount = Int(state[l].groupSize)
        var count = oldCount
        var others = state[l].load - Double(count) * state[l].level   // the flows crossing l outside its group
        var target: Double
        defer { clearRisers(of: l) }
        if count == 0 {
            guard state[l].load > capacity * (1 + tolerance) else { return false }
            target = .infinity
        } else {
            guard state[l].needsScan || state[l].hasRisers || state[l].isOffCapacity(precision: precision) else { return false }
            target = (capacity - others) / Double(count)
        }
        rebase(l)
        var joining = 0
        // Water-filling: a flow outside the group joins it when it is faster than the level it would
        // share. Each joiner is faster than the level, so the level rises as they join (staying below
        // them all): only flows faster than the current level can join, fastest first. Those are among
        // the risers unless the flows outside them may be too (`fasterBound`), or any flow may be.
        let threshold = count == 0 ? -Double.infinity : target * (1 + precision)
        let scanAll = count == 0 || state[l].needsScan || state[l].fasterBound > threshold
        if scanAll || state[l].hasRisers {
            var fastestLeft: Double
            if scanAll {
                fastestLeft = gatherCandidates(crossing: l, fasterThan: threshold)
                resolvedFlows += members[l].count - oldCount
                candidates.sort()
            } else {
                fastestLeft = max(state[l].fasterBound, gatherRisers(of: l, fasterThan: threshold))   // sorted
                resolvedFlows += risers[l].count
            }
            while joining < candidates.count && (count == 0 || candidates[joining].rate > target * (1 + precision)) {
                others -= candidates[joining].rate
                count += 1
                target = (capacity - others) / Double(count)
                joining += 1
            }
            if joining < candidates.count { fastestLeft = max(fastestLeft, candidates[joining].rate) }
            state[l].fasterBound = fastestLeft
        }
        state[l].needsScan = false
        guard count > 0 else { return true }
        target = max(target, 0)

        // The members move to the new level, and with them the load on their other links.
        let delta = target - state[l].level
        if oldCount > 0 && delta != 0 {
            resolvedFlows += oldCount
            state[l].load += delta * Double(oldCount)
            moveLoad(by: delta, onOtherLinksOf: l, membersAt: target)
        }
        state[l].level = target
        for j in 0..<joining { move(Int(candidates[j].flow), from: candidates[j].rate, to: l) }
        return true
    }

    /// Fills `candidates` with the flows crossing link `l` outside its group that run faster than
    /// `threshold`, and returns the fastest rate of the others (0 if none).
    /// - Complexity: O(flows crossing `l`); on raw buffers, as it runs for every scan.
    private mutating func gatherCandidates(crossing l: Int, fasterThan threshold: Double) -> Double {
        var found = candidates   // taken out of self so that the loop holds no access to it
        candidates = []
        found.removeAll(keepingCapacity: true)
        var fastestLeft = 0.0
        let groups = crossingGroup[l], entries = members[l]   // not mutated below
        state.withUnsafeBufferPointer { state in
            groups.withUnsafeBufferPointer { groups in
                for k in groups.indices {
                    let b = Int(groups[k])
                    guard b != l && b >= 0 else { continue }
                    let rate = state[b].level
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

    /// Fills `candidates` with the risers of link `l` (see `risers`) that still cross it outside its
    /// group and run faster than `threshold`, and returns the fastest rate of the others (0 if none).
    /// A flow that rose twice is listed once.
    /// - Complexity: O(r log r) for r risers of `l`.
    private mutating func gatherRisers(of l: Int, fasterThan threshold: Double) -> Double {
        candidates.removeAll(keepingCapacity: true)
        var fastestLeft = 0.0
        for f in risers[l] {
            let b = Int(membership[Int(f)].bottleneck)
            guard b != l && b >= 0 else { continue }   // joined it since, or finished
            let rate = state[b].level
            if rate > threshold {
                candidates.append(Candidate(rate: rate, flow: f))
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

    /// Forgets link `l`'s risers.
    @inline(__always) private mutating func clearRisers(of l: Int) {
        guard state[l].hasRisers else { return }
        state[l].hasRisers = false
        risers[l].removeAll(keepingCapacity: true)
    }

    /// Adds `delta` to the load of every member's other links in group `l`, whose members now run
    /// at `rate`, queues those links that must be settled again, and lists each member that now
    /// runs faster than another link's level among that link's risers.
    /// - Complexity: O(members × stride); the repair's innermost loop, so it runs on raw buffers.
    private mutating func moveLoad(by delta: Double, onOtherLinksOf l: Int, membersAt rate: Double) {
        let rising = delta > 0
        let paths = groupPaths[l]   // not mutated below
        var found = newlyDirty      // taken out of self so that the loop holds no access to it
        var overtaken = newRisers
        newlyDirty = []
        newRisers = []
        state.withUnsafeMutableBufferPointer { state in
            paths.withUnsafeBufferPointer { paths in
                for i in paths.indices where paths[i] >= 0 {
                    let m = Int(paths[i])
                    state[m].load += delta
                    switch state[m].loadMoved(byAFlowAt: rate, rising: rising, precision: precision) {
                    case .settled: break
                    case .unsettled: found.append(paths[i])
                    case .overtaken:
                        found.append(paths[i])
                        overtaken.append(Int32(i))
                    }
                }
            }
        }
        let stride = memberStride
        for i in overtaken { risers[Int(paths[Int(i)])].append(group[l][Int(i) / stride]) }
        for m in found { markDirty(Int(m)) }
        found.removeAll(keepingCapacity: true)
        overtaken.removeAll(keepingCapacity: true)
        newlyDirty = found
        newRisers = overtaken
    }

    /// Moves flow `i`, running at `rate`, into group `l` at its (lower) level.
    private mutating func move(_ i: Int, from rate: Double, to l: Int) {
        let old = Int(membership[i].bottleneck)
        let remaining = remainingBytes(of: i)
        leaveGroup(i)
        join(i, group: l, remaining: remaining)
        resolvedFlows += 1
        let newRate = state[l].level
        if state[old].groupSize > 0 { state[old].fasterBound = max(state[old].fasterBound, newRate) }
        for p in Int(pathStart[i])..<Int(pathStart[i + 1]) {
            let m = Int(pathLinks[p])
            state[m].load += newRate - rate
            if m != l && state[m].loadMoved(byAFlowAt: newRate, rising: false, precision: precision) != .settled { markDirty(m) }
        }
    }

    /// Recomputes every transmitting flow's rate by progressive filling and rebuilds the groups.
    private mutating func solveEverything() {
        fullSolves += 1
        didFullSolve = true
        transmitting.removeAll(keepingCapacity: true)
        for f in pendingStarts where membership[Int(f)].bottleneck < 0 {   // not placed yet
            solvedRemaining[Int(f)] = Double(bytes[Int(f)])
            previousRate[Int(f)] = 0
            transmitting.append(f)
        }
        for l in group.indices where state[l].groupSize > 0 {
            for f in group[l] {
                solvedRemaining[Int(f)] = remainingBytes(of: Int(f))
                previousRate[Int(f)] = state[l].level
                transmitting.append(f)
            }
            touch(l)
            for f in group[l] { membership[Int(f)].bottleneck = -1 }
            group[l].removeAll(keepingCapacity: true)
            state[l].groupSize = 0
            groupPaths[l].removeAll(keepingCapacity: true)
            queue[l].removeAll()
            nextFinishKey[l] = .infinity
        }
        transmitting.sort()
        for l in state.indices { state[l].load = 0 }
        solver.solve(capacities: topology.bytesPerSecond, pathStart: pathStart, pathLinks: pathLinks,
                     flows: transmitting, rates: &solvedRate, bottlenecks: &solvedLink)
        resolvedFlows += transmitting.count
        for f in transmitting {
            let i = Int(f), l = Int(solvedLink[i])
            let rate = solvedRate[i], before = previousRate[i]
            if abs(rate - before) > Self.tolerance * max(rate, before) { rateChanges += 1 }
            if state[l].groupSize == 0 {
                rebase(l)
                state[l].level = solvedRate[i]
                state[l].fasterBound = solvedRate[i]   // max-min: nothing crossing a bottleneck is faster than its level
            }
            join(i, group: l, remaining: solvedRemaining[i])
            for p in Int(pathStart[i])..<Int(pathStart[i + 1]) { state[Int(pathLinks[p])].load += solvedRate[i] }
        }
    }

    /// Reschedules every touched group's next completion and counts the rate changes.
    private mutating func finishRepair() {
        let tolerance = Self.tolerance
        for link in touched {
            let l = Int(link)
            state[l].isTouched = false
            defer { joinedCount[l] = 0 }
            guard state[l].groupSize > 0 else {
                completions.remove(l)
                continue
            }
            rebase(l)
            if !didFullSolve {
                let before = levelBefore[l]
                rateChanges += abs(state[l].level - before) > tolerance * max(state[l].level, before)
                    ? Int(state[l].groupSize) : Int(joinedCount[l])
            }
            if nextFinishKey[l].isNaN {
                dropStaleEntries(of: l)
                nextFinishKey[l] = queue[l].min!.key
            }
            completions.set(l, key: finishTime(key: nextFinishKey[l], in: l))
        }
        touched.removeAll(keepingCapacity: true)
    }
}
