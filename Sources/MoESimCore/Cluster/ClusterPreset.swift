/// Named hardware descriptions a scenario can start from (`"cluster": {"preset": "dgx-h100"}`)
/// and override field by field.
///
/// Bandwidths are per direction, in bytes per second, from vendor sheets.
/// Efficiencies and latencies are the model's calibration: the achievable
/// fraction a real collective reaches, taken from public measurements
/// (nccl-tests issue 212 and the DeepEP README; docs/model.md, "Calibration", lists each check).
public struct ClusterPreset: Sendable {
    /// The name a scenario uses.
    public let name: String
    /// One line for `moesim presets`.
    public let summary: String
    /// The hardware, for one node (scenarios set `nodes`).
    public let spec: ClusterSpec

    /// All presets, in the order `moesim presets` lists them.
    public static let all: [ClusterPreset] = [dgxA100, dgxH100, h800, pcieA100]

    /// The preset called `name`, or nil.
    public static func named(_ name: String) -> ClusterPreset? { all.first { $0.name == name } }

    // MARK: Calibration shared by all presets

    /// NVLink through NVSwitch reaches about 80% of line rate in all-to-all:
    /// nccl-tests issue 212 measures 370 GB/s bus bandwidth of 450 GB/s on 8×H100 (82%; moesim −2.8%);
    /// DeepEP's intranode kernels on H800 reach 153/158 GB/s as their script counts it (own copies
    /// included, `SelfCopies.links`) of 200 GB/s nominal (moesim +2.7% / −0.4%). docs/validation.md.
    static let nvlinkEfficiency = 0.80
    /// InfiniBand/RoCE RDMA reaches about 86% of line rate: 43 GB/s of a 400 Gb/s (50 GB/s) ConnectX-7
    /// port explains DeepEP's low-latency kernel times at EP 8 and 16 (within 4.2%) and its internode
    /// normal kernels' 43 GB/s "RDMA bandwidth" at EP 16 (−0.4%). docs/validation.md.
    static let rdmaEfficiency = 0.86
    /// PCIe peer-to-peer and GPU→NIC DMA reach about 80% of the x16 line rate
    /// (TLP and flow-control overhead).
    static let pcieEfficiency = 0.80
    /// Start-up cost α of an NVLink all-to-all phase (kernel start and synchronisation), ns.
    static let nvlinkLatencyNanos: Int64 = 2_000
    /// Start-up cost α of an RDMA phase (doorbell, network round trip), ns.
    static let rdmaLatencyNanos: Int64 = 3_000
    /// Start-up cost α of a PCIe phase, ns.
    static let pcieLatencyNanos: Int64 = 2_000
    /// The GEMM kernel's calibration for one GPU generation (`ComputeModel`), fitted on measured GEMMs.
    struct GEMMCalibration {
        let computeEfficiency: Double
        let hbmEfficiency: Double
        let hbmWriteEfficiency: Double
        let kernelLaunchNanos: Int64
        let tileOverheadNanos: Int64
        let kBlockOverheadNanos: Int64
    }

    /// Hopper (H100, H800), fitted once on all 22 rows of `scenarios/validation/compute.csv` (DeepGEMM's
    /// FP8 GEMMs on H800 as first published: 18 normal GEMMs with M = 64, 128, 4096 and 4 grouped
    /// contiguous ones): mean |error| 3.1%, worst 8.8% (docs/validation.md, "Compute").
    /// - The tensor cores run at the dense peak inside the K loop (efficiency 1.0); what large GEMMs lose
    ///   (about 30%: 1358 of 1979 TFLOPS at best) is the K-block and tile costs below, set by the rows
    ///   with M = 4096 (K = 512 to 16384 at equal tiles separate the two).
    /// - 115 ns per K block (128 FP8 elements deep): the M = 64 rows with N = 2112 (56 blocks, one wave)
    ///   against those with M = 128.
    /// - 2.0 µs per tile and 0.6 µs per launch: the M = 4096 rows with K = 512 and 2048.
    /// - Reads at 80% and writes at 50% of HBM bandwidth: the memory-bound M = 64 and 128 rows
    ///   (N = 7168, K = 16384 reads 120 MB at 2.67 TB/s; N = 32768, K = 512 writes 8 MB of output).
    static let hopperGEMM = GEMMCalibration(computeEfficiency: 1.0, hbmEfficiency: 0.80, hbmWriteEfficiency: 0.50,
                                            kernelLaunchNanos: 600, tileOverheadNanos: 2_000, kBlockOverheadNanos: 115)
    /// Ampere (A100): no published GEMM measurement is in the validation set yet, so the Hopper constants
    /// are carried over (with the A100's own SMs, peaks and HBM); docs/validation.md lists this as a weak spot.
    static let ampereGEMM = hopperGEMM

