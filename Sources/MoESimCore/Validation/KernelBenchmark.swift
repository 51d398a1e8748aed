/// Runs one published benchmark on the model and computes its figure the way the source's own
/// benchmark script does, so that the prediction and the measurement mean the same thing.
///
/// The kernel time is the time the network model (`simulation.network`: analytical or flow)
/// needs to move the benchmarked phase alone, from the traffic `MoELayerStep` builds for the
/// scenario's first strategy on each generated batch (`simulation.steps` of them; its deduplication and transport
/// decide which copies cross which links). The figure then follows the source:
///
/// - nccl-tests `alltoall_perf`: algbw = size / time with size = the bytes one rank sends (its
///   own share included); bus bandwidth = algbw · (n − 1) / n.
/// - DeepEP normal kernels on one node (`test_intranode.py`): "NVL bandwidth" = the tokens rank 0
///   receives (one per token and destination rank, its own tokens included) × token bytes / time.
/// - DeepEP normal kernels on several nodes (`test_internode.py`): "RDMA bandwidth" = the
///   (token, destination node) pairs of rank 0 (its own node included) × token bytes / time.
///   Combine counts the same tokens at the combine size.
/// - DeepEP low-latency kernels (`test_low_latency.py`): the kernel time itself.
///
/// - DeepGEMM's GEMMs (`test_core.py`): TFLOPS = 2 · m · n · k (per group, times the groups) / the
///   kernel time of the `ComputeModel` for the scenario's GPU and `model.computeType` (a grouped GEMM
///   in the contiguous layout, one launch).
///
/// Both DeepEP bandwidths count copies that never cross the link they are named after (a rank's
/// tokens for itself, a node's tokens for itself), exactly as the scripts do; the model still
/// moves only the bytes that really cross a link.
public struct KernelBenchmark: Sendable {
    /// What the model predicts for one validation scenario.
    public struct Prediction: Equatable, Sendable {
        /// The metric, named as in the measurement file (`bus_bandwidth`, `bottleneck_bandwidth`, `latency`).
        public var metric: String
        /// The predicted value, in `unit`.
        public var value: Double
        /// `GB/s` or `us`.
        public var unit: String
        /// The modelled kernel time.
        public var kernelTime: SimTime
        /// The bytes the source's formula divides by the time (0 for a latency).
        public var countedBytes: Int64
    }

    /// The scenario, with its `validation` section.
    public let scenario: Scenario
    /// Its `validation` section.
    public let spec: ValidationSpec

    /// A benchmark for `scenario`.
    /// - Precondition: `scenario.validation` is set.
    public init(scenario: Scenario) {
        guard let spec = scenario.validation else { preconditionFailure("scenario \(scenario.name) has no validation section") }
        self.scenario = scenario
        self.spec = spec
    }

    /// The metric this benchmark reports, as the measurement file names it.
    public var metric: String {
        switch spec.kernel {
        case .ncclAllToAll: return "bus_bandwidth"
        case .deepEPNormal: return "bottleneck_bandwidth"
        case .deepEPLowLatency: return "latency"
        case .gemm, .groupedGEMM: return "tflops"
        }
    }

    /// The unit of `metric`.
    public var unit: String {
        switch spec.kernel {
        case .deepEPLowLatency: return "us"
        case .gemm, .groupedGEMM: return "TFLOPS"
        case .ncclAllToAll, .deepEPNormal: return "GB/s"
        }
    }

    /// Runs the model.
    /// - Throws: `TraceError` when the scenario replays a trace that turns out corrupt.
    /// - Complexity: per batch (DeepEP rows: `simulation.steps` of them), one routed (O(T · E)) and one phase priced (analytical O(G² · P); flow: see `FlowNetwork`).
    public func predict() throws -> Prediction {
        switch spec.kernel {
        case .ncclAllToAll:
            let ranks = scenario.cluster.gpuCount
            let size = spec.bytesPerRank ?? 0
            var traffic = TrafficMatrix(gpuCount: ranks)
            for s in 0..<ranks { for d in 0..<ranks { traffic[s, d] = size / Int64(ranks) } }
            let time = phaseTime(traffic)
            let algorithmBandwidth = Double(size / Int64(ranks) * Int64(ranks)) / time.seconds
            return Prediction(metric: metric, value: algorithmBandwidth * Double(ranks - 1) / Double(ranks) / 1e9,
                              unit: unit, kernelTime: time, countedBytes: size)
        case .deepEPNormal, .deepEPLowLatency:
            return try predictDeepEP()
        case .gemm, .groupedGEMM:
            let shape = spec.gemm ?? .init(m: 0, n: 0, k: 0)
            let compute = ComputeModel(gpu: scenario.cluster.gpu, model: scenario.model)
            let time = compute.groupedGEMMTime(rows: repeatElement(shape.m, count: shape.groups), n: shape.n, k: shape.k,
                                               type: scenario.model.computeType)
            return Prediction(metric: metric, value: shape.flops / time.seconds / 1e12, unit: unit, kernelTime: time,
                              countedBytes: 0)
        }
    }

