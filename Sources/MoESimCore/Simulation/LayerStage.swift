/// One stage of an MoE layer's per-micro-batch pipeline: the one description of a layer that both
/// network models run (the analytical bound stage after stage, the flow model as events) and that the
/// byte accounting reads.
///
/// Inference: gate → dispatch → experts → combine. Training continues with the
/// backward pass: the combine's gradient travels the dispatch direction, the
/// experts' backward (2× forward) runs, the dispatch's gradient travels the
/// combine direction, then the gate's backward (2× forward). Backward transfers
/// carry combine-sized tokens.
public enum LayerStage: Equatable, Sendable {
    /// The gate GEMM on every GPU, `factor` × the forward cost.
    case gate(factor: Int64)
    /// The experts' FFNs on every GPU, `factor` × the forward cost.
    case experts(factor: Int64)
    /// Source → expert GPUs (the dispatch matrix), `bytesPerToken` per copy.
    case dispatch(bytesPerToken: Int64)
    /// Expert GPUs → source (the dispatch matrix transposed), `bytesPerToken` per copy.
    case combine(bytesPerToken: Int64)

    /// The stages of `mode` for a model with these token sizes on the wire.
    public static func pipeline(mode: SimulationMode, dispatchBytes: Int64, combineBytes: Int64) -> [LayerStage] {
        let forward: [LayerStage] = [.gate(factor: 1), .dispatch(bytesPerToken: dispatchBytes), .experts(factor: 1),
                                     .combine(bytesPerToken: combineBytes)]
        guard mode == .training else { return forward }
        return forward + [.dispatch(bytesPerToken: combineBytes), .experts(factor: 2),
                          .combine(bytesPerToken: combineBytes), .gate(factor: 2)]
    }

    /// Whether the stage moves bytes between GPUs.
    public var isCommunication: Bool {
        switch self {
        case .dispatch, .combine: return true
        case .gate, .experts: return false
        }
    }

    /// The bytes this stage moves when the layer's tokens make `copies`; nil for compute stages.
    /// - Complexity: O(1).
    public func traffic(of copies: CopyMatrix) -> CopyTraffic? {
        switch self {
        case let .dispatch(bytesPerToken): return copies.traffic(bytesPerCopy: bytesPerToken, direction: .dispatch)
        case let .combine(bytesPerToken): return copies.traffic(bytesPerCopy: bytesPerToken, direction: .combine)
        case .gate, .experts: return nil
        }
    }

    /// Timeline names of a pipeline's stages: "gate", "dispatch", "experts", "combine", and for the stages
    /// after the forward combine (training's backward pass) the same with "-bwd".
    public static func names(of stages: [LayerStage]) -> [String] {
        var backward = false
        return stages.map { stage in
            let base: String
            switch stage {
            case .gate: base = "gate"
            case .experts: base = "experts"
            case .dispatch: base = "dispatch"
            case .combine: base = "combine"
            }
            defer { if case .combine = stage { backward = true } }
            return backward ? base + "-bwd" : base
        }
    }
}
