import XCTest
@testable import MoESimCore

/// The flow-level network: its incremental max-min repair against a fresh solve at every
/// instant, closed forms to the nanosecond, and its relation to the analytical bound.
final class FlowNetworkTests: XCTestCase {

    // MARK: Clusters

    /// `nodes` DGX H100 nodes (8 GPUs, NVSwitch, 8 NICs) on `fabric`.
    static func dgxH100(nodes: Int, fabric: FabricSpec = .nonBlocking) -> ClusterSpec {
        var spec = ClusterPreset.dgxH100.spec
        spec.nodes = nodes
        spec.fabric = fabric
        return spec
    }

    /// The cluster variants the random tests cycle through: NVSwitch and PCIe nodes, one NIC per
    /// GPU or shared NICs, non-blocking, fat-tree and rail fabrics, and both transports.
    static let variantCount = 8
    static func variant(_ v: Int, nodes: Int) -> (ClusterSpec, Transport) {
        switch v {
        case 0: return (dgxH100(nodes: nodes), .nvlink)
        case 1: return (dgxH100(nodes: nodes, fabric: .fatTree(nodesPerLeaf: 1, oversubscription: 2)), .nvlink)
        case 2: return (dgxH100(nodes: nodes, fabric: .railOptimized(nodesPerGroup: 2, oversubscription: 1.5)), .nvlink)
        case 3:
            var spec = ClusterPreset.pcieA100.spec   // 4 NICs for 8 GPUs
            spec.nodes = nodes
            spec.pcieSwitchesPerNode = 2
            return (spec, .nvlink)
        case 4:
            var spec = dgxH100(nodes: nodes, fabric: .fatTree(nodesPerLeaf: 1, oversubscription: 2))
            spec.intraNodeFabric = .pcie
            spec.intraNodeLink = spec.gpuToNICLink
            spec.pcieSwitchesPerNode = 2
            return (spec, .nvlink)
        case 5:
            var spec = dgxH100(nodes: nodes, fabric: .railOptimized(nodesPerGroup: 2, oversubscription: 1.5))
            spec.nicsPerNode = 2
            return (spec, .nvlink)
        case 6: return (dgxH100(nodes: nodes, fabric: .fatTree(nodesPerLeaf: 2, oversubscription: 3)), .rdma)
        default:
            var spec = ClusterPreset.pcieA100.spec
            spec.nodes = nodes
            spec.pcieSwitchesPerNode = 2
            spec.fabric = .railOptimized(nodesPerGroup: 2, oversubscription: 1.5)
            return (spec, .nvlink)
        }
    }

    // MARK: Driving the network

    struct PlannedFlow {
        var source: Int
        var destination: Int
        var bytes: Int64
        var at: Int64
    }

    /// Adds every flow at its time and runs the network dry; returns each flow's finish time.
    static func finishTimes(_ topology: Topology, _ flows: [PlannedFlow],
                            precision: Double = FlowNetwork.defaultPrecision) -> [Int64] {
        var network = FlowNetwork(topology: topology, precision: precision)
        for f in flows {
            network.addFlow(from: f.source, to: f.destination, bytes: f.bytes, at: SimTime(nanoseconds: f.at), tag: 0)
        }
        var completed: [FlowID] = []
        while let next = network.nextEventTime() { network.advance(to: next, completed: &completed) }
        XCTAssertEqual(completed.count, flows.count)
        return network.finishedNanos
    }

    /// Every GPU sends `bytes` to every other GPU.
    static func uniform(gpus: Int, bytes: Int64) -> TrafficMatrix {
        var traffic = TrafficMatrix(gpuCount: gpus)
        for s in 0..<gpus { for d in 0..<gpus where d != s { traffic[s, d] = bytes } }
        return traffic
    }

    static func flowTime(_ cluster: ClusterSpec, _ traffic: TrafficMatrix, transport: Transport = .nvlink) -> SimTime {
        var network = FlowNetwork(topology: Topology(cluster: cluster, transport: transport))
        return network.run(traffic).time
    }

    static func analyticalTime(_ cluster: ClusterSpec, _ traffic: TrafficMatrix, transport: Transport = .nvlink) -> SimTime {
        var model = AnalyticalNetwork(cluster: cluster, transport: transport)
        return model.time(of: traffic)
    }

    // MARK: Incremental repair against a fresh solve

    /// Random flows at random times on real topologies. At every instant the network stops at,
    /// every transmitting flow's rate equals a fresh max-min solve over exactly the flows
    /// transmitting then; the others have rate 0. Integrating those reference rates, each flow
    /// has delivered its bytes exactly when it completes (within one nanosecond of its rate),
    /// and no flow beats latency + bytes ÷ its slowest link.
    func testIncrementalRatesMatchFreshSolveAtEveryInstant() {
        var solver = MaxMinFairShare()
        var instantsChecked = 0, maxConcurrent = 0, repairs = 0, fullSolves = 0
        for seed in UInt64(0)..<300 {
            guard let run = Self.checkIncremental(seed: seed, heavy: seed % 10 == 0, solver: &solver) else { return }
            instantsChecked += run.instants
            maxConcurrent = max(maxConcurrent, run.maxConcurrent)
            repairs += run.repairs
            fullSolves += run.fullSolves
        }
        XCTAssertGreaterThan(instantsChecked, 10_000)
        XCTAssertGreaterThan(maxConcurrent, 50)
        // Most repairs settle links locally; full solves are for large batches of starts.
        XCTAssertLessThan(fullSolves * 4, repairs, "\(fullSolves) full solves in \(repairs) repairs")
    }

