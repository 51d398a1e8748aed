/// Where each token of a batch comes from: tokens are numbered in source-GPU order,
/// `tokensPerGPU` per GPU, so token t comes from GPU `t / tokensPerGPU`; within its GPU, the
/// tokens are split into micro-batches in order, as evenly as they divide. Traces, routing,
/// the layer pricing and the validation kernels all read the layout from here.
public struct TokenLayout: Equatable, Sendable {
    /// GPUs that own tokens.
    public let gpuCount: Int
    /// Tokens each GPU routes per layer.
    public let tokensPerGPU: Int
    /// Micro-batches each GPU's tokens are split into.
    public let microbatches: Int

    /// The layout of `gpuCount × tokensPerGPU` tokens split into `microbatches` micro-batches.
    /// - Precondition: microbatches ≥ 1 (scenario validation also ensures every micro-batch has a token).
    public init(gpuCount: Int, tokensPerGPU: Int, microbatches: Int = 1) {
        precondition(microbatches >= 1, "a layer is at least one micro-batch")
        self.gpuCount = gpuCount
        self.tokensPerGPU = tokensPerGPU
        self.microbatches = microbatches
    }

    /// Tokens of the whole batch.
    public var tokenCount: Int { gpuCount * tokensPerGPU }

    /// The GPU token `token` comes from.
    @inline(__always) public func sourceGPU(of token: Int) -> Int { token / tokensPerGPU }

    /// The tokens of `gpu`.
    public func tokens(of gpu: Int) -> Range<Int> { gpu * tokensPerGPU ..< (gpu + 1) * tokensPerGPU }

    /// The micro-batch token `token` belongs to.
    @inline(__always) public func microbatch(of token: Int) -> Int { token % tokensPerGPU * microbatches / tokensPerGPU }

    /// Tokens of each GPU in each micro-batch.
    /// - Complexity: O(tokensPerGPU).
    public var microbatchTokenCounts: [Int] {
        var counts = [Int](repeating: 0, count: microbatches)
        for t in 0..<tokensPerGPU { counts[microbatch(of: t)] += 1 }
        return counts
    }
}
