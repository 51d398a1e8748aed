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

    /// Creates a validation section.
    public init(id: String, kernel: Kernel, phase: Phase? = nil, bytesPerRank: Int64? = nil) {
        self.id = id
        self.kernel = kernel
        self.phase = phase
        self.bytesPerRank = bytesPerRank
    }
}
