/// Runs a scenario: generates each (step, layer) batch of router scores once,
/// routes it under every strategy, applies the capacity limit, prices the layer
/// and accumulates the metrics.
///
/// All strategies see exactly the same tokens, and the result depends only on
/// the scenario (including its seed).
public enum Simulator {
    /// Simulates `scenario` and returns one result per strategy.
    /// - Parameter progress: called after each step with (steps done, steps total).
    /// - Complexity: O(steps · layers · strategies · (T · E · k + G²)) for T tokens, E experts, G GPUs.
    public static func run(_ scenario: Scenario, progress: ((Int, Int) -> Void)? = nil) -> ScenarioResult {
        let gpus = scenario.cluster.gpuCount
        let tokens = gpus * scenario.tokensPerGPU
        let layers = scenario.model.moeLayers
        let steps = scenario.simulation.steps
        let placement = ExpertPlacement.contiguous(experts: scenario.model.experts, gpuCount: gpus)
        let generator = SyntheticScoreGenerator(spec: scenario.synthetic, experts: scenario.model.experts,
                                                layers: layers, seed: scenario.simulation.seed)
        let routers = scenario.strategies.map {
            $0.makeRouter(gpusPerNode: scenario.cluster.gpusPerNode, capacityFactor: scenario.capacityFactor)
        }
        var accumulators = scenario.strategies.map { StrategyAccumulator(strategy: $0) }
        var step = MoELayerStep(scenario: scenario)
        var scores: [Float] = []
        var buffer = RoutingBuffer()
        var limiter = CapacityLimiter()
        var assigner = ReplicaAssigner()

        for stepIndex in 0..<steps {
            for layer in 0..<layers {
                generator.fill(step: stepIndex, layer: layer, tokenCount: tokens, into: &scores)
                for (index, spec) in scenario.strategies.enumerated() {
                    scores.withUnsafeBufferPointer { scores in
                        routers[index].route(scores: scores, tokenCount: tokens, placement: placement, into: &buffer)
                    }
                    var dropped = 0
                    if let cf = scenario.capacityFactor, spec.kind != .expertChoice {
                        let perDevice = spec.capacityIsPerDevice
                        let capacity = perDevice
                            ? CapacityLimiter.deviceCapacity(capacityFactor: cf, tokens: tokens, devices: gpus)
                            : CapacityLimiter.expertCapacity(capacityFactor: cf, tokens: tokens, k: spec.k,
                                                             experts: scenario.model.experts)
                        dropped = limiter.apply(to: &buffer, placement: placement, capacity: capacity, perDevice: perDevice)
                    }
                    assigner.assign(&buffer, placement: placement)
                    let outcome = step.evaluate(buffer, placement: placement, deduplicate: spec.sendsOneCopyPerGPU)
                    accumulators[index].add(outcome, dropped: dropped, offered: tokens * spec.k)
                }
            }
            progress?(stepIndex + 1, steps)
        }
        return ScenarioResult(scenario: scenario, results: accumulators.map { $0.result(steps: steps) })
    }
}

/// Sums of one strategy's layer outcomes over a run.
struct StrategyAccumulator {
    let strategy: RoutingStrategySpec
    private var gate: Int64 = 0, dispatch: Int64 = 0, expert: Int64 = 0, combine: Int64 = 0
    private var gpuRatio = 0.0, gpuCV = 0.0, gpuGini = 0.0
    private var expertRatio = 0.0, expertCV = 0.0, expertGini = 0.0
    private var batches = 0
    private var dispatchBytes: Int64 = 0, combineBytes: Int64 = 0
    private var intraBytes: Int64 = 0, interBytes: Int64 = 0, maxSent: Int64 = 0
    private var dropped: Int64 = 0, offered: Int64 = 0, unrouted: Int64 = 0

    init(strategy: RoutingStrategySpec) { self.strategy = strategy }

    mutating func add(_ outcome: LayerOutcome, dropped droppedSlots: Int, offered offeredSlots: Int) {
        gate += outcome.gate.nanoseconds
        dispatch += outcome.dispatch.time.nanoseconds
        expert += outcome.expert.nanoseconds
        combine += outcome.combine.time.nanoseconds
        gpuRatio += outcome.gpuLoad.maxOverMean
        gpuCV += outcome.gpuLoad.coefficientOfVariation
        gpuGini += outcome.gpuLoad.gini
        expertRatio += outcome.expertLoad.maxOverMean
        expertCV += outcome.expertLoad.coefficientOfVariation
        expertGini += outcome.expertLoad.gini
        batches += 1
        dispatchBytes += outcome.dispatchBytes
        combineBytes += outcome.combineBytes
        intraBytes += outcome.dispatch.intraNodeBytes + outcome.combine.intraNodeBytes
        interBytes += outcome.dispatch.interNodeBytes + outcome.combine.interNodeBytes
        maxSent = max(maxSent, outcome.dispatch.maxGPUSentBytes, outcome.combine.maxGPUSentBytes)
        dropped += Int64(droppedSlots)
        unrouted += Int64(outcome.unroutedTokens)
        offered += Int64(offeredSlots)
    }

    func result(steps: Int) -> StrategyResult {
        func perStep(_ nanos: Int64) -> Double { Double(nanos) / 1_000 / Double(steps) }
        let n = Double(max(batches, 1))
        return StrategyResult(
            strategy: strategy,
            stepTimeMicros: perStep(gate + dispatch + expert + combine),
            gateMicros: perStep(gate), dispatchMicros: perStep(dispatch),
            expertMicros: perStep(expert), combineMicros: perStep(combine),
            gpuLoad: LoadStatistics(maxOverMean: gpuRatio / n, coefficientOfVariation: gpuCV / n, gini: gpuGini / n),
            expertLoad: LoadStatistics(maxOverMean: expertRatio / n, coefficientOfVariation: expertCV / n,
                                       gini: expertGini / n),
            dispatchBytes: dispatchBytes, combineBytes: combineBytes,
            intraNodeBytes: intraBytes, interNodeBytes: interBytes, maxGPUSentBytes: maxSent,
            droppedAssignments: dropped, unroutedTokens: unrouted, offeredAssignments: offered)
    }
}