    static func link(gigabytesPerSecond: Double, efficiency: Double, latencyNanos: Int64) -> LinkSpec {
        LinkSpec(bandwidthBytesPerSecond: gigabytesPerSecond * 1e9, efficiency: efficiency,
                 latencyNanos: latencyNanos)
    }

    static func gpu(_ name: String, bf16TeraFLOPs: Double, fp8TeraFLOPs: Double?, sms: Int,
                    hbmGigabytesPerSecond: Double, calibration: GEMMCalibration) -> GPUSpec {
        GPUSpec(name: name, peakFLOPsPerSecond: bf16TeraFLOPs * 1e12, fp8PeakFLOPsPerSecond: fp8TeraFLOPs.map { $0 * 1e12 },
                streamingMultiprocessors: sms, computeEfficiency: calibration.computeEfficiency,
                hbmBytesPerSecond: hbmGigabytesPerSecond * 1e9, hbmEfficiency: calibration.hbmEfficiency,
                hbmWriteEfficiency: calibration.hbmWriteEfficiency, kernelLaunchNanos: calibration.kernelLaunchNanos,
                tileOverheadNanos: calibration.tileOverheadNanos, kBlockOverheadNanos: calibration.kBlockOverheadNanos)
    }

    static func node(preset: String, gpu: GPUSpec, fabric: IntraNodeFabric, intraGigabytesPerSecond: Double,
                     pcieGigabytesPerSecond: Double, nics: Int, nicGigabitsPerSecond: Double) -> ClusterSpec {
        let pcie = link(gigabytesPerSecond: pcieGigabytesPerSecond, efficiency: pcieEfficiency,
                        latencyNanos: pcieLatencyNanos)
        let intra = fabric == .nvswitch
            ? link(gigabytesPerSecond: intraGigabytesPerSecond, efficiency: nvlinkEfficiency,
                   latencyNanos: nvlinkLatencyNanos)
            : pcie
        return ClusterSpec(
            presetName: preset, nodes: 1, gpusPerNode: 8, gpu: gpu, intraNodeFabric: fabric,
            intraNodeLink: intra, gpuToNICLink: pcie, nicsPerNode: nics,
            nicLink: link(gigabytesPerSecond: nicGigabitsPerSecond / 8, efficiency: rdmaEfficiency,
                          latencyNanos: rdmaLatencyNanos))
    }

    // MARK: Presets

    /// NVIDIA DGX A100: 8× A100 SXM4 80 GB.
    /// Sources: NVIDIA A100 datasheet (BF16 dense 312 TFLOP/s, no FP8 tensor cores, HBM2e 2,039 GB/s);
    /// NVIDIA A100 Tensor Core GPU Architecture whitepaper (108 SMs);
    /// DGX A100 datasheet (third-generation NVLink 600 GB/s per GPU total = 300 GB/s per direction,
    /// 6 NVSwitches; 8× ConnectX-6 HDR 200 Gb/s compute NICs; PCIe Gen4 x16 = 32 GB/s per direction).
    public static let dgxA100 = ClusterPreset(
        name: "dgx-a100", summary: "8x A100 SXM4 80GB, NVLink3/NVSwitch, 8x 200 Gb/s HDR InfiniBand",
        spec: node(preset: "dgx-a100", gpu: gpu("A100 SXM4 80GB", bf16TeraFLOPs: 312, fp8TeraFLOPs: nil, sms: 108,
                                     hbmGigabytesPerSecond: 2_039, calibration: ampereGEMM),
                   fabric: .nvswitch, intraGigabytesPerSecond: 300, pcieGigabytesPerSecond: 32,
                   nics: 8, nicGigabitsPerSecond: 200))