    /// A DeepEP row, from each of the scenario's `simulation.steps` batches (one layer each), as the
    /// benchmark scripts average many runs over fresh random tokens: the latency is the mean kernel
    /// time, a bandwidth the counted bytes of all batches over their total time.
    private func predictDeepEP() throws -> Prediction {
        var pricing = scenario
        pricing.simulation.network = .analytical   // only the traffic matrix is used; the phase is priced alone below
        pricing.microbatches = 1
        var router = try BatchRouter(scenario: pricing)
        var step = MoELayerStep(scenario: pricing)
        let placement = scenario.basePlacement
        let model = scenario.model
        let combine = spec.phase == .combine
        let tokenBytes = combine ? model.combineBytesPerToken : model.dispatchBytesPerToken
        let batches = scenario.simulation.steps
        var totalNanos: Int64 = 0, totalCounted: Int64 = 0
        for batch in 0..<batches {
            try router.generate(step: batch, layer: 0, order: batch)
            _ = router.route(strategy: 0, placement: placement)
            _ = step.evaluate(router.buffer, placement: placement, deduplication: scenario.strategies[0].deduplication)
            totalNanos += phaseTime(TrafficMatrix(step.dispatchCopies.traffic(bytesPerCopy: tokenBytes,
                                                                              direction: combine ? .combine : .dispatch))).nanoseconds
            guard spec.kernel == .deepEPNormal else { continue }
            let tokens = scenario.cluster.nodes == 1
                ? Int64(step.tokensArrived[0])
                : Self.nodePairsOfRankZero(router.buffer, layout: scenario.tokenLayout, cluster: scenario.cluster)
            totalCounted += tokens * tokenBytes
        }
        let meanTime = SimTime(nanoseconds: totalNanos / Int64(batches))
        guard spec.kernel == .deepEPNormal else {
            return Prediction(metric: metric, value: Double(totalNanos) / Double(batches) / 1e3, unit: unit,
                              kernelTime: meanTime, countedBytes: 0)
        }
        return Prediction(metric: metric, value: Double(totalCounted) / (Double(totalNanos) / 1e9) / 1e9, unit: unit,
                          kernelTime: meanTime, countedBytes: totalCounted / Int64(batches))
    }

    /// (token, destination node) pairs of GPU 0's tokens, the token's own node included:
    /// `num_rdma_token_sent` of DeepEP's `test_internode.py` on rank 0.
    static func nodePairsOfRankZero(_ buffer: RoutingBuffer, layout: TokenLayout, cluster: ClusterSpec) -> Int64 {
        var pairs: Int64 = 0
        var lastToken = [Int](repeating: -1, count: cluster.nodes)
        for token in layout.tokens(of: 0) {
            for slot in buffer.slots(of: token) where !buffer.dropped[slot] {
                let node = cluster.node(of: Int(buffer.gpus[slot]))
                if lastToken[node] != token {
                    lastToken[node] = token
                    pairs += 1
                }
            }
        }
        return pairs
    }

    /// The phase alone on the scenario's network model.
    private func phaseTime(_ traffic: TrafficMatrix) -> SimTime {
        let topology = Topology(cluster: scenario.cluster, transport: scenario.transport)
        switch scenario.simulation.network {
        case .analytical:
            var network = AnalyticalNetwork(topology: topology)
            return network.time(of: traffic)
        case .flow:
            var network = FlowNetwork(topology: topology, precision: scenario.simulation.flowPrecision)
            return network.run(traffic).time
        }
    }
}
