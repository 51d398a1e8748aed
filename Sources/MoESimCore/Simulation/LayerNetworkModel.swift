/// A network model as the simulation uses it: it times one MoE layer's `LayerStage` pipeline for
/// the copies and kernel times of a `LayerWork`. The simulation counts copies, prices kernels and
/// accounts bytes itself (`TrafficAccount`), so a model decides only when things end; a new model
/// (packet-level, a new fabric) conforms here and plugs into `MoELayerStep` without touching the rest.
///
/// Two models conform: `AnalyticalLayerModel` (every stage back to back, each phase at its
/// bottleneck-link bound) and `FlowLayerSimulation` (discrete events on the max-min flow network).
protocol LayerNetworkModel {
    /// Times one layer; a model with events labels the spans it appends to `recording` with `layer`
    /// (their times start at zero, the layer's start).
    mutating func run(_ work: LayerWork, layer: Int) -> LayerTiming
    /// All compute (every stage, every micro-batch) of each GPU in the last run.
    var gpuCompute: [SimTime] { get }
    /// When set, a model with events appends every kernel and flow of the following runs here (for
    /// `--timeline`); the analytical bound has no events and appends nothing.
    var recording: Timeline.Track? { get set }
}

/// What a network model runs for one MoE layer.
struct LayerWork {
    /// The layer's pipeline (the same for every micro-batch).
    let stages: [LayerStage]
    /// Copies each micro-batch moves (one entry when the layer is one micro-batch).
    let microbatchCopies: [CopyMatrix]
    /// Forward gate kernel of micro-batch m on GPU g, nanoseconds, at `m · G + g`.
    let gateNanos: [Int64]
    /// Forward expert kernels of micro-batch m on GPU g, nanoseconds, at `m · G + g`.
    let expertNanos: [Int64]
}

/// What one layer took, split along its critical path: gate + dispatch + expert + combine = layer.
struct LayerTiming: Equatable {
    /// From the first kernel to the last byte or kernel of the layer.
    var layerTime = SimTime.zero
    /// Gate kernels on the critical path.
    var gateTime = SimTime.zero
    /// Dispatch-direction transfers on the critical path (route latency included).
    var dispatchTime = SimTime.zero
    /// Expert kernels on the critical path.
    var expertTime = SimTime.zero
    /// Combine-direction transfers on the critical path.
    var combineTime = SimTime.zero

    /// Adds `nanos` to the phase of `stage`.
    mutating func add(_ nanos: Int64, to stage: LayerStage) {
        let time = SimTime(nanoseconds: nanos)
        switch stage {
        case .gate: gateTime += time
        case .experts: expertTime += time
        case .dispatch: dispatchTime += time
        case .combine: combineTime += time
        }
    }
}
