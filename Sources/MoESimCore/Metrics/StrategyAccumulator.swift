/// Sums of one strategy's layer outcomes over a run.
struct StrategyAccumulator {
    let strategy: RoutingStrategySpec
    var layers: [LayerDetail]
    private var gate: Int64 = 0, dispatch: Int64 = 0, expert: Int64 = 0, combine: Int64 = 0
    private var layerTime: Int64 = 0
    private var gpuRatio = 0.0, gpuCV = 0.0, gpuGini = 0.0
    private var expertRatio = 0.0, expertCV = 0.0, expertGini = 0.0
    private var batches = 0
    private var dispatchBytes: Int64 = 0, combineBytes: Int64 = 0
    private var intraBytes: Int64 = 0, interBytes: Int64 = 0, maxSent: Int64 = 0, maxReceived: Int64 = 0
    private var dropped: Int64 = 0, offered: Int64 = 0, unrouted: Int64 = 0
    private var rerouted: Int64 = 0, orphanDropped: Int64 = 0

    init(strategy: RoutingStrategySpec, placements: [ExpertPlacement]) {
        self.strategy = strategy
        layers = placements.map { LayerDetail(placement: $0) }
    }

    /// Adds `observation` of layer `layer`.
    /// - Complexity: O(G + replicas + experts).
    mutating func add(_ observation: LayerObservation, layer: Int) {
        layers[layer].add(observation)
        let outcome = observation.outcome
        gate += outcome.gate.nanoseconds
        dispatch += outcome.dispatch.time.nanoseconds
        expert += outcome.expert.nanoseconds
        combine += outcome.combine.time.nanoseconds
        layerTime += outcome.layerTime.nanoseconds
        gpuRatio += outcome.gpuLoad.maxOverMean
        gpuCV += outcome.gpuLoad.coefficientOfVariation
        gpuGini += outcome.gpuLoad.gini
        expertRatio += outcome.expertLoad.maxOverMean
        expertCV += outcome.expertLoad.coefficientOfVariation
        expertGini += outcome.expertLoad.gini
        batches += 1
        dispatchBytes += outcome.dispatch.totalBytes
        combineBytes += outcome.combine.totalBytes
        intraBytes += outcome.dispatch.intraNodeBytes + outcome.combine.intraNodeBytes
        interBytes += outcome.dispatch.interNodeBytes + outcome.combine.interNodeBytes
        maxSent = max(maxSent, outcome.dispatch.maxGPUSentBytes, outcome.combine.maxGPUSentBytes)
        maxReceived = max(maxReceived, outcome.dispatch.maxGPUReceivedBytes, outcome.combine.maxGPUReceivedBytes)
        dropped += Int64(observation.droppedSlots)
        unrouted += Int64(outcome.unroutedTokens)
        offered += Int64(observation.offeredSlots)
        rerouted += Int64(observation.reroutedSlots)
        orphanDropped += Int64(observation.orphanDroppedSlots)
    }

    func result(steps: Int) -> StrategyResult {
        func perStep(_ nanos: Int64) -> Double { Double(nanos) / 1_000 / Double(steps) }
        let n = Double(max(batches, 1))
        return StrategyResult(
            strategy: strategy,
            stepTimeMicros: perStep(layerTime),
            gateMicros: perStep(gate), dispatchMicros: perStep(dispatch),
            expertMicros: perStep(expert), combineMicros: perStep(combine),
            gpuLoad: LoadStatistics(maxOverMean: gpuRatio / n, coefficientOfVariation: gpuCV / n, gini: gpuGini / n),
            expertLoad: LoadStatistics(maxOverMean: expertRatio / n, coefficientOfVariation: expertCV / n,
                                       gini: expertGini / n),
            dispatchBytes: dispatchBytes, combineBytes: combineBytes,
            intraNodeBytes: intraBytes, interNodeBytes: interBytes, maxGPUSentBytes: maxSent,
            maxGPUReceivedBytes: maxReceived,
            droppedAssignments: dropped, unroutedTokens: unrouted, offeredAssignments: offered, replication: nil,
            reroutedAssignments: rerouted, orphanDroppedAssignments: orphanDropped, layers: layers)
    }
}