    /// With no settling budget every repair falls back to progressive filling over all flows,
    /// which must give the same rates at every instant.
    func testFullSolveFallbackMatchesFreshSolveAtEveryInstant() {
        var solver = MaxMinFairShare()
        var repairs = 0, fullSolves = 0
        for seed in UInt64(0)..<40 {
            guard let run = Self.checkIncremental(seed: seed, heavy: seed % 10 == 0, solver: &solver, settleBudget: 0)
            else { return }
            repairs += run.repairs
            fullSolves += run.fullSolves
        }
        XCTAssertGreaterThan(fullSolves * 2, repairs, "the fallback ran in \(fullSolves) of \(repairs) repairs")
    }

    /// At a coarse precision no link is ever over capacity, (a) and (c) hold within the precision
    /// at every instant, and finish times stay close to the exact trajectory's; the precision does
    /// change some (so this compares two different trajectories). A repair after a completion waits
    /// at most `precision` of the time the youngest flow on the finished flow's links has been
    /// transmitting, so a finish moves by a few `precision` of the flow's own time, however short.
    func testCoarsePrecisionStaysFeasibleAndNearTheExactTrajectory() {
        let precision = 1e-3   // ten times the default, to make its effects plain
        var worstMakespan = 0.0, worstFinish = 0.0, worstOwn = 0.0, changedFinishes = 0, repairs = 0, instants = 0
        for seed in UInt64(0)..<200 {
            let (topology, plan) = Self.randomPlan(seed: seed, heavy: seed % 10 == 0)
            var network = FlowNetwork(topology: topology, precision: precision)
            for f in plan {
                network.addFlow(from: f.source, to: f.destination, bytes: f.bytes, at: SimTime(nanoseconds: f.at), tag: 0)
            }
            var completed: [FlowID] = []
            while let next = network.nextEventTime() {
                if let violation = network.maxMinViolation() { return XCTFail("seed \(seed): \(violation)") }
                network.advance(to: next, completed: &completed)
            }
            repairs += network.repairs
            instants += network.instants
            let exact = Self.finishTimes(topology, plan, precision: FlowNetwork.exactPrecision)
            let coarse = network.finishedNanos
            XCTAssertEqual(coarse.count, exact.count)
            let makespan = Double(exact.max()!), coarseMakespan = Double(coarse.max()!)
            for f in plan.indices where coarse[f] != exact[f] {
                changedFinishes += 1
                worstFinish = max(worstFinish, abs(Double(coarse[f] - exact[f])) / makespan)
                worstOwn = max(worstOwn, abs(Double(coarse[f] - exact[f])) / Double(exact[f] - plan[f].at))
            }
            worstMakespan = max(worstMakespan, abs(coarseMakespan - makespan) / makespan)
        }
        XCTAssertGreaterThan(changedFinishes, 0, "the precision changed nothing in \(repairs) repairs")
        XCTAssertLessThan(repairs, instants, "no completions were repaired together")
        XCTAssertLessThanOrEqual(worstMakespan, 5 * precision)
        XCTAssertLessThanOrEqual(worstFinish, 5 * precision, "a finish moved by \(worstFinish) of the makespan")
        XCTAssertLessThanOrEqual(worstOwn, 5 * precision, "a finish moved by \(worstOwn) of the flow's own time")
    }

    /// What one random run of the incremental check saw.
    struct IncrementalRun {
        var instants: Int
        var maxConcurrent: Int
        var repairs: Int
        var fullSolves: Int
    }

