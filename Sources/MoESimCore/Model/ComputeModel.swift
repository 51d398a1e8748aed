/// Roofline cost of the MoE layer's kernels on one GPU.
///
/// A GEMM of an (m × k) by a (k × n) matrix does 2·m·n·k FLOP and moves
/// (m·k + k·n + m·n) elements through HBM; it takes
/// launch + max(FLOP / (peak · efficiency), bytes / (HBM bandwidth · efficiency)),
/// each term rounded up to the nanosecond.
public struct ComputeModel: Sendable {
    /// The GPU.
    public let gpu: GPUSpec
    /// The layer shapes.
    public let model: MoEModelSpec

    /// A compute model for `model` on `gpu`.
    public init(gpu: GPUSpec, model: MoEModelSpec) {
        self.gpu = gpu
        self.model = model
    }

    /// Time of one GEMM (m × k)·(k × n) including its launch; zero when m, n or k is zero.
    /// - Complexity: O(1).
    public func gemmTime(m: Int, n: Int, k: Int) -> SimTime {
        if m == 0 || n == 0 || k == 0 { return .zero }
        let flops = 2 * Double(m) * Double(n) * Double(k)
        let bytes = (Double(m) * Double(k) + Double(k) * Double(n) + Double(m) * Double(n))
            * Double(model.computeBytesPerElement)
        let computeBound = SimTime.duration(work: flops, ratePerSecond: gpu.peakFLOPsPerSecond * gpu.computeEfficiency)
        let memoryBound = SimTime.duration(work: bytes, ratePerSecond: gpu.hbmBytesPerSecond * gpu.hbmEfficiency)
        return SimTime(nanoseconds: gpu.kernelLaunchNanos) + max(computeBound, memoryBound)
    }

    /// The gate: logits of `tokens` tokens over all experts, one (tokens × H)·(H × E) GEMM.
    public func gateTime(tokens: Int) -> SimTime {
        gemmTime(m: tokens, n: model.experts, k: model.hiddenSize)
    }

    /// One expert's FFN over `tokens` tokens: `ffnMatrices − 1` up-projections (H → F)
    /// and one down-projection (F → H). An expert with no tokens launches nothing.
    public func expertTime(tokens: Int) -> SimTime {
        if tokens == 0 { return .zero }
        var total = SimTime.zero
        for _ in 0..<(model.ffnMatrices - 1) { total += gemmTime(m: tokens, n: model.expertFFNSize, k: model.hiddenSize) }
        return total + gemmTime(m: tokens, n: model.hiddenSize, k: model.expertFFNSize)
    }
}
