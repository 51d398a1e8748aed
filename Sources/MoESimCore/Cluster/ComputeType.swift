/// The data type a GEMM's inputs are stored and multiplied in, which selects the GPU's
/// tensor-core peak (`GPUSpec.peakFLOPsPerSecond(for:)`) and the bytes each operand moves.
public enum ComputeType: String, CaseIterable, Sendable {
    /// BFloat16 inputs, 2 bytes per element.
    case bf16
    /// IEEE half-precision inputs, 2 bytes per element (the same tensor-core peak as BF16).
    case fp16
    /// FP8 (E4M3) inputs, 1 byte per element, with fine-grained FP32 scale factors as DeepSeek-V3 and
    /// DeepGEMM use them: one per 1 × 128 elements of the activations, one per 128 × 128 of the weights.
    case fp8

    /// Bytes of one input element.
    public var bytesPerElement: Int { self == .fp8 ? 1 : 2 }

    /// Elements that share one FP32 scale factor along K (and, for weights, along N), or nil for none.
    public var scaleBlock: Int? { self == .fp8 ? 128 : nil }

    /// Bytes of one output element: GEMMs accumulate in FP32 and write BF16 (DeepGEMM's FP8 kernels too).
    public static let outputBytesPerElement = 2
    /// Bytes of one scale factor (FP32).
    public static let scaleBytes = 4
}