    /// One random run of the incremental check; nil after reporting a failure. At every instant the
    /// network also passes its own check of the max-min conditions (`maxMinViolation`).
    static func checkIncremental(seed: UInt64, heavy: Bool, solver: inout MaxMinFairShare,
                                 nodes: Int? = nil, flows: Int? = nil, settleBudget: Int? = nil) -> IncrementalRun? {
        var instantsChecked = 0
        var maxConcurrent = 0
        let (topology, plan) = Self.randomPlan(seed: seed, heavy: heavy, nodes: nodes, flows: flows)

        // Routes, for the reference.
        var pathStart: [Int32] = [0]
        var pathLinks: [Int32] = []
        var startAt: [Int64] = []
        var slowest: [Double] = []
        for f in plan {
            let before = pathLinks.count
            let latency = topology.route(from: f.source, to: f.destination, into: &pathLinks)
            pathStart.append(Int32(pathLinks.count))
            startAt.append(f.at + latency)
            slowest.append(pathLinks[before...].map { topology.bytesPerSecond[Int($0)] }.min()!)
        }

        var network = FlowNetwork(topology: topology, precision: FlowNetwork.exactPrecision)
        if let settleBudget { network.settleBudget = settleBudget }
        // Odd seeds add flows just in time, interleaved with the network's own events;
        // even seeds add them all up front.
        let justInTime = seed % 2 == 1
        var added = 0
        if !justInTime {
            for f in plan {
                network.addFlow(from: f.source, to: f.destination, bytes: f.bytes, at: SimTime(nanoseconds: f.at), tag: 0)
            }
            added = plan.count
        }
        var reference = [Double](repeating: 0, count: plan.count)
        var bottlenecks = [Int32](repeating: 0, count: plan.count)
        var delivered = [Double](repeating: 0, count: plan.count)
        var lastRate = [Double](repeating: 0, count: plan.count)
        var transmitting: [Int32] = []
        var completed: [FlowID] = []
        var now: Int64 = 0
        var failed = false

        while !failed {
            let networkNext = network.nextEventTime()   // repairs the rates for `now`
            if let violation = network.maxMinViolation() {
                XCTFail("seed \(seed) t=\(now): \(violation)")
                return nil
            }

            // The reference at `now`.
            transmitting.removeAll()
            for f in 0..<added where startAt[f] <= now && network.finishedNanos[f] < 0 {
                transmitting.append(Int32(f))
            }
            maxConcurrent = max(maxConcurrent, transmitting.count)
            for f in 0..<plan.count { reference[f] = 0 }
            solver.solve(capacities: topology.bytesPerSecond, pathStart: pathStart, pathLinks: pathLinks,
                         flows: transmitting, rates: &reference, bottlenecks: &bottlenecks)
            for f in 0..<added {
                let got = network.rate(of: FlowID(f)), want = reference[f]
                if abs(got - want) > 1e-6 * want + 1e-3 {
                    XCTFail("seed \(seed) t=\(now) flow \(f): rate \(got), fresh solve \(want)")
                    failed = true
                    break
                }
            }
            instantsChecked += 1

            let nextAdd = justInTime && added < plan.count ? plan[added].at : nil
            guard let next = [networkNext?.nanoseconds, nextAdd].compactMap({ $0 }).min() else { break }
            XCTAssertGreaterThanOrEqual(next, now)
            for f in transmitting.map(Int.init) {
                delivered[f] += reference[f] * Double(next - now) / 1e9
                lastRate[f] = reference[f]
            }
            completed.removeAll()
            network.advance(to: SimTime(nanoseconds: next), completed: &completed)
            now = next
            for id in completed {
                let f = id.index
                let tolerance = 1e-6 * Double(plan[f].bytes) + lastRate[f] * 1e-9 + 1e-3
                if network.finishedNanos[f] != now || abs(delivered[f] - Double(plan[f].bytes)) > tolerance {
                    XCTFail("seed \(seed) flow \(f) finished at \(network.finishedNanos[f]) (now \(now)) having "
                            + "delivered \(delivered[f]) of \(plan[f].bytes) bytes")
                    failed = true
                }
            }
            // Flows not yet finished have not delivered more than their bytes.
            for f in transmitting.map(Int.init) where network.finishedNanos[f] < 0 {
                if delivered[f] > Double(plan[f].bytes) + 1e-6 * Double(plan[f].bytes) + 1e-3 {
                    XCTFail("seed \(seed) flow \(f) is overdue: delivered \(delivered[f]) of \(plan[f].bytes)")
                    failed = true
                }
            }
            while justInTime && added < plan.count && plan[added].at == now {
                let f = plan[added]
                let id = network.addFlow(from: f.source, to: f.destination, bytes: f.bytes,
                                         at: SimTime(nanoseconds: f.at), tag: Int32(added))
                XCTAssertEqual(id.index, added)
                added += 1
            }
        }
        if failed { return nil }

        // Every flow finished, no earlier than latency + bytes ÷ its slowest link; bytes are conserved.
        XCTAssertEqual(network.flowCount, plan.count)
        XCTAssertEqual(network.bytes.reduce(0, +), plan.map(\.bytes).reduce(0, +))
        XCTAssertEqual(delivered.reduce(0, +), Double(plan.map(\.bytes).reduce(0, +)),
                       accuracy: 1e-6 * Double(plan.map(\.bytes).reduce(0, +)) + Double(plan.count) * 500)
        for f in plan.indices {
            let finish = network.finishedNanos[f]
            XCTAssertGreaterThanOrEqual(finish, 0, "seed \(seed) flow \(f) never finished")
            let bound = Double(startAt[f]) + Double(plan[f].bytes) / slowest[f] * 1e9
            XCTAssertGreaterThanOrEqual(Double(finish), bound - 1e-3, "seed \(seed) flow \(f)")
        }
        return IncrementalRun(instants: instantsChecked, maxConcurrent: maxConcurrent, repairs: network.repairs,
                              fullSolves: network.fullSolves)
    }

    /// Random flows on one of the test topologies: a few hot destinations make contention likely,
    /// some sizes and start times coincide (simultaneous finishes, batches of starts).
    static func randomPlan(seed: UInt64, heavy: Bool, nodes: Int? = nil, flows: Int? = nil) -> (Topology, [PlannedFlow]) {
        var rng = SplitMix64(seed: 77_000 + seed)
        let (cluster, transport) = Self.variant(Int(seed) % Self.variantCount,
                                                nodes: nodes ?? 2 + Int(seed / UInt64(Self.variantCount)) % 3)
        let topology = Topology(cluster: cluster, transport: transport)
        let gpus = cluster.gpuCount

        // Plan the flows: a few hot destinations make contention likely; some times coincide.
        let flowCount = flows ?? (heavy ? 120 + Int(rng.next() % 60) : 1 + Int(rng.next() % 40))
        let hot = (0..<3).map { _ in Int(rng.next() % UInt64(gpus)) }
        var plan: [PlannedFlow] = []
        for _ in 0..<flowCount {
            let source = Int(rng.next() % UInt64(gpus))
            var destination = rng.next() % 2 == 0 ? hot[Int(rng.next() % 3)] : Int(rng.next() % UInt64(gpus))
            if destination == source { destination = (source + 1 + Int(rng.next() % UInt64(gpus - 1))) % gpus }
            let bytes: Int64
            switch rng.next() % 8 {
            case 0: bytes = 1 + Int64(rng.next() % 1_000)                  // tiny
            case 1: bytes = 1_000_000                                       // equal sizes: simultaneous finishes
            default: bytes = 1 + Int64(rng.next() % 4_000_000)
            }
            let at: Int64
            switch rng.next() % 4 {
            case 0: at = 0
            case 1: at = Int64(rng.next() % 20) * 1_000                     // a coarse grid: batches
            default: at = Int64(rng.next() % 100_000)
            }
            plan.append(PlannedFlow(source: source, destination: destination, bytes: bytes, at: at))
        }
        plan.sort { ($0.at, $0.source, $0.destination) < ($1.at, $1.source, $1.destination) }
        return (topology, plan)
    }

