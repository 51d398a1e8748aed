/// Runs a scenario: generates (or reads from its trace file) each (step, layer) batch of
/// router scores once, routes it under every strategy, applies the capacity limit, prices
/// the layer and accumulates the metrics.
///
/// All strategies see exactly the same tokens, and the result depends only on
/// the scenario (including its seed) and its trace file. A trace is streamed batch by batch,
/// so memory stays bounded whatever its size.
public enum Simulator {
    /// Index of the first warm-up step: far beyond any measured step, so their random streams differ.
    static let warmupStepBase = 1 << 40

    /// Simulates `scenario` and returns one result per strategy.
    /// - Parameter progress: called after each (step, layer) batch with (batches done, batches total).
    /// - Complexity: O(steps · layers · strategies · (T · E · k + G²)) for T tokens, E experts, G GPUs.
    /// - Parameter timeline: record every kernel and flow of the first step (flow model only) into `result.timeline`.
    /// - Throws: `TraceError` when the scenario's trace file is missing or corrupt (checked as it streams).
    public static func run(_ scenario: Scenario, timeline: Bool = false,
                           progress: ((Int, Int) -> Void)? = nil) throws -> ScenarioResult {
        var batch = try BatchRouter(scenario: scenario)
        let layers = scenario.model.moeLayers
        let steps = scenario.simulation.steps
        let strategies = scenario.strategies
        var placements = [[ExpertPlacement]](repeating: [ExpertPlacement](repeating: scenario.basePlacement, count: layers),
                                             count: strategies.count)
        var replication: [ReplicationSummary?] = Array(repeating: nil, count: strategies.count)
        if case let .replicated(_, slotsPerGPU, warmupSteps) = scenario.placement {
            let fits = try fitReplicas(scenario, batch: &batch, slotsPerGPU: slotsPerGPU, warmupSteps: warmupSteps)
            for s in strategies.indices {
                placements[s] = fits[s].map(\.placement)
                replication[s] = ReplicationSummary(fits[s])
            }
        }

        var accumulators = strategies.indices.map {
            StrategyAccumulator(strategy: strategies[$0], placements: placements[$0])
        }
        var step = MoELayerStep(scenario: scenario)
        let recordTimeline = timeline && scenario.simulation.network == .flow
        var recorded = recordTimeline ? Timeline(strategies: strategies.map(\.label), gpuCount: scenario.cluster.gpuCount) : nil
        var timelineOffsets = [SimTime](repeating: .zero, count: strategies.count)
        for stepIndex in 0..<steps {
            for layer in 0..<layers {
                try batch.generate(step: stepIndex, layer: layer)
                for s in strategies.indices {
                    let placement = placements[s][layer]
                    let dropped = batch.route(strategy: s, placement: placement)
                    let recording = recordTimeline && stepIndex == 0
                    if recording {
                        // Hand the track over (leaving a placeholder) so that appending to it never copies it.
                        step.recording = recorded?.tracks[s]
                        recorded?.tracks[s] = Timeline.Track(strategy: strategies[s].label)
                    }
                    let outcome = step.evaluate(batch.buffer, placement: placement,
                                                deduplication: strategies[s].deduplication,
                                                layer: layer, timeOffset: timelineOffsets[s])
                    if recording {
                        if let track = step.recording { recorded?.tracks[s] = track }
                        step.recording = nil
                        timelineOffsets[s] += outcome.layerTime
                    }
                    accumulators[s].add(outcome, dropped: dropped, offered: batch.tokens * strategies[s].k)
                    accumulators[s].layers[layer].add(tokensArrived: step.tokensArrived, replicaSlots: step.replicaTokens,
                                                      gpuCompute: step.gpuCompute, traffic: step.traffic,
                                                      layerTime: outcome.layerTime, buffer: batch.buffer)
                }
                progress?(stepIndex * layers + layer + 1, steps * layers)
            }
        }
        let results = accumulators.enumerated().map { s, accumulator in
            var result = accumulator.result(steps: steps)
            result.replication = replication[s]
            return result
        }
        return ScenarioResult(scenario: scenario, results: results, timeline: recorded)
    }

