/// Keeps a run's times inside what integer nanoseconds (`SimTime`) hold: a layer phase that
/// reached `SimTime.longestDuration` (11.6 days, where durations are held rather than overflow), or
/// totals over the run that would pass Int64, stop the run with a `ScenarioError` naming the keys
/// that set the rates and the work; a capped time is never reported as a result.
struct SimulatedTimeRange {
    /// Keys that set how fast a GPU computes.
    static let computeKeys = "cluster.gpu.computeEfficiency, cluster.gpu.peakTFLOPs, cluster.gpu.hbmGBps, "
        + "cluster.gpu.hbmEfficiency, model.hiddenSize, model.expertFFNSize, parallelism.tokensPerGPU"
    /// Keys that set how fast the network moves a layer's tokens.
    static let networkKeys = "cluster.intraNodeLink, cluster.gpuToNICLink, cluster.nicLink (bandwidthGBps, efficiency), "
        + "model.hiddenSize, parallelism.tokensPerGPU"

    /// Nanoseconds added so far per strategy (all phases and the layer time, which bounds each accumulated sum).
    private var totals: [Int64]

    /// A check for a run of `strategies` strategies.
    init(strategies: Int) { totals = [Int64](repeating: 0, count: strategies) }

    /// Throws when a phase of `outcome` (layer `layer`, step `step`, strategy `s` labelled `label`, scenario `name`)
    /// is out of range, or when adding it would carry the strategy's totals past Int64.
    /// - Complexity: O(1).
    mutating func add(_ outcome: LayerOutcome, strategy s: Int, label: String, step: Int, layer: Int,
                      scenario name: String) throws {
        let phases = [("gate", outcome.gate, SimulatedTimeRange.computeKeys),
                      ("dispatch", outcome.dispatch.time, SimulatedTimeRange.networkKeys),
                      ("expert", outcome.expert, SimulatedTimeRange.computeKeys),
                      ("combine", outcome.combine.time, SimulatedTimeRange.networkKeys)]
        if outcome.layerTime.isOutOfRange || phases.contains(where: { $0.1.isOutOfRange }) {
            let (phase, _, keys) = phases.first { $0.1.isOutOfRange }
                ?? ("whole", outcome.layerTime, SimulatedTimeRange.computeKeys + ", " + SimulatedTimeRange.networkKeys)
            throw ScenarioError.invalid(file: nil, keyPath: keys, message: "scenario \"\(name)\": the \(phase) phase of layer \(layer) of step "
                + "\(step) under \(label) would take at least \(SimTime.longestDuration.nanoseconds) ns (11.6 days), beyond "
                + "the range the simulator computes times in (integer nanoseconds); no real system is that slow: "
                + "raise these rates or lower the work")
        }
        let layerSum = phases.reduce(outcome.layerTime.nanoseconds) { $0 + $1.1.nanoseconds }
        let (total, overflow) = totals[s].addingReportingOverflow(layerSum)
        guard !overflow else {
            throw ScenarioError.invalid(file: nil, keyPath: "simulation.steps, model.moeLayers", message: "scenario \"\(name)\": "
                + "the run's simulated time under \(label) passes \(Int64.max) ns (292 years) at layer \(layer) of step \(step), "
                + "beyond what integer nanoseconds hold: lower the steps or layers (or raise the rates)")
        }
        totals[s] = total
    }
}