    /// `reset()` forgets everything: the same flows give the same finish times on a reused network,
    /// and `run` agrees with driving the network by hand.
    func testResetAndRunAreRepeatable() {
        for seed in UInt64(0)..<40 {
            var rng = SplitMix64(seed: 5_000 + seed)
            let (cluster, transport) = Self.variant(Int(seed) % Self.variantCount, nodes: 2 + Int(seed % 3))
            let topology = Topology(cluster: cluster, transport: transport)
            var traffic = TrafficMatrix(gpuCount: cluster.gpuCount)
            for s in 0..<cluster.gpuCount {
                for d in 0..<cluster.gpuCount where d != s && rng.next() % 4 == 0 {
                    traffic[s, d] = 1 + Int64(rng.next() % 2_000_000)
                }
            }
            var network = FlowNetwork(topology: topology)
            let first = network.run(traffic)
            let firstFinish = network.finishedNanos
            let second = network.run(traffic)
            XCTAssertEqual(first, second)
            XCTAssertEqual(network.finishedNanos, firstFinish)
            var plan: [PlannedFlow] = []
            for s in 0..<cluster.gpuCount {
                for d in 0..<cluster.gpuCount where traffic[s, d] > 0 && s != d {
                    plan.append(PlannedFlow(source: s, destination: d, bytes: traffic[s, d], at: 0))
                }
            }
            let byHand = Self.finishTimes(topology, plan)
            XCTAssertEqual(byHand, firstFinish)
            XCTAssertEqual(first.time.nanoseconds, byHand.max() ?? 0)
            XCTAssertEqual(first.flows, plan.count)
        }
    }

    // MARK: Closed forms, to the nanosecond

    /// One flow alone: α + bytes ÷ (bandwidth × efficiency), rounded up to the nanosecond.
    /// The flow model leaves out of routes only the GPU↔NIC PCIe hops that can never limit a flow:
    /// one NIC per GPU on an NVSwitch node, hop at least as fast as the NIC port. A slower hop stays and
    /// limits, to the nanosecond.
    func testOnlyHopsThatCannotLimitAreLeftOut() {
        func neverLimiting(_ cluster: ClusterSpec) -> Int {
            let topology = Topology(cluster: cluster, transport: .nvlink)
            return (0..<topology.linkCount).filter(topology.neverLimits).count
        }
        XCTAssertEqual(neverLimiting(Self.dgxH100(nodes: 2)), 2 * 16)     // every GPU's PCIe up and down
        XCTAssertEqual(neverLimiting(Self.variant(3, nodes: 2).0), 0)     // PCIe node: GPUs talk over PCIe too
        XCTAssertEqual(neverLimiting(Self.variant(5, nodes: 2).0), 0)     // 2 NICs for 8 GPUs: shared port

        // A PCIe hop of 32 GB/s × 0.8 = 25.6 GB/s, slower than the 43 GB/s NIC, is kept and limits:
        // 2.56 MB → 100 µs after α = 3 µs.
        var slowHop = Self.dgxH100(nodes: 2)
        slowHop.gpuToNICLink.bandwidthBytesPerSecond /= 2
        XCTAssertEqual(neverLimiting(slowHop), 0)
        let topology = Topology(cluster: slowHop, transport: .nvlink)
        XCTAssertEqual(Self.finishTimes(topology, [PlannedFlow(source: 0, destination: 8, bytes: 2_560_000, at: 0)]),
                       [103_000])
    }

