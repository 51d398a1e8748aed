/// What a GEMM costs on one GPU: output tiles run in waves over the SMs, each tile's K loop pays its
/// multiply-adds plus a fixed cost per K block, and the roofline (operand reads and output writes
/// through HBM) bounds the whole kernel from below.
///
/// For a (m × k)·(k × n) GEMM in `type` (b bytes per input element, 128 / b elements per K block):
///
///     tile  = tileOverhead + ⌈k / (128 / b)⌉ · (2 · r · c · (128 / b) / (peak(type) / SMs · computeEfficiency) + kBlockOverhead)
///     tiles = ⌈m / r⌉ · ⌈n / c⌉,   waves = ⌈tiles / SMs⌉   (a last partial wave costs a full one)
///     reads = (m·k + k·n) · b + FP8 scales (4 bytes per 1 × 128 of A and per 128 × 128 of B)
///     time  = launch + max(waves · tile, reads / (HBM · hbmEfficiency) + 2·m·n / (HBM · hbmWriteEfficiency))
///
/// with the tile's rows r = `tileRows`, or half of it when m ≤ `tileRows` / 2, and its columns c the
/// multiple of 8 from 16 to `tileColumns` that makes the kernel fastest (as DeepGEMM picks the width that
/// fills the SMs best). A grouped GEMM (one launch for all local experts) runs its groups' tiles as one
/// tile space with one tile shape (contiguous layout: every group padded to `tileRows` rows; masked
/// layout, when every group has at most `tileRows` / 2 rows: half-height tiles), or group after group
/// each with its own best shape, whichever is faster; its weights are read once per group.
/// The memory term is the same roofline for both. Times are rounded up to the nanosecond.
public struct ComputeModel: Sendable {
    /// The GPU.
    public let gpu: GPUSpec
    /// The layer shapes.
    public let model: MoEModelSpec

    /// A compute model for `model` on `gpu`.
    /// - Precondition: `gpu` has a peak for `model.computeType` and for BF16 (the gate's type).
    public init(gpu: GPUSpec, model: MoEModelSpec) {
        precondition(gpu.peakFLOPsPerSecond(for: model.computeType) != nil,
                     "\(gpu.name) has no \(model.computeType.rawValue) peak (decoding rejects such a model)")
        self.gpu = gpu
        self.model = model
    }

    /// How a grouped GEMM lays its groups' rows out.
    public enum GroupedLayout: String, Sendable {
        /// All groups' rows in one tensor, each group padded to a whole tile of `tileRows` rows.
        case contiguous
        /// Each group its own valid rows in a fixed-size slot (decode), tiles of `tileRows` / 2 rows.
        case masked
    }

    /// The layout a grouped GEMM over `rows` uses: masked when every group fits half a tile (decode), else contiguous.
    public func layout<C: Collection>(rows: C) -> GroupedLayout where C.Element == Int {
        rows.allSatisfy { $0 <= gpu.tileRows / 2 } ? .masked : .contiguous
    }

    /// Time of one GEMM (m × k)·(k × n) in `type` including its launch; zero when m, n or k is zero.
    /// - Complexity: O(`tileColumns` / 8).
    public func gemmTime(m: Int, n: Int, k: Int, type: ComputeType) -> SimTime {
        groupedGEMMTime(rows: CollectionOfOne(m), n: n, k: k, type: type)
    }

    /// Time of one GEMM in the model's compute type.
    public func gemmTime(m: Int, n: Int, k: Int) -> SimTime {
        gemmTime(m: m, n: n, k: k, type: model.computeType)
    }

    /// Time of one grouped GEMM launch: group g multiplies its `rows[g]` rows (m_g × k) by its own
    /// (k × n) weights. Groups without rows cost nothing; zero when no group has rows.
    /// - Complexity: O(G · `tileColumns` / 8) for G groups.
    public func groupedGEMMTime<C: Collection>(rows: C, n: Int, k: Int, type: ComputeType) -> SimTime
    where C.Element == Int {
        guard n > 0, k > 0, let peak = gpu.peakFLOPsPerSecond(for: type) else { return .zero }
        var totalRows = 0, groups = 0
        var oneByOne = 0.0
        for m in rows where m > 0 {
            totalRows += m
            groups += 1
            oneByOne += tiledSeconds(rows: CollectionOfOne(m), tileRows: tileRows(forLargest: m), n: n, k: k,
                                     type: type, peak: peak)
        }
        if groups == 0 { return .zero }
        let sharedRows = layout(rows: rows) == .masked ? gpu.tileRows / 2 : gpu.tileRows
        let computeSeconds = groups == 1
            ? oneByOne
            : min(oneByOne, tiledSeconds(rows: rows, tileRows: max(1, sharedRows), n: n, k: k, type: type, peak: peak))
        let bytes = type.bytesPerElement
        var reads = Double(totalRows) * Double(k) * Double(bytes) + Double(groups) * Double(n) * Double(k) * Double(bytes)
        if let block = type.scaleBlock {
            let kBlocks = Double((k + block - 1) / block), nBlocks = Double((n + block - 1) / block)
            reads += (Double(totalRows) * kBlocks + Double(groups) * nBlocks * kBlocks) * Double(ComputeType.scaleBytes)
        }
        let writes = Double(totalRows) * Double(n) * Double(ComputeType.outputBytesPerElement)
        let memorySeconds = reads / (gpu.hbmBytesPerSecond * gpu.hbmEfficiency)
            + writes / (gpu.hbmBytesPerSecond * gpu.hbmWriteEfficiency)
        return SimTime(nanoseconds: gpu.kernelLaunchNanos)
            + SimTime.duration(work: max(computeSeconds, memorySeconds), ratePerSecond: 1)
    }

