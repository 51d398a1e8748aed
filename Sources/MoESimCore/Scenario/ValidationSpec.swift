/// The optional `validation` section of a scenario: which published benchmark the scenario
/// reproduces, so that `moesim validate` can compute the same metric the benchmark prints.
///
/// The rest of the scenario describes the setting (hardware, ranks, tokens, hidden size, top-k,
/// bytes per element, deduplication, transport); this section only says what was timed and how
/// the source turns the time into its figure (see `KernelBenchmark`).
public struct ValidationSpec: Equatable, Sendable {
    /// The published benchmarks moesim knows how to measure.
    public enum Kernel: String, CaseIterable, Sendable {
        /// nccl-tests `alltoall_perf`: every rank sends `bytesPerRank` split evenly over all ranks (itself included).
        case ncclAllToAll = "nccl-alltoall"
        /// DeepEP's normal (high-throughput) dispatch or combine kernel, as `tests/test_intranode.py`
        /// (one node) or `tests/test_internode.py` (several) time it.
        case deepEPNormal = "deepep-normal"
        /// DeepEP's low-latency dispatch or combine kernel, as `tests/test_low_latency.py` times it.
        case deepEPLowLatency = "deepep-low-latency"
        /// One GEMM (m × k)·(k × n) in the scenario's `model.computeType`, as DeepGEMM's `test_core.py` times it.
        case gemm
        /// One grouped GEMM over `groups` groups of m rows each (contiguous layout, one launch).
        case groupedGEMM = "grouped-gemm"
    }

    /// Which all-to-all of the MoE layer a DeepEP kernel runs.
    public enum Phase: String, CaseIterable, Sendable {
        /// Tokens to their experts (dispatch element size).
        case dispatch
        /// Results back to their tokens (combine element size).
        case combine
    }

    /// The row of the measurement file this scenario reproduces.
    public var id: String
    /// The benchmark.
    public var kernel: Kernel
    /// The phase (DeepEP kernels; nil for nccl-tests).
    public var phase: Phase?
    /// Bytes each rank sends in total, itself included (nccl-tests' message "size"; nil for DeepEP).
    public var bytesPerRank: Int64?

    /// The GEMM's shape (GEMM kernels; nil otherwise).
    public var gemm: GEMMShape?

    /// The shape of a benchmarked GEMM: `groups` groups of (m × k)·(k × n).
    public struct GEMMShape: Equatable, Sendable {
        /// Groups (1 for a normal GEMM).
        public var groups: Int
        /// Rows per group.
        public var m: Int
        /// Output columns.
        public var n: Int
        /// Reduction depth.
        public var k: Int

        /// Creates a shape.
        public init(groups: Int = 1, m: Int, n: Int, k: Int) {
            self.groups = groups
            self.m = m
            self.n = n
            self.k = k
        }

        /// 2 · m · n · k per group, over all groups.
        public var flops: Double { 2 * Double(groups) * Double(m) * Double(n) * Double(k) }
    }

    /// Creates a validation section.
    public init(id: String, kernel: Kernel, phase: Phase? = nil, bytesPerRank: Int64? = nil, gemm: GEMMShape? = nil) {
        self.id = id
        self.kernel = kernel
        self.phase = phase
        self.bytesPerRank = bytesPerRank
        self.gemm = gemm
    }
}