    /// NVIDIA DGX H100: 8× H100 SXM5 80 GB.
    /// Sources: NVIDIA H100 datasheet (SXM5 dense BF16 989 TFLOP/s and FP8 1,979 — twice that with sparsity;
    /// HBM3 3.35 TB/s); NVIDIA H100 Tensor Core GPU Architecture whitepaper (132 SMs on SXM5);
    /// DGX H100 datasheet (fourth-generation NVLink 900 GB/s per GPU total = 450 GB/s per direction,
    /// 4 NVSwitches; 8× ConnectX-7 400 Gb/s compute NICs; PCIe Gen5 x16 = 64 GB/s per direction).
    public static let dgxH100 = ClusterPreset(
        name: "dgx-h100", summary: "8x H100 SXM5 80GB, NVLink4/NVSwitch, 8x 400 Gb/s NDR InfiniBand",
        spec: node(preset: "dgx-h100", gpu: gpu("H100 SXM5 80GB", bf16TeraFLOPs: 989, fp8TeraFLOPs: 1_979, sms: 132,
                                     hbmGigabytesPerSecond: 3_350, calibration: hopperGEMM),
                   fabric: .nvswitch, intraGigabytesPerSecond: 450, pcieGigabytesPerSecond: 64,
                   nics: 8, nicGigabitsPerSecond: 400))

    /// 8× H800 SXM5, the export variant of H100 with NVLink cut to 400 GB/s per GPU total
    /// (200 GB/s per direction), as in DeepSeek-V3's training cluster.
    /// Sources: DeepSeek-V3 technical report §3.1 (8 GPUs per node over NVLink/NVSwitch, InfiniBand
    /// between nodes); DeepEP README (H800 NVLink "~160 GB/s" achieved, ConnectX-7 400 Gb/s RDMA per GPU);
    /// compute (132 SMs, dense BF16 989 and FP8 1,979 TFLOP/s, as DeepGEMM's README quotes for H800) and HBM as H100 SXM5.
    public static let h800 = ClusterPreset(
        name: "h800", summary: "8x H800 SXM5, NVLink 400 GB/s bidirectional, 8x 400 Gb/s ConnectX-7",
        spec: node(preset: "h800", gpu: gpu("H800 SXM5 80GB", bf16TeraFLOPs: 989, fp8TeraFLOPs: 1_979, sms: 132,
                                     hbmGigabytesPerSecond: 3_350, calibration: hopperGEMM),
                   fabric: .nvswitch, intraGigabytesPerSecond: 200, pcieGigabytesPerSecond: 64,
                   nics: 8, nicGigabitsPerSecond: 400))

    /// A typical 8-GPU PCIe server without NVLink: 8× A100 80 GB PCIe.
    /// Sources: NVIDIA A100 PCIe datasheet (BF16 dense 312 TFLOP/s, no FP8, 108 SMs, HBM2e 1,935 GB/s, PCIe Gen4 x16
    /// = 32 GB/s per direction). Assumed: 4× ConnectX-6 200 Gb/s NICs, one per pair of GPUs.
    public static let pcieA100 = ClusterPreset(
        name: "pcie-a100", summary: "8x A100 80GB PCIe Gen4, no NVLink, 4x 200 Gb/s HDR InfiniBand",
        spec: node(preset: "pcie-a100", gpu: gpu("A100 80GB PCIe", bf16TeraFLOPs: 312, fp8TeraFLOPs: nil, sms: 108,
                                     hbmGigabytesPerSecond: 1_935, calibration: ampereGEMM),
                   fabric: .pcie, intraGigabytesPerSecond: 32, pcieGigabytesPerSecond: 32,
                   nics: 4, nicGigabitsPerSecond: 200))
}
