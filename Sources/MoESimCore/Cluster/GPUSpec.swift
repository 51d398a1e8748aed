/// The compute side of one GPU, as the GEMM model (`ComputeModel`) sees it: tensor-core peaks per
/// data type, streaming multiprocessors, HBM, and the calibrated costs of a tiled GEMM kernel.
public struct GPUSpec: Equatable, Sendable {
    /// Marketing name, for tables ("H100 SXM5").
    public var name: String
    /// Dense tensor-core peak for BF16 and FP16 inputs, FLOP per second.
    public var peakFLOPsPerSecond: Double
    /// Dense tensor-core peak for FP8 inputs, FLOP per second, or nil when the GPU has no FP8 tensor cores.
    public var fp8PeakFLOPsPerSecond: Double?
    /// Streaming multiprocessors: one output tile runs on one SM at a time, so tiles run in waves of this many.
    public var streamingMultiprocessors: Int
    /// Fraction of an SM's share of the peak its tensor cores reach inside a tile's K loop, in (0, 1].
    public var computeEfficiency: Double
    /// HBM bandwidth, bytes per second.
    public var hbmBytesPerSecond: Double
    /// HBM capacity, bytes (the vendor's figure in GB = 1e9 bytes: what expert weights, token buffers and the
    /// user's reserve must fit in; see `GPUMemoryNeed`).
    public var hbmCapacityBytes: Double
    /// Fraction of HBM bandwidth a GEMM's operand reads reach, in (0, 1].
    public var hbmEfficiency: Double
    /// Fraction of HBM bandwidth a GEMM's output writes reach, in (0, 1].
    public var hbmWriteEfficiency: Double
    /// Fixed cost of launching one kernel, nanoseconds.
    public var kernelLaunchNanos: Int64
    /// Fixed cost of one output tile on its SM (pipeline fill, epilogue, scheduling), nanoseconds.
    public var tileOverheadNanos: Int64
    /// Cost of one K block of a tile beyond its multiply-adds (barriers, scale promotion), nanoseconds.
    public var kBlockOverheadNanos: Int64
    /// Output rows of a tile (the kernel halves it when every group has at most half as many rows).
    public var tileRows: Int
    /// Widest output tile, in columns; the kernel picks the width (a multiple of `tileColumnStep` from
    /// `narrowestTileColumns` up to this) that needs the fewest waves.
    public var tileColumns: Int

    /// The tensor-core instruction's width granularity: tile widths are multiples of 8 columns.
    public static let tileColumnStep = 8
    /// The narrowest tile a kernel uses, in columns.
    public static let narrowestTileColumns = 16
    /// Bytes of one row of a K block: a tile's K loop moves 128 bytes of each input row per step
    /// (the 128-byte shared-memory swizzle), so 128 FP8 or 64 BF16 elements.
    public static let kBlockBytes = 128

    /// Creates a GPU description.
    public init(name: String, peakFLOPsPerSecond: Double, fp8PeakFLOPsPerSecond: Double?, streamingMultiprocessors: Int,
                computeEfficiency: Double, hbmBytesPerSecond: Double, hbmEfficiency: Double, hbmWriteEfficiency: Double,
                kernelLaunchNanos: Int64, tileOverheadNanos: Int64, kBlockOverheadNanos: Int64,
                tileRows: Int = 128, tileColumns: Int = 128, hbmCapacityBytes: Double = 80e9) {
        self.name = name
        self.peakFLOPsPerSecond = peakFLOPsPerSecond
        self.fp8PeakFLOPsPerSecond = fp8PeakFLOPsPerSecond
        self.streamingMultiprocessors = streamingMultiprocessors
        self.computeEfficiency = computeEfficiency
        self.hbmBytesPerSecond = hbmBytesPerSecond
        self.hbmEfficiency = hbmEfficiency
        self.hbmWriteEfficiency = hbmWriteEfficiency
        self.kernelLaunchNanos = kernelLaunchNanos
        self.tileOverheadNanos = tileOverheadNanos
        self.kBlockOverheadNanos = kBlockOverheadNanos
        self.tileRows = tileRows
        self.tileColumns = tileColumns
        self.hbmCapacityBytes = hbmCapacityBytes
    }

    /// The dense tensor-core peak for `type`, FLOP per second, or nil when the GPU has none.
    public func peakFLOPsPerSecond(for type: ComputeType) -> Double? {
        switch type {
        case .bf16, .fp16: return peakFLOPsPerSecond
        case .fp8: return fp8PeakFLOPsPerSecond
        }
    }

    /// The compute types this GPU has a peak for, in `ComputeType.allCases` order.
    public var supportedComputeTypes: [ComputeType] {
        ComputeType.allCases.filter { peakFLOPsPerSecond(for: $0) != nil }
    }
}
