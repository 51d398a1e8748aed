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
    public static let all: [ClusterPreset] = [dgxA100, dgxH100, h800, pcieA100, dgxB200, gb200NVL72, mi300x, h20]

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
    /// Blackwell (B200, GB200) and AMD CDNA 3 (MI300X): no published GEMM measurement is in the validation set yet,
    /// so the Hopper constants are carried over (with each GPU's own SMs or compute units, peaks and HBM); a weak
    /// spot docs/validation.md lists, as for Ampere.
    static let unmeasuredGEMM = hopperGEMM

    static func link(gigabytesPerSecond: Double, efficiency: Double, latencyNanos: Int64) -> LinkSpec {
        LinkSpec(bandwidthBytesPerSecond: gigabytesPerSecond * 1e9, efficiency: efficiency,
                 latencyNanos: latencyNanos)
    }

    static func gpu(_ name: String, bf16TeraFLOPs: Double, fp8TeraFLOPs: Double?, sms: Int, hbmGigabytes: Double,
                    hbmGigabytesPerSecond: Double, calibration: GEMMCalibration) -> GPUSpec {
        GPUSpec(name: name, peakFLOPsPerSecond: bf16TeraFLOPs * 1e12, fp8PeakFLOPsPerSecond: fp8TeraFLOPs.map { $0 * 1e12 },
                streamingMultiprocessors: sms, computeEfficiency: calibration.computeEfficiency,
                hbmBytesPerSecond: hbmGigabytesPerSecond * 1e9, hbmEfficiency: calibration.hbmEfficiency,
                hbmWriteEfficiency: calibration.hbmWriteEfficiency, kernelLaunchNanos: calibration.kernelLaunchNanos,
                tileOverheadNanos: calibration.tileOverheadNanos, kBlockOverheadNanos: calibration.kBlockOverheadNanos,
                hbmCapacityBytes: hbmGigabytes * 1e9)
    }

    /// One node of `gpus` GPUs. `intraGigabytesPerSecond` is a GPU's port into the NVSwitch, its PCIe link, or on a
    /// mesh one pair's link, per direction; a mesh's links take NVLink's efficiency and latency (no measurement of
    /// Infinity Fabric all-to-alls is in the validation set).
    static func node(preset: String, gpu: GPUSpec, gpus: Int = 8, fabric: IntraNodeFabric, intraGigabytesPerSecond: Double,
                     pcieGigabytesPerSecond: Double, nics: Int, nicGigabitsPerSecond: Double) -> ClusterSpec {
        let pcie = link(gigabytesPerSecond: pcieGigabytesPerSecond, efficiency: pcieEfficiency,
                        latencyNanos: pcieLatencyNanos)
        let intra = fabric == .pcie
            ? pcie
            : link(gigabytesPerSecond: intraGigabytesPerSecond, efficiency: nvlinkEfficiency,
                   latencyNanos: nvlinkLatencyNanos)
        return ClusterSpec(
            presetName: preset, nodes: 1, gpusPerNode: gpus, gpu: gpu, intraNodeFabric: fabric,
            intraNodeLink: intra, gpuToNICLink: pcie, nicsPerNode: nics,
            nicLink: link(gigabytesPerSecond: nicGigabitsPerSecond / 8, efficiency: rdmaEfficiency,
                          latencyNanos: rdmaLatencyNanos))
    }

    // MARK: Presets

    /// NVIDIA DGX A100: 8× A100 SXM4 80 GB.
    /// Sources: NVIDIA A100 datasheet (BF16 dense 312 TFLOP/s, no FP8 tensor cores, 80 GB HBM2e at 2,039 GB/s);
    /// NVIDIA A100 Tensor Core GPU Architecture whitepaper (108 SMs);
    /// DGX A100 datasheet (third-generation NVLink 600 GB/s per GPU total = 300 GB/s per direction,
    /// 6 NVSwitches; 8× ConnectX-6 HDR 200 Gb/s compute NICs; PCIe Gen4 x16 = 32 GB/s per direction).
    public static let dgxA100 = ClusterPreset(
        name: "dgx-a100", summary: "8x A100 SXM4 80GB, NVLink3/NVSwitch, 8x 200 Gb/s HDR InfiniBand",
        spec: node(preset: "dgx-a100", gpu: gpu("A100 SXM4 80GB", bf16TeraFLOPs: 312, fp8TeraFLOPs: nil, sms: 108,
                                     hbmGigabytes: 80, hbmGigabytesPerSecond: 2_039, calibration: ampereGEMM),
                   fabric: .nvswitch, intraGigabytesPerSecond: 300, pcieGigabytesPerSecond: 32,
                   nics: 8, nicGigabitsPerSecond: 200))

    /// NVIDIA DGX H100: 8× H100 SXM5 80 GB.
    /// Sources: NVIDIA H100 datasheet (SXM5 dense BF16 989 TFLOP/s and FP8 1,979 — twice that with sparsity;
    /// 80 GB HBM3 at 3.35 TB/s); NVIDIA H100 Tensor Core GPU Architecture whitepaper (132 SMs on SXM5);
    /// DGX H100 datasheet (fourth-generation NVLink 900 GB/s per GPU total = 450 GB/s per direction,
    /// 4 NVSwitches; 8× ConnectX-7 400 Gb/s compute NICs; PCIe Gen5 x16 = 64 GB/s per direction).
    public static let dgxH100 = ClusterPreset(
        name: "dgx-h100", summary: "8x H100 SXM5 80GB, NVLink4/NVSwitch, 8x 400 Gb/s NDR InfiniBand",
        spec: node(preset: "dgx-h100", gpu: gpu("H100 SXM5 80GB", bf16TeraFLOPs: 989, fp8TeraFLOPs: 1_979, sms: 132,
                                     hbmGigabytes: 80, hbmGigabytesPerSecond: 3_350, calibration: hopperGEMM),
                   fabric: .nvswitch, intraGigabytesPerSecond: 450, pcieGigabytesPerSecond: 64,
                   nics: 8, nicGigabitsPerSecond: 400))

    /// 8× H800 SXM5, the export variant of H100 with NVLink cut to 400 GB/s per GPU total
    /// (200 GB/s per direction), as in DeepSeek-V3's training cluster.
    /// Sources: DeepSeek-V3 technical report §3.1 (8 GPUs per node over NVLink/NVSwitch, InfiniBand
    /// between nodes); DeepEP README (H800 NVLink "~160 GB/s" achieved, ConnectX-7 400 Gb/s RDMA per GPU);
    /// compute (132 SMs, dense BF16 989 and FP8 1,979 TFLOP/s, as DeepGEMM's README quotes for H800) and HBM (80 GB
    /// at 3.35 TB/s) as H100 SXM5.
    public static let h800 = ClusterPreset(
        name: "h800", summary: "8x H800 SXM5, NVLink 400 GB/s bidirectional, 8x 400 Gb/s ConnectX-7",
        spec: node(preset: "h800", gpu: gpu("H800 SXM5 80GB", bf16TeraFLOPs: 989, fp8TeraFLOPs: 1_979, sms: 132,
                                     hbmGigabytes: 80, hbmGigabytesPerSecond: 3_350, calibration: hopperGEMM),
                   fabric: .nvswitch, intraGigabytesPerSecond: 200, pcieGigabytesPerSecond: 64,
                   nics: 8, nicGigabitsPerSecond: 400))

    /// A typical 8-GPU PCIe server without NVLink: 8× A100 80 GB PCIe.
    /// Sources: NVIDIA A100 PCIe datasheet (BF16 dense 312 TFLOP/s, no FP8, 108 SMs, 80 GB HBM2e at 1,935 GB/s, PCIe Gen4 x16
    /// = 32 GB/s per direction). Assumed: 4× ConnectX-6 200 Gb/s NICs, one per pair of GPUs.
    public static let pcieA100 = ClusterPreset(
        name: "pcie-a100", summary: "8x A100 80GB PCIe Gen4, no NVLink, 4x 200 Gb/s HDR InfiniBand",
        spec: node(preset: "pcie-a100", gpu: gpu("A100 80GB PCIe", bf16TeraFLOPs: 312, fp8TeraFLOPs: nil, sms: 108,
                                     hbmGigabytes: 80, hbmGigabytesPerSecond: 1_935, calibration: ampereGEMM),
                   fabric: .pcie, intraGigabytesPerSecond: 32, pcieGigabytesPerSecond: 32,
                   nics: 4, nicGigabitsPerSecond: 200))

    /// NVIDIA DGX B200: 8× B200 (Blackwell) 180 GB.
    /// Sources: DGX B200 datasheet (1,440 GB HBM3e in total = 180 GB per GPU, memory bandwidth 64 TB/s in total
    /// = 8 TB/s per GPU; fifth-generation NVLink, 14.4 TB/s aggregate over 2 NVSwitch chips = 1.8 TB/s per GPU total
    /// = 900 GB/s per direction; 8× single-port ConnectX-7 400 Gb/s compute NICs; PCIe Gen5 x16 = 64 GB/s per
    /// direction); HGX B200 specifications (FP8 72 and BF16 36 PFLOP/s for 8 GPUs with sparsity = dense 4,500 and
    /// 2,250 TFLOP/s per GPU, at 1,000 W). 148 SMs as CUDA reports them on B200 (the datasheets do not list SMs).
    public static let dgxB200 = ClusterPreset(
        name: "dgx-b200", summary: "8x B200 180GB, NVLink5/NVSwitch, 8x 400 Gb/s ConnectX-7",
        spec: node(preset: "dgx-b200", gpu: gpu("B200 180GB", bf16TeraFLOPs: 2_250, fp8TeraFLOPs: 4_500, sms: 148,
                                     hbmGigabytes: 180, hbmGigabytesPerSecond: 8_000, calibration: unmeasuredGEMM),
                   fabric: .nvswitch, intraGigabytesPerSecond: 900, pcieGigabytesPerSecond: 64,
                   nics: 8, nicGigabitsPerSecond: 400))

    /// NVIDIA GB200 NVL72: one rack of 18 compute trays, each 2 Grace CPUs and 4 Blackwell GPUs, all 72 GPUs on one
    /// NVLink switch fabric. So a node here is the rack's NVLink domain: 72 GPUs behind one non-blocking NVSwitch
    /// fabric, with one 400 Gb/s NIC per GPU (4 per tray), and `nodes` counts racks.
    /// Sources: GB200 NVL72 specifications (rack: FP8 720 and BF16 360 PFLOP/s with sparsity = dense 5,000 and
    /// 2,500 TFLOP/s per GPU; HBM3e up to 13.4 TB at 576 TB/s = 186 GB and 8 TB/s per GPU; fifth-generation NVLink
    /// 130 TB/s = 1.8 TB/s per GPU total = 900 GB/s per direction); compute tray networking 4× ConnectX-7 400 Gb/s
    /// (one per GPU) from NVIDIA's GB200 NVL72 reference architecture; PCIe Gen5 x16 to the NIC. SMs as B200.
    public static let gb200NVL72 = ClusterPreset(
        name: "gb200-nvl72", summary: "72x B200 (GB200) in one NVLink5 domain, 72x 400 Gb/s ConnectX-7 (4 per tray)",
        spec: node(preset: "gb200-nvl72", gpu: gpu("GB200 B200 186GB", bf16TeraFLOPs: 2_500, fp8TeraFLOPs: 5_000,
                                        sms: 148, hbmGigabytes: 186, hbmGigabytesPerSecond: 8_000, calibration: unmeasuredGEMM),
                   gpus: 72, fabric: .nvswitch, intraGigabytesPerSecond: 900, pcieGigabytesPerSecond: 64,
                   nics: 72, nicGigabitsPerSecond: 400))

    /// AMD Instinct MI300X platform: 8× MI300X on a fully connected Infinity Fabric mesh.
    /// Sources: AMD Instinct MI300X data sheet (peak dense BF16 1,307.4 and FP8 2,614.9 TFLOP/s — twice that with
    /// sparsity; 304 compute units, here the SM count; 192 GB HBM3 at 5.3 TB/s; 7 Infinity Fabric links per GPU at
    /// 128 GB/s peak each, both directions = 64 GB/s per direction per pair; PCIe Gen5 x16 = 64 GB/s per direction).
    /// Assumed: 8× 400 Gb/s NICs, one per GPU, as in typical MI300X servers (the platform sheet lists none).
    public static let mi300x = ClusterPreset(
        name: "mi300x", summary: "8x MI300X 192GB, Infinity Fabric mesh (7 links per GPU), 8x 400 Gb/s NICs",
        spec: node(preset: "mi300x", gpu: gpu("MI300X 192GB", bf16TeraFLOPs: 1_307.4, fp8TeraFLOPs: 2_614.9, sms: 304,
                                   hbmGigabytes: 192, hbmGigabytesPerSecond: 5_300, calibration: unmeasuredGEMM),
                   fabric: .mesh, intraGigabytesPerSecond: 64, pcieGigabytesPerSecond: 64,
                   nics: 8, nicGigabitsPerSecond: 400))

    /// 8× H20, the export variant of Hopper with compute cut to about 15% of H100's and NVLink kept.
    /// Sources: NVIDIA HGX H20 specifications as published by NVIDIA's partners (dense BF16 148 and FP8 296 TFLOP/s;
    /// 96 GB HBM3 at 4.0 TB/s; NVLink 900 GB/s per GPU total = 450 GB/s per direction; PCIe Gen5 x16); 78 SMs as
    /// public device listings report them (no NVIDIA sheet lists them). Assumed: 8× ConnectX-7 400 Gb/s NICs, as on
    /// DGX H100. Hopper GEMM calibration.
    public static let h20 = ClusterPreset(
        name: "h20", summary: "8x H20 96GB, NVLink4/NVSwitch, 8x 400 Gb/s ConnectX-7",
        spec: node(preset: "h20", gpu: gpu("H20 96GB", bf16TeraFLOPs: 148, fp8TeraFLOPs: 296, sms: 78,
                                hbmGigabytes: 96, hbmGigabytesPerSecond: 4_000, calibration: hopperGEMM),
                   fabric: .nvswitch, intraGigabytesPerSecond: 450, pcieGigabytesPerSecond: 64,
                   nics: 8, nicGigabitsPerSecond: 400))
}