    func testSingleFlowClosedForms() {
        // NVLink inside a DGX H100: 450 GB/s × 0.8 = 360 GB/s, α = 2 µs.
        let one = Topology(cluster: Self.dgxH100(nodes: 1), transport: .nvlink)
        // 3.6 MB ÷ 360 GB/s = 10 µs exactly.
        XCTAssertEqual(Self.finishTimes(one, [PlannedFlow(source: 0, destination: 1, bytes: 3_600_000, at: 0)]), [12_000])
        // 1 MB ÷ 360 GB/s = 2777.8 ns → 2778.
        XCTAssertEqual(Self.finishTimes(one, [PlannedFlow(source: 3, destination: 6, bytes: 1_000_000, at: 0)]), [4_778])
        XCTAssertEqual(ClusterPreset.dgxH100.spec.intraNodeLink.transferTime(bytes: 1_000_000).nanoseconds, 4_778)
        // Added later: shifted by the start time.
        XCTAssertEqual(Self.finishTimes(one, [PlannedFlow(source: 3, destination: 6, bytes: 1_000_000, at: 5_000)]), [9_778])

        // Between two DGX H100 nodes: the NIC, 400 Gb/s = 50 GB/s × 0.86 = 43 GB/s, α = 3 µs
        // (the GPU→NIC PCIe hop, 64 GB/s × 0.8 = 51.2 GB/s, is faster).
        let two = Topology(cluster: Self.dgxH100(nodes: 2), transport: .nvlink)
        XCTAssertEqual(Self.finishTimes(two, [PlannedFlow(source: 0, destination: 8, bytes: 4_300_000, at: 0)]), [103_000])
        XCTAssertEqual(Self.finishTimes(two, [PlannedFlow(source: 13, destination: 2, bytes: 1_000_000, at: 0)]),
                       [3_000 + 23_256])   // 1 MB ÷ 43 GB/s = 23255.8 ns
        XCTAssertEqual(ClusterPreset.dgxH100.spec.nicLink.transferTime(bytes: 1_000_000).nanoseconds, 26_256)

        // RDMA transport inside one node: through the NICs, so the NIC's numbers.
        let rdma = Topology(cluster: Self.dgxH100(nodes: 1), transport: .rdma)
        XCTAssertEqual(Self.finishTimes(rdma, [PlannedFlow(source: 0, destination: 1, bytes: 4_300_000, at: 0)]), [103_000])

        // PCIe A100 node with two PCIe switches: GPU 0 → GPU 7 crosses both switch uplinks;
        // PCIe Gen4 32 GB/s × 0.8 = 25.6 GB/s everywhere, α = 2 µs. 2.56 MB → 100 µs.
        var pcie = ClusterPreset.pcieA100.spec
        pcie.pcieSwitchesPerNode = 2
        let pcieTopology = Topology(cluster: pcie, transport: .nvlink)
        var path: [Int32] = []
        XCTAssertEqual(pcieTopology.route(from: 0, to: 7, into: &path), 2_000)
        XCTAssertEqual(path.count, 4)
        XCTAssertEqual(Self.finishTimes(pcieTopology, [PlannedFlow(source: 0, destination: 7, bytes: 2_560_000, at: 0)]),
                       [102_000])
    }

    /// GPUs 1 and 2 send 1.8 and 3.6 MB to GPU 0 of one DGX H100 node, sharing its 360 GB/s ingress
    /// from α = 2 µs: both at 180 GB/s until the first finishes at 12 µs, then the second alone at
    /// 360 GB/s, done at 17 µs. At precision ε the second keeps 180 GB/s for ε × the 10 µs both
    /// have been transmitting, which costs it half that: ε = 10⁻² → 100 ns at half rate → 17050;
    /// ε = 10⁻⁴ → 1 ns → 17000.5 → 17001.
    func testRepairAfterACompletionWaitsPrecisionOfTheFlowsTransmittingTime() {
        let topology = Topology(cluster: Self.dgxH100(nodes: 1), transport: .nvlink)
        let plan = [PlannedFlow(source: 1, destination: 0, bytes: 1_800_000, at: 0),
                    PlannedFlow(source: 2, destination: 0, bytes: 3_600_000, at: 0)]
        XCTAssertEqual(Self.finishTimes(topology, plan, precision: FlowNetwork.exactPrecision), [12_000, 17_000])
        XCTAssertEqual(Self.finishTimes(topology, plan, precision: 1e-4), [12_000, 17_001])
        XCTAssertEqual(Self.finishTimes(topology, plan, precision: 1e-2), [12_000, 17_050])

        // The wait is one more event (a repair, nothing completes) but not an instant.
        var network = FlowNetwork(topology: topology, precision: 1e-2)
        for f in plan {
            network.addFlow(from: f.source, to: f.destination, bytes: f.bytes, at: SimTime(nanoseconds: f.at), tag: 0)
        }
        var times: [Int64] = []
        var completed: [FlowID] = []
        // Moving to a time at which nothing happens repairs nothing.
        network.advance(to: SimTime(nanoseconds: 1_000), completed: &completed)
        XCTAssertEqual(network.nextEventTime(), SimTime(nanoseconds: 2_000))
        XCTAssertEqual(network.repairs, 0)
        while let next = network.nextEventTime() {
            times.append(next.nanoseconds)
            network.advance(to: next, completed: &completed)
            XCTAssertEqual(network.rate(of: FlowID(0)), 0, "a finished flow has no rate, even before its repair")
        }
        XCTAssertEqual(times, [2_000, 12_000, 12_100, 17_050])
        XCTAssertEqual(network.instants, 3)
        XCTAssertEqual(network.repairs, 3)
    }

    /// N GPUs of one NVSwitch node all send b to GPU 0: GPU 0's ingress is shared N ways,
    /// so every flow finishes at α + N·b ÷ 360 GB/s.
    func testManyToOneInsideANodeSharesTheIngress() {
        let topology = Topology(cluster: Self.dgxH100(nodes: 1), transport: .nvlink)
        for n in 1...7 {
            let plan = (1...n).map { PlannedFlow(source: $0, destination: 0, bytes: 3_600_000, at: 0) }
            XCTAssertEqual(Self.finishTimes(topology, plan), [Int64](repeating: 2_000 + Int64(n) * 10_000, count: n))
            // Same through `run`: one start instant and one finish instant.
            var traffic = TrafficMatrix(gpuCount: 8)
            for s in 1...n { traffic[s, 0] = 1_000_000 }
            var network = FlowNetwork(topology: topology)
            let run = network.run(traffic)
            // n · 1 MB ÷ 360 GB/s, rounded up: n · 2777.8 ns.
            let expected = 2_000 + Int64((Double(n) * 1e6 / 360e9 * 1e9).rounded(.up))
            XCTAssertEqual(run.time.nanoseconds, expected, "n = \(n)")
            // Worked by hand: 3 MB ÷ 360 GB/s = 8333.3 ns → 10334; 7 MB → 19444.4 ns → 21445.
            if let byHand = [3: Int64(10_334), 7: 21_445][n] { XCTAssertEqual(run.time.nanoseconds, byHand, "n = \(n)") }
            XCTAssertEqual(run.flows, n)
            XCTAssertEqual(run.instants, 2)
            XCTAssertEqual(Self.analyticalTime(Self.dgxH100(nodes: 1), traffic), run.time)
        }
    }