    /// A tile's rows for a GEMM whose largest group has `rows` rows: half a tile when that suffices.
    private func tileRows(forLargest rows: Int) -> Int {
        rows <= gpu.tileRows / 2 ? max(1, gpu.tileRows / 2) : gpu.tileRows
    }

    /// Seconds the SMs spend on the tiles of `rows` (one tile space, tiles of `tileRows` rows) with the
    /// fastest tile width: waves · (tileOverhead + K blocks · (block's multiply-adds + kBlockOverhead)).
    private func tiledSeconds<C: Collection>(rows: C, tileRows: Int, n: Int, k: Int, type: ComputeType,
                                             peak: Double) -> Double where C.Element == Int {
        var rowTiles = 0
        for m in rows where m > 0 { rowTiles += (m + tileRows - 1) / tileRows }
        let sms = gpu.streamingMultiprocessors
        let blockDepth = max(1, GPUSpec.kBlockBytes / type.bytesPerElement)
        let kBlocks = Double((k + blockDepth - 1) / blockDepth)
        let smRate = peak / Double(sms) * gpu.computeEfficiency
        var best = Double.infinity
        for columns in tileWidths {
            let tiles = rowTiles * ((n + columns - 1) / columns)
            let waves = Double((tiles + sms - 1) / sms)
            let block = 2 * Double(tileRows) * Double(columns) * Double(blockDepth) / smRate
                + Double(gpu.kBlockOverheadNanos) * 1e-9
            best = min(best, waves * (Double(gpu.tileOverheadNanos) * 1e-9 + kBlocks * block))
        }
        return best
    }

    /// The tile widths the kernel may use: multiples of 8 from 16 up to `tileColumns` (or `tileColumns` alone when narrower).
    private var tileWidths: StrideThrough<Int> {
        gpu.tileColumns < GPUSpec.narrowestTileColumns
            ? stride(from: gpu.tileColumns, through: gpu.tileColumns, by: 1)
            : stride(from: GPUSpec.narrowestTileColumns, through: gpu.tileColumns, by: GPUSpec.tileColumnStep)
    }

    /// The gate: logits of `tokens` tokens over all experts, one (tokens × H)·(H × E) GEMM in BF16
    /// (routers keep higher precision than the experts, as DeepSeek-V3's does).
    public func gateTime(tokens: Int) -> SimTime {
        gemmTime(m: tokens, n: model.experts, k: model.hiddenSize, type: .bf16)
    }

    /// One expert's FFN over `tokens` tokens as its own two kernels: the up-projections fused into one
    /// (tokens × H)·(H × (ffnMatrices − 1)·F) GEMM (gate and up of a SwiGLU FFN side by side, as DeepSeek-V3's
    /// N = 4096 = 2 · 2048), then the down-projection (tokens × F)·(F × H). No tokens, no launch.
    public func expertTime(tokens: Int) -> SimTime {
        if tokens == 0 { return .zero }
        return gemmTime(m: tokens, n: (model.ffnMatrices - 1) * model.expertFFNSize, k: model.hiddenSize)
            + gemmTime(m: tokens, n: model.hiddenSize, k: model.expertFFNSize)
    }

    /// One GPU's experts as two grouped GEMMs (up-projections, then down), one group per local expert
    /// with `rows[g]` tokens: one launch each, whatever the number of experts.
    public func groupedExpertTime<C: Collection>(rows: C) -> SimTime where C.Element == Int {
        groupedGEMMTime(rows: rows, n: (model.ffnMatrices - 1) * model.expertFFNSize, k: model.hiddenSize,
                        type: model.computeType)
            + groupedGEMMTime(rows: rows, n: model.hiddenSize, k: model.expertFFNSize, type: model.computeType)
    }

    /// The shared experts on one GPU's own `tokens` tokens: one dense FFN `sharedExperts` experts wide
    /// (two GEMMs, as `expertTime`); zero without shared experts.
    public func sharedExpertTime(tokens: Int) -> SimTime {
        let width = model.sharedExperts * model.expertFFNSize
        if tokens == 0 || width == 0 { return .zero }
        return gemmTime(m: tokens, n: (model.ffnMatrices - 1) * width, k: model.hiddenSize)
            + gemmTime(m: tokens, n: model.hiddenSize, k: width)
    }
}
