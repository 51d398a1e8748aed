import Foundation

/// Runs a scenario: generates (or reads from its trace file) each (step, layer) batch of
/// router scores once, routes it under every strategy, applies the capacity limit, prices
/// the layer and accumulates the metrics.
///
/// All strategies see exactly the same tokens, and the result depends only on the scenario
/// (including its seed) and its trace file, never on the number of threads: batches are priced
/// on any thread but summed in (step, layer, strategy) order. A trace is streamed batch by batch,
/// so memory stays bounded whatever its size.
public enum Simulator {
    /// Index of the first warm-up step: far beyond any measured step, so their random streams differ.
    static let warmupStepBase = 1 << 40

    /// Simulates `scenario` and returns one result per strategy; with perturbations, also the same scenario on a
    /// healthy cluster, whose step times give each result's `slowdownVsHealthy`.
    /// - Parameters:
    ///   - jobs: threads pricing batches at once (each holds its own routing and network scratch space).
    ///   - timeline: record every kernel and flow of the first step (flow model only) into `result.timeline`.
    ///   - profile: when given, the time of each phase of each batch is added to it.
    ///   - progress: called on the calling thread after each (step, layer) batch with (batches done, batches total),
    ///     warm-up batches of a replicated placement first.
    /// - Complexity: O(steps · layers · strategies · (T · E · k + G²)) for T tokens, E experts, G GPUs, over `jobs` threads.
    /// - Throws: `ScenarioError` before anything is allocated when the run's estimated memory
    ///   (`RunMemoryEstimate`) exceeds the memory this process may use; `TraceError` when the
    ///   scenario's trace file is missing or corrupt (checked as it streams);
    ///   `ScenarioError` when a simulated time leaves the range integer nanoseconds hold (`SimulatedTimeRange`).
    public static func run(_ scenario: Scenario, jobs: Int = 1, timeline: Bool = false, profile: SimulationProfile? = nil,
                           progress: ((Int, Int) -> Void)? = nil) throws -> ScenarioResult {
        try RunMemoryEstimate(scenario, jobs: jobs).check()
        var result = try runOnce(scenario, jobs: jobs, timeline: timeline, profile: profile, progress: progress)
        if !scenario.perturbations.isEmpty {
            result.compare(withHealthy: try runOnce(scenario.healthy, jobs: jobs, timeline: false, profile: nil, progress: nil))
        }
        return result
    }

    /// `run` without the healthy comparison.
    private static func runOnce(_ scenario: Scenario, jobs: Int, timeline: Bool, profile: SimulationProfile?,
                                progress: ((Int, Int) -> Void)?) throws -> ScenarioResult {
        let source = try BatchSource(scenario: scenario)
        let layers = scenario.model.moeLayers
        let steps = scenario.simulation.steps
        let strategies = scenario.strategies
        var placements = [[ExpertPlacement]](repeating: [ExpertPlacement](repeating: scenario.basePlacement, count: layers),
                                             count: strategies.count)
        var replication: [ReplicationSummary?] = Array(repeating: nil, count: strategies.count)
        var warmupBatches = 0
        if case let .replicated(_, _, warmupSteps) = scenario.placement { warmupBatches = warmupSteps * layers }
        let totalBatches = warmupBatches + steps * layers
        if case let .replicated(_, slotsPerGPU, warmupSteps) = scenario.placement {
            let fits = try fitReplicas(scenario, source: source, slotsPerGPU: slotsPerGPU, warmupSteps: warmupSteps) {
                progress?($0, totalBatches)
            }
            for s in strategies.indices {
                placements[s] = fits[s].map(\.placement)
                replication[s] = ReplicationSummary(fits[s])
            }
        }

        // With failed GPUs every layer runs on what survives of its placement (`FailoverPlacement`).
        let failovers = scenario.failovers(of: placements)
        if let failovers { placements = failovers.map { $0.map(\.placement) } }
        var accumulators = strategies.indices.map {
            StrategyAccumulator(strategy: strategies[$0], placements: placements[$0])
        }
        let recordTimeline = timeline && scenario.simulation.network == .flow
        var recorded = recordTimeline ? Timeline(strategies: strategies.map(\.label), gpuCount: scenario.cluster.gpuCount) : nil
        var timelineOffsets = [Int64](repeating: 0, count: strategies.count)
        var timeRange = SimulatedTimeRange(strategies: strategies.count)
        let workers = WorkerPool(source: source)
        let frozenPlacements = placements, firstOrder = warmupBatches
        try OrderedParallelMap.run(count: steps * layers, jobs: jobs, work: { index in
            let step = index / layers, layer = index % layers
            return try workers.withWorker { worker in
                try worker.price(step: step, layer: layer, order: firstOrder + index,
                                 placements: frozenPlacements.map { $0[layer] }, failovers: failovers?.map { $0[layer] },
                                 recording: recordTimeline && step == 0, profile: profile)
            }
        }, deliver: { index, priced in
            let step = index / layers, layer = index % layers
            for s in strategies.indices {
                try timeRange.add(priced[s].observation.outcome, strategy: s, label: strategies[s].label, step: step, layer: layer,
                                  scenario: scenario.name)
                accumulators[s].add(priced[s].observation, layer: layer)
                if let track = priced[s].track {
                    recorded?.tracks[s].append(track, shiftedBy: timelineOffsets[s])
                    timelineOffsets[s] += priced[s].observation.outcome.layerTime.nanoseconds
                }
            }
            progress?(warmupBatches + step * layers + layer + 1, totalBatches)
        })
        let results = accumulators.enumerated().map { s, accumulator in
            var result = accumulator.result(steps: steps)
            result.replication = replication[s]
            result.replacedExperts = failovers.map { $0[s].reduce(0) { $0 + $1.replacedExperts } }
            return result
        }
        return ScenarioResult(scenario: scenario, results: results, timeline: recorded)
    }