    /// Uniform all-to-all on one DGX H100 node: every egress and ingress carries 7·b,
    /// so α + 7·b ÷ 360 GB/s in both models. For b = 1 MB: 2000 + ⌈19444.4⌉ = 21445 ns.
    func testUniformAllToAllOnOneNode() {
        let cluster = Self.dgxH100(nodes: 1)
        let traffic = Self.uniform(gpus: 8, bytes: 1_000_000)
        var network = FlowNetwork(topology: Topology(cluster: cluster, transport: .nvlink))
        let run = network.run(traffic)
        var analytical = AnalyticalNetwork(cluster: cluster)
        let time = analytical.time(of: traffic)
        let cost = TestSupport.bytes(of: traffic, gpusPerNode: cluster.gpusPerNode)
        XCTAssertEqual(run.time.nanoseconds, 21_445)
        XCTAssertEqual(time.nanoseconds, 21_445)
        XCTAssertEqual(run.flows, 56)
        XCTAssertEqual(run.instants, 2)
        XCTAssertEqual(cost.intraNodeBytes, 56_000_000)
        XCTAssertEqual(cost.interNodeBytes, 0)
        XCTAssertEqual(cost.maxGPUSentBytes, 7_000_000)
        XCTAssertEqual(cost.maxGPUReceivedBytes, 7_000_000)
        // Every flow ran at 360/7 GB/s and finished together.
        XCTAssertEqual(Set(network.finishedNanos), [21_445])
    }

    /// Incast: N senders on N different nodes onto GPU 0. Each sender has its own NIC;
    /// GPU 0's NIC ingress (50 GB/s × 0.86) is shared N ways: α_nic + N·b ÷ 43 GB/s.
    func testInterNodeIncastIsBoundByTheReceivingNIC() {
        for n in 1...5 {
            let cluster = Self.dgxH100(nodes: n + 1)
            let topology = Topology(cluster: cluster, transport: .nvlink)
            // Sender on node k uses local GPU k % 8, so the senders use different NIC indices too.
            let plan = (1...n).map { PlannedFlow(source: 8 * $0 + $0 % 8, destination: 0, bytes: 4_300_000, at: 0) }
            XCTAssertEqual(Self.finishTimes(topology, plan), [Int64](repeating: 3_000 + Int64(n) * 100_000, count: n))

            var traffic = TrafficMatrix(gpuCount: cluster.gpuCount)
            for p in plan { traffic[p.source, p.destination] = 1_000_000 }
            let expected = 3_000 + Int64((Double(n) * 1e6 / (50e9 * 0.86) * 1e9).rounded(.up))
            let flowTime = Self.flowTime(cluster, traffic).nanoseconds
            XCTAssertEqual(flowTime, expected, "n = \(n)")
            XCTAssertEqual(Self.analyticalTime(cluster, traffic).nanoseconds, expected, "n = \(n)")
            // Worked by hand for n = 3: 3 MB ÷ 43 GB/s = 69767.4 ns → 3000 + 69768.
            if n == 3 { XCTAssertEqual(flowTime, 72_768) }
        }
    }

    /// Oversubscribed uplinks, by hand. Fat-tree, one node per leaf, 2:1: a leaf's uplink is
    /// 8 NICs × 50 GB/s ÷ 2 × 0.86 = 172 GB/s; eight GPUs of node 0 each sending b to node 1 share it
    /// (21.5 GB/s each, below their NIC's 43): α + 8·b ÷ 172 GB/s. At 1:1 the NICs bind: α + b ÷ 43 GB/s.
    /// Rail-optimised, 2 nodes per group, 1.5:1: a rail switch's uplink is 2 × 50 ÷ 1.5 × 0.86 = 57.33 GB/s;
    /// two same-rail flows leaving the group share it: α + 2·b ÷ 57.33 GB/s.
    func testOversubscribedUplinkClosedForms() {
        let b: Int64 = 4_300_000
        let plan = (0..<8).map { PlannedFlow(source: $0, destination: 8 + $0, bytes: b, at: 0) }
        let oversubscribed = Topology(cluster: Self.dgxH100(nodes: 2, fabric: .fatTree(nodesPerLeaf: 1, oversubscription: 2)),
                                      transport: .nvlink)
        XCTAssertEqual(Self.finishTimes(oversubscribed, plan), [Int64](repeating: 3_000 + 200_000, count: 8))
        let full = Topology(cluster: Self.dgxH100(nodes: 2, fabric: .fatTree(nodesPerLeaf: 1, oversubscription: 1)),
                            transport: .nvlink)
        XCTAssertEqual(Self.finishTimes(full, plan), [Int64](repeating: 3_000 + 100_000, count: 8))

        let rail = Topology(cluster: Self.dgxH100(nodes: 4, fabric: .railOptimized(nodesPerGroup: 2, oversubscription: 1.5)),
                            transport: .nvlink)
        // Rail 0 of group 0 (nodes 0, 1) to rail 0 of group 1 (nodes 2, 3).
        let railPlan = [PlannedFlow(source: 0, destination: 16, bytes: 2_150_000, at: 0),
                        PlannedFlow(source: 8, destination: 24, bytes: 2_150_000, at: 0)]
        XCTAssertEqual(Self.finishTimes(rail, railPlan), [78_000, 78_000])   // 2 × 2.15 MB ÷ 57.33 GB/s = 75 µs
        // Same rail, same group: one switch hop, no uplink: the NIC alone, 2.15 MB ÷ 43 GB/s = 50 µs.
        XCTAssertEqual(Self.finishTimes(rail, [PlannedFlow(source: 0, destination: 8, bytes: 2_150_000, at: 0),
                                               PlannedFlow(source: 16, destination: 24, bytes: 2_150_000, at: 0)]),
                       [53_000, 53_000])
    }

