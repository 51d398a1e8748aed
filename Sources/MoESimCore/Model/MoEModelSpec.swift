/// The shape of the MoE layers being simulated.
public struct MoEModelSpec: Equatable, Sendable {
    /// Hidden size H: elements per token on the wire.
    public var hiddenSize: Int
    /// Expert FFN inner size F.
    public var expertFFNSize: Int
    /// Experts per MoE layer E.
    public var experts: Int
    /// MoE layers per step.
    public var moeLayers: Int
    /// GEMMs per expert FFN: 3 for a gated (SwiGLU) FFN as in Mixtral or DeepSeek, 2 for a plain one.
    public var ffnMatrices: Int
    /// The data type of the expert GEMMs' inputs, which selects the GPU's peak and the operand bytes.
    public var computeType: ComputeType
    /// How each GPU launches its experts' GEMMs.
    public var expertKernel: ExpertKernel
    /// Shared experts: always active, computed on every GPU for its own tokens (no communication), as one
    /// dense FFN `sharedExperts` × F wide in the expert phase.
    public var sharedExperts: Int
    /// Bytes per hidden element sent in dispatch (1 for FP8, 2 for BF16).
    public var dispatchBytesPerElement: Int
    /// Bytes per hidden element sent in combine (and in the backward all-to-alls).
    public var combineBytesPerElement: Int
    /// Hidden elements that share one FP32 scale factor in dispatch (block-scaled FP8, as DeepSeek-V3
    /// and DeepEP send: 128), or 0 for no scale factors.
    public var dispatchScaleBlock: Int
    /// Bytes per stored expert weight element (1 for FP8, 2 for BF16; 0.5 for 4-bit), for the memory need
    /// (`GPUMemoryNeed`); by default the compute type's bytes per element.
    public var weightBytesPerElement: Double
    /// Bytes each GPU reserves for everything the memory need does not count (attention weights, KV cache,
    /// gradients, optimizer state, framework workspace).
    public var otherMemoryBytes: Double

    /// Creates a model description.
    public init(hiddenSize: Int, expertFFNSize: Int, experts: Int, moeLayers: Int, ffnMatrices: Int = 3,
                computeType: ComputeType = .bf16, expertKernel: ExpertKernel = .grouped, sharedExperts: Int = 0,
                dispatchBytesPerElement: Int = 2, combineBytesPerElement: Int = 2,
                dispatchScaleBlock: Int = 0, weightBytesPerElement: Double? = nil, otherMemoryBytes: Double = 0) {
        self.hiddenSize = hiddenSize
        self.expertFFNSize = expertFFNSize
        self.experts = experts
        self.moeLayers = moeLayers
        self.ffnMatrices = ffnMatrices
        self.computeType = computeType
        self.expertKernel = expertKernel
        self.sharedExperts = sharedExperts
        self.dispatchBytesPerElement = dispatchBytesPerElement
        self.combineBytesPerElement = combineBytesPerElement
        self.dispatchScaleBlock = dispatchScaleBlock
        self.weightBytesPerElement = weightBytesPerElement ?? Double(computeType.bytesPerElement)
        self.otherMemoryBytes = otherMemoryBytes
    }

    /// Bytes per input element of the expert GEMMs.
    public var computeBytesPerElement: Int { computeType.bytesPerElement }

    /// Bytes of one FP32 scale factor.
    public static let scaleFactorBytes: Int64 = 4

    /// Bytes of one token's hidden state in dispatch, with its scale factors: H · b + ⌈H / block⌉ · 4
    /// (7168 · 1 + 56 · 4 = 7392 for DeepSeek-V3's FP8 dispatch).
    public var dispatchBytesPerToken: Int64 {
        let scales = dispatchScaleBlock > 0 ? Int64((hiddenSize + dispatchScaleBlock - 1) / dispatchScaleBlock) : 0
        return Int64(hiddenSize) * Int64(dispatchBytesPerElement) + scales * Self.scaleFactorBytes
    }
    /// Bytes of one token's expert output in combine.
    public var combineBytesPerToken: Int64 { Int64(hiddenSize) * Int64(combineBytesPerElement) }
}

/// How a GPU launches the GEMMs of its local experts.
public enum ExpertKernel: String, CaseIterable, Sendable {
    /// Two grouped GEMMs per GPU and micro-batch (up, down), one launch each for all its experts (DeepGEMM, grouped CUTLASS).
    case grouped
    /// Two GEMMs per expert with tokens, each with its own launch.
    case perExpert = "per-expert"
}