    /// Routes `warmupSteps` warm-up steps on the base placement, counts each expert's kept tokens
    /// per (strategy, layer), and fits replicas to those loads. Warm-up steps have tokens of their
    /// own (random streams no measured step uses, same popularity), so the fit never sees the
    /// tokens it is then measured on, as a load balancer fitted on past traffic would not. A trace's
    /// warm-up steps are its first ones; the measured steps follow them. `progress` is told the
    /// warm-up batches done after each.
    private static func fitReplicas(_ scenario: Scenario, source: BatchSource, slotsPerGPU: Int, warmupSteps: Int,
                                    progress: (Int) -> Void) throws -> [[ReplicationBalancer.Fit]] {
        let layers = scenario.model.moeLayers
        let base = scenario.basePlacement
        var batch = BatchRouter(source: source)
        var loads = [[[Double]]](repeating: [[Double]](repeating: [Double](repeating: 0, count: scenario.model.experts),
                                                       count: layers), count: scenario.strategies.count)
        for stepIndex in 0..<warmupSteps {
            for layer in 0..<layers {
                try batch.generate(step: warmupStepBase + stepIndex, layer: layer, order: stepIndex * layers + layer)
                for s in scenario.strategies.indices {
                    _ = batch.route(strategy: s, placement: base)
                    for slot in 0..<batch.buffer.slotCount where !batch.buffer.dropped[slot] {
                        loads[s][layer][Int(batch.buffer.experts[slot])] += 1
                    }
                }
                progress(stepIndex * layers + layer + 1)
            }
        }
        let balancer = ReplicationBalancer(slotsPerGPU: slotsPerGPU)
        return scenario.strategies.enumerated().map { s, spec in
            let nodeLimit = spec.nodeLimit(gpusPerNode: scenario.cluster.gpusPerNode)
            return (0..<layers).map { balancer.fit(base: base, expertLoads: loads[s][$0], nodeLimit: nodeLimit) }
        }
    }
}

/// One thread's scratch space for pricing batches: its router and its layer step (with the network
/// model's state). A run makes one per thread that asks, lazily, and reuses it batch after batch.
private final class BatchWorker {
    /// One strategy's priced layer, and its timeline spans (starting at zero) when recorded.
    struct Priced: Sendable {
        var observation: LayerObservation
        var track: Timeline.Track?
    }

    private var router: BatchRouter
    private var step: MoELayerStep

    init(source: BatchSource) {
        router = BatchRouter(source: source)
        step = MoELayerStep(scenario: source.scenario)
    }

    /// Routes and prices batch (step, layer), the run's `order`-th, under every strategy on its placement.
    /// - Complexity: O(strategies · (T · E · k + G²)).
    func price(step stepIndex: Int, layer: Int, order: Int, placements: [ExpertPlacement], failovers: [FailoverPlacement]?,
               recording: Bool, profile: SimulationProfile?) throws -> [Priced] {
        func timed<T>(_ phase: SimulationProfile.Phase, _ body: () throws -> T) rethrows -> T {
            try profile?.measure(phase, body) ?? body()
        }
        try timed(.scores) { try router.generate(step: stepIndex, layer: layer, order: order) }
        let scenario = router.scenario
        return scenario.strategies.indices.map { s in
            let placement = placements[s]
            let failover = failovers?[s]
            let dropped = timed(.routing) { router.route(strategy: s, placement: placement, failover: failover) }
            if recording { step.recording = Timeline.Track(strategy: scenario.strategies[s].label) }
            let outcome = timed(.pricing) {
                step.evaluate(router.buffer, placement: placement, deduplication: scenario.strategies[s].deduplication,
                              layer: layer)
            }
            var droppedByExpert = [Int](repeating: 0, count: placement.expertCount)
            router.countDropped(byExpert: &droppedByExpert, failover: failover)
            let failures = failover == nil ? BatchRouter.FailureCounts() : router.failures
            var observation = LayerObservation(
                outcome: outcome, droppedSlots: dropped,
                offeredSlots: (router.tokens - failures.absentTokens) * scenario.strategies[s].k,
                tokensArrived: step.tokensArrived, replicaSlots: step.replicaTokens, gpuCompute: step.gpuCompute,
                bytesSent: step.traffic.bytesSent, bytesReceived: step.traffic.bytesReceived,
                droppedByExpert: droppedByExpert)
            observation.reroutedSlots = failures.reroutedSlots
            observation.orphanDroppedSlots = failures.orphanDroppedSlots
            defer { step.recording = nil }
            return Priced(observation: observation, track: step.recording)
        }
    }
}

/// The workers of one run, handed to whichever thread asks (each thread holds one at a time).
private final class WorkerPool: @unchecked Sendable {
    private let source: BatchSource
    private let lock = NSLock()
    private var idle: [BatchWorker] = []

    init(source: BatchSource) { self.source = source }

    /// Runs `body` with a worker no other thread holds meanwhile.
    func withWorker<T>(_ body: (BatchWorker) throws -> T) rethrows -> T {
        lock.lock()
        let worker = idle.popLast() ?? BatchWorker(source: source)
        lock.unlock()
        defer {
            lock.lock()
            idle.append(worker)
            lock.unlock()
        }
        return try body(worker)
    }
}