    // MARK: Against the analytical bound

    /// Random sparse traffic on 2–4 node clusters of every variant: the flow model is never
    /// faster than the bottleneck-link bound.
    func testFlowModelIsNeverFasterThanTheAnalyticalBound() {
        var violations: [String] = []
        for seed in UInt64(0)..<300 {
            var rng = SplitMix64(seed: 31_000 + seed)
            let (cluster, transport) = Self.variant(Int(seed) % Self.variantCount,
                                                    nodes: 2 + Int(seed / UInt64(Self.variantCount)) % 3)
            let gpus = cluster.gpuCount
            var traffic = TrafficMatrix(gpuCount: gpus)
            let density = 2 + rng.next() % 30   // percent of pairs with bytes
            for s in 0..<gpus {
                for d in 0..<gpus where rng.next() % 100 < density {
                    traffic[s, d] = 1 + Int64(rng.next() % 3_000_000)   // the diagonal is local, ignored by both
                }
            }
            let flow = Self.flowTime(cluster, traffic, transport: transport)
            let bound = Self.analyticalTime(cluster, traffic, transport: transport)
            if flow < bound { violations.append("seed \(seed): flow \(flow) < bound \(bound)") }
        }
        XCTAssertEqual(violations, [], "\(violations.count) of 300 random phases beat the bound")
    }

    /// Routes with different latencies (regression: the bound used to add the phase's largest α to
    /// the busiest link). GPU 1 → GPU 0 moves 3.6 MB over NVLink (α = 2 µs, 10 µs of bytes: done at
    /// 12 µs); GPU 8 → GPU 2 moves 1 kB between nodes (α = 3 µs: done at 3024 ns). The flow model's
    /// phase ends at 12 µs; "largest α + busiest link" gave 3 + 10 = 13 µs, above what the flow model
    /// achieves. Each link's own earliest α gives 2 + 10 = 12 µs, exactly the flow model.
    func testAnalyticalBoundHoldsWhenRoutesHaveDifferentLatencies() {
        let cluster = Self.dgxH100(nodes: 2)
        var traffic = TrafficMatrix(gpuCount: 16)
        traffic[1, 0] = 3_600_000
        traffic[8, 2] = 1_000
        let topology = Topology(cluster: cluster, transport: .nvlink)
        XCTAssertEqual(Self.finishTimes(topology, [PlannedFlow(source: 1, destination: 0, bytes: 3_600_000, at: 0),
                                                   PlannedFlow(source: 8, destination: 2, bytes: 1_000, at: 0)]),
                       [12_000, 3_024])
        XCTAssertEqual(Self.flowTime(cluster, traffic).nanoseconds, 12_000)
        XCTAssertGreaterThanOrEqual(Self.flowTime(cluster, traffic), Self.analyticalTime(cluster, traffic),
                                    "AnalyticalNetwork is not a lower bound of FlowNetwork here")
        XCTAssertEqual(Self.analyticalTime(cluster, traffic).nanoseconds, 12_000)
    }

    /// Why the bound holds, computed here by hand: no link carries a byte before the smallest route
    /// latency of the transfers crossing it, nor faster than its bandwidth, so the flow model is never
    /// faster than max over links of (that latency + the link's bytes ÷ its bandwidth); the analytical
    /// model is at least that, and at most the flow model.
    func testFlowModelRespectsPerLinkLatencyBound() {
        for seed in UInt64(0)..<300 {
            var rng = SplitMix64(seed: 31_000 + seed)   // the same phases as the test above
            let (cluster, transport) = Self.variant(Int(seed) % Self.variantCount,
                                                    nodes: 2 + Int(seed / UInt64(Self.variantCount)) % 3)
            let gpus = cluster.gpuCount
            var traffic = TrafficMatrix(gpuCount: gpus)
            let density = 2 + rng.next() % 30
            for s in 0..<gpus {
                for d in 0..<gpus where rng.next() % 100 < density { traffic[s, d] = 1 + Int64(rng.next() % 3_000_000) }
            }
            let topology = Topology(cluster: cluster, transport: transport)
            var linkBytes = [Double](repeating: 0, count: topology.linkCount)
            var linkLatency = [Int64](repeating: .max, count: topology.linkCount)
            var path: [Int32] = []
            for s in 0..<gpus {
                for d in 0..<gpus where d != s && traffic[s, d] > 0 {
                    path.removeAll()
                    let latency = topology.route(from: s, to: d, into: &path)
                    for l in path.map(Int.init) {
                        linkBytes[l] += Double(traffic[s, d])
                        linkLatency[l] = min(linkLatency[l], latency)
                    }
                }
            }
            var bound = 0.0
            for l in linkBytes.indices where linkBytes[l] > 0 {
                bound = max(bound, Double(linkLatency[l]) + linkBytes[l] / topology.bytesPerSecond[l] * 1e9)
            }
            let flow = Self.flowTime(cluster, traffic, transport: transport)
            XCTAssertGreaterThanOrEqual(Double(flow.nanoseconds), bound - 1e-3, "seed \(seed)")
            let analytical = Self.analyticalTime(cluster, traffic, transport: transport)
            XCTAssertGreaterThanOrEqual(Double(analytical.nanoseconds), bound - 1e-3, "seed \(seed)")
            XCTAssertLessThanOrEqual(analytical, flow, "seed \(seed)")
        }
    }

