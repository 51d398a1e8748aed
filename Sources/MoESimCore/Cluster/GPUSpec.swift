/// The compute side of one GPU, as the roofline model sees it.
public struct GPUSpec: Equatable, Sendable {
    /// Marketing name, for tables ("H100 SXM5").
    public var name: String
    /// Dense tensor-core peak for the compute dtype (BF16 unless stated), FLOP per second.
    public var peakFLOPsPerSecond: Double
    /// Fraction of peak a large GEMM achieves, in (0, 1].
    public var computeEfficiency: Double
    /// HBM bandwidth, bytes per second.
    public var hbmBytesPerSecond: Double
    /// Fraction of HBM bandwidth a memory-bound kernel achieves, in (0, 1].
    public var hbmEfficiency: Double
    /// Fixed cost of launching one kernel, nanoseconds.
    public var kernelLaunchNanos: Int64

    /// Creates a GPU description.
    public init(name: String, peakFLOPsPerSecond: Double, computeEfficiency: Double,
                hbmBytesPerSecond: Double, hbmEfficiency: Double, kernelLaunchNanos: Int64) {
        self.name = name
        self.peakFLOPsPerSecond = peakFLOPsPerSecond
        self.computeEfficiency = computeEfficiency
        self.hbmBytesPerSecond = hbmBytesPerSecond
        self.hbmEfficiency = hbmEfficiency
        self.kernelLaunchNanos = kernelLaunchNanos
    }
}
