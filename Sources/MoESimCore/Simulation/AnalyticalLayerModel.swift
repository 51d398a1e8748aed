/// The analytical bound on a layer: its stages run back to back, each compute stage as long as its
/// slowest GPU, each transfer stage as long as `AnalyticalNetwork`'s bottleneck-link bound on its
/// bytes. It has no notion of overlap, so a layer is one micro-batch (scenario validation refuses more).
struct AnalyticalLayerModel: LayerNetworkModel {
    private var network: AnalyticalNetwork
    private(set) var gpuCompute: [SimTime]
    /// Unused: the bound has no events to record.
    var recording: Timeline.Track?

    /// A model over `topology`.
    init(topology: Topology) {
        network = AnalyticalNetwork(topology: topology)
        gpuCompute = [SimTime](repeating: .zero, count: topology.cluster.gpuCount)
    }

    /// - Complexity: O(S · G² · P) for S stages and routes of P links.
    mutating func run(_ work: LayerWork, layer: Int) -> LayerTiming {
        precondition(work.microbatchCopies.count == 1, "the analytical bound prices a layer of one micro-batch")
        let copies = work.microbatchCopies[0]
        var timing = LayerTiming()
        for g in gpuCompute.indices { gpuCompute[g] = .zero }
        for stage in work.stages {
            switch stage {
            case let .gate(factor):
                timing.add((work.gateNanos.max() ?? 0) * factor, to: stage)
                for g in gpuCompute.indices { gpuCompute[g] += SimTime(nanoseconds: work.gateNanos[g] * factor) }
            case let .experts(factor):
                timing.add((work.expertNanos.max() ?? 0) * factor, to: stage)
                for g in gpuCompute.indices { gpuCompute[g] += SimTime(nanoseconds: work.expertNanos[g] * factor) }
            case .dispatch, .combine:
                timing.add(network.time(of: stage.traffic(of: copies)!).nanoseconds, to: stage)
            }
        }
        timing.layerTime = timing.gateTime + timing.dispatchTime + timing.expertTime + timing.combineTime
        return timing
    }
}