    /// Uniform traffic on a non-blocking fabric: every link's flows are equal and start together,
    /// so the flow model meets the bound exactly (NVSwitch and PCIe nodes, both transports).
    func testUniformTrafficOnNonBlockingFabricEqualsTheBound() {
        for seed in UInt64(0)..<80 {
            var rng = SplitMix64(seed: 8_800 + seed)
            let nodes = 1 + Int(seed % 4)
            var cluster: ClusterSpec
            var transport = Transport.nvlink
            switch seed / 4 % 5 {
            case 0: cluster = Self.dgxH100(nodes: nodes)
            case 1: cluster = ClusterPreset.h800.spec; cluster.nodes = nodes
            case 2: cluster = ClusterPreset.dgxA100.spec; cluster.nodes = nodes
            case 3:
                cluster = ClusterPreset.pcieA100.spec
                cluster.nodes = nodes
                cluster.pcieSwitchesPerNode = 1 + Int(seed % 2)
            default: cluster = Self.dgxH100(nodes: nodes); transport = .rdma
            }
            let bytes = 1 + Int64(rng.next() % 5_000_000)
            let traffic = Self.uniform(gpus: cluster.gpuCount, bytes: bytes)
            XCTAssertEqual(Self.flowTime(cluster, traffic, transport: transport),
                           Self.analyticalTime(cluster, traffic, transport: transport),
                           "seed \(seed): \(nodes) nodes, \(bytes) bytes")
        }
    }

    // MARK: Oversubscription

    /// Fat-tree with one node per leaf: every inter-node byte crosses two leaf uplinks. At 2:1 a
    /// multi-node uniform all-to-all is slower than at 1:1 in both models; a single node never
    /// touches the fabric, so it is exactly unchanged.
    func testOversubscriptionSlowsMultiNodeAllToAllOnly() {
        for nodes in 1...4 {
            for bytes: Int64 in [100_000, 1_000_000, 3_333_333] {
                let full = Self.dgxH100(nodes: nodes, fabric: .fatTree(nodesPerLeaf: 1, oversubscription: 1))
                let half = Self.dgxH100(nodes: nodes, fabric: .fatTree(nodesPerLeaf: 1, oversubscription: 2))
                let traffic = Self.uniform(gpus: 8 * nodes, bytes: bytes)
                var fullNetwork = FlowNetwork(topology: Topology(cluster: full, transport: .nvlink))
                var halfNetwork = FlowNetwork(topology: Topology(cluster: half, transport: .nvlink))
                let fullRun = fullNetwork.run(traffic), halfRun = halfNetwork.run(traffic)
                var fullModel = AnalyticalNetwork(cluster: full), halfModel = AnalyticalNetwork(cluster: half)
                let fullCost = fullModel.time(of: traffic), halfCost = halfModel.time(of: traffic)
                if nodes == 1 {
                    XCTAssertEqual(fullRun, halfRun)
                    XCTAssertEqual(fullNetwork.finishedNanos, halfNetwork.finishedNanos)
                    XCTAssertEqual(fullCost, halfCost)
                    // And the same as with no fabric at all.
                    XCTAssertEqual(fullRun.time, Self.flowTime(Self.dgxH100(nodes: 1), traffic))
                } else {
                    XCTAssertGreaterThan(halfRun.time, fullRun.time, "\(nodes) nodes, \(bytes) B")
                    XCTAssertGreaterThan(halfCost, fullCost, "\(nodes) nodes, \(bytes) B")
                    // At 1:1 the fat-tree is as good as a non-blocking switch.
                    XCTAssertEqual(fullRun.time, Self.flowTime(Self.dgxH100(nodes: nodes), traffic))
                    XCTAssertEqual(fullCost, Self.analyticalTime(Self.dgxH100(nodes: nodes), traffic))
                    // By hand: a node sends 64·(nodes−1)·b through a 172 GB/s uplink at 2:1
                    // (NICs alone: 8·(nodes−1)·b ÷ 43 GB/s, the same as 344 GB/s at 1:1).
                    let inter = Double(64 * (nodes - 1)) * Double(bytes)
                    XCTAssertEqual(halfCost.nanoseconds, 3_000 + Int64((inter / 172e9 * 1e9 - 1e-6).rounded(.up)))
                    XCTAssertEqual(fullCost.nanoseconds, 3_000 + Int64((inter / 344e9 * 1e9 - 1e-6).rounded(.up)))
                }
                XCTAssertGreaterThanOrEqual(halfRun.time, halfCost)
            }
        }
    }
}