    /// Routes `warmupSteps` warm-up steps on the base placement, counts each expert's kept tokens
    /// per (strategy, layer), and fits replicas to those loads. Warm-up steps have tokens of their
    /// own (random streams no measured step uses, same popularity), so the fit never sees the
    /// tokens it is then measured on, as a load balancer fitted on past traffic would not. A trace's
    /// warm-up steps are its first ones; the measured steps follow them.
    private static func fitReplicas(_ scenario: Scenario, batch: inout BatchRouter, slotsPerGPU: Int,
                                    warmupSteps: Int) throws -> [[ReplicationBalancer.Fit]] {
        let layers = scenario.model.moeLayers
        let base = scenario.basePlacement
        var loads = [[[Double]]](repeating: [[Double]](repeating: [Double](repeating: 0, count: scenario.model.experts),
                                                       count: layers), count: scenario.strategies.count)
        for stepIndex in 0..<warmupSteps {
            for layer in 0..<layers {
                try batch.generate(step: warmupStepBase + stepIndex, layer: layer)
                for s in scenario.strategies.indices {
                    _ = batch.route(strategy: s, placement: base)
                    for slot in 0..<batch.buffer.slotCount where !batch.buffer.dropped[slot] {
                        loads[s][layer][Int(batch.buffer.experts[slot])] += 1
                    }
                }
            }
        }
        let balancer = ReplicationBalancer(slotsPerGPU: slotsPerGPU)
        return scenario.strategies.enumerated().map { s, spec in
            let nodeLimit = spec.nodeLimit(gpusPerNode: scenario.cluster.gpusPerNode)
            return (0..<layers).map { balancer.fit(base: base, expertLoads: loads[s][$0], nodeLimit: nodeLimit) }
        }
    }
}

/// Generates (or reads from the trace) one (step, layer) batch of tokens and routes it under
/// each strategy, reusing every buffer from batch to batch.
struct BatchRouter {
    let scenario: Scenario
    let tokens: Int
    private let generator: SyntheticScoreGenerator
    /// The scenario's trace file, streamed; nil for synthetic tokens.
    private let trace: TraceSource?
    private let routers: [any RoutingStrategy]
    private var batch = TraceBatch()
    private(set) var buffer = RoutingBuffer()
    private var limiter = CapacityLimiter()
    private var assigner = ReplicaAssigner()

    init(scenario: Scenario) throws {
        self.scenario = scenario
        tokens = scenario.tokenLayout.tokenCount
        generator = SyntheticScoreGenerator(spec: scenario.synthetic, experts: scenario.model.experts,
                                            layers: scenario.model.moeLayers, seed: scenario.simulation.seed)
        trace = try scenario.traceFile.map { try TraceSource(file: $0.path) }
        if let trace, let expected = scenario.traceFile?.header, trace.header != expected {
            throw TraceError.invalidField(file: trace.file, at: .byte(0), field: "the header", value: "a different shape",
                                          allowed: "the one read when the scenario was loaded (the file changed since)")
        }
        routers = scenario.strategies.map {
            $0.makeRouter(gpusPerNode: scenario.cluster.gpusPerNode, capacityFactor: scenario.capacityFactor)
        }
    }

    /// Makes batch (step, layer) current: generated, or the trace's next batch (traces are read in order).
    mutating func generate(step: Int, layer: Int) throws {
        guard let trace else {
            generator.fill(step: step, layer: layer, tokenCount: tokens, into: &batch.scores)
            return
        }
        guard try trace.nextBatch(into: &batch) else {
            throw TraceError.truncated(file: trace.file, at: .byte(trace.bytesRead), what: "trace (batch for step \(step), "
                + "layer \(layer))", neededBytes: trace.header.tokensPerStep * trace.header.payloadBytesPerToken,
                availableBytes: 0)
        }
    }

    /// Routes the current batch under strategy `index` on `placement`, applies the capacity
    /// limit and chooses replicas; returns the number of dropped slots. A choices trace's
    /// recorded experts are replayed as they are.
    mutating func route(strategy index: Int, placement: ExpertPlacement) -> Int {
        let spec = scenario.strategies[index]
        let router = routers[index]
        if let header = trace?.header, header.payload == .choices {
            buffer.replay(experts: batch.experts, weights: batch.weights, tokenCount: tokens, k: header.k)
        } else {
            batch.scores.withUnsafeBufferPointer { scores in
                batch.deviceLogits.withUnsafeBufferPointer { logits in
                    router.route(scores: scores, deviceLogits: logits.isEmpty ? nil : logits, tokenCount: tokens,
                                 placement: placement, into: &buffer)
                }
            }
        }
        var dropped = 0
        if let factor = scenario.capacityFactor,
           let limit = spec.capacityLimit(factor: factor, tokens: tokens, placement: placement) {
            dropped = limiter.apply(to: &buffer, placement: placement, limit: limit)
        }
        assigner.assign(&buffer, placement: placement)
        return dropped
    }
}
