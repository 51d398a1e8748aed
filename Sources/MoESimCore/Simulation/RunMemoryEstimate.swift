import Foundation

/// The memory a run needs, estimated from its scenario before anything is allocated, so that a run
/// that cannot fit stops at once with the estimate and the key to change instead of aborting (or
/// swapping) minutes later. Each thread holds its own batch of scores, routing slots and GPU × GPU
/// matrices (and, under the flow model, flows); a CSV trace is held whole; a replicated placement
/// keeps per-expert loads. The per-item costs are upper bounds fitted to peak resident sizes measured
/// with `/usr/bin/time -f %M` (1 to 1024 GPUs, up to 2^20 tokens per GPU, both network models): the
/// estimate came 24-43% above each measurement, so it refuses early rather than late.
public struct RunMemoryEstimate: Sendable {
    /// One term of the estimate: what it is, its bytes and the key that scales it.
    public struct Term: Sendable {
        /// What the bytes hold.
        public let what: String
        /// Estimated bytes.
        public let bytes: Double
        /// The scenario key (or flag) that lowers it.
        public let key: String
    }

    /// Bytes of one routing slot (expert id, gate weight, GPU, dropped flag and the capacity limiter's share).
    static let bytesPerSlot = 16.0
    /// Bytes per token besides its slots (slot offsets, token layout).
    static let bytesPerToken = 16.0
    /// Bytes per GPU pair of the copy and traffic matrices.
    static let bytesPerGPUPair = 48.0
    /// Bytes per GPU pair and micro-batch of the flow model (flows, their paths and group memberships).
    static let flowBytesPerGPUPair = 400.0
    /// The process itself, its code and small tables.
    static let baseBytes = 64.0 * 1_048_576

    /// The terms, largest first.
    public let terms: [Term]
    /// The scenario's name (for messages).
    public let scenarioName: String

    /// The estimate for running `scenario` on `jobs` threads.
    /// - Complexity: O(strategies).
    public init(_ scenario: Scenario, jobs: Int) {
        scenarioName = scenario.name
        let gpus = Double(scenario.cluster.gpuCount)
        let tokens = gpus * Double(scenario.tokensPerGPU)
        let experts = Double(scenario.model.experts)
        let batches = scenario.simulation.steps * scenario.model.moeLayers
        let workers = Double(max(1, min(jobs, batches)))
        let k = Double(scenario.traceFile?.header.payload == .choices ? scenario.traceFile?.header.k ?? 1
                       : scenario.strategies.map(\.k).max() ?? 1)
        let deviceLogits = scenario.traceFile?.header.hasDeviceLogits == true ? tokens * gpus * 4 : 0
        var terms = [
            Term(what: "router scores (\(Int(workers)) thread(s) × \(Int(tokens)) tokens × \(Int(experts)) experts × 4 bytes)",
                 bytes: workers * (tokens * experts * 4 + deviceLogits), key: "parallelism.tokensPerGPU"),
            Term(what: "routing slots (\(Int(workers)) thread(s) × \(Int(tokens)) tokens × k = \(Int(k)))",
                 bytes: workers * tokens * (k * RunMemoryEstimate.bytesPerSlot + RunMemoryEstimate.bytesPerToken),
                 key: "parallelism.tokensPerGPU"),
            Term(what: "GPU × GPU matrices (\(Int(workers)) thread(s) × \(Int(gpus))² pairs)",
                 bytes: workers * gpus * gpus * RunMemoryEstimate.bytesPerGPUPair * Double(scenario.microbatches + 1),
                 key: "cluster.nodes"),
        ]
        if scenario.simulation.network == .flow {
            terms.append(Term(what: "flow model (\(Int(workers)) thread(s) × \(Int(gpus))² pairs × \(scenario.microbatches) "
                                  + "micro-batch(es))",
                              bytes: workers * gpus * gpus * RunMemoryEstimate.flowBytesPerGPUPair * Double(scenario.microbatches),
                              key: "simulation.network (\"analytical\" needs no flows) or cluster.nodes"))
        }
        if let trace = scenario.traceFile, TraceSource.isCSV(trace.path) {
            let header = trace.header
            terms.append(Term(what: "the CSV trace, held whole", bytes: Double(header.batchCount) * Double(header.tokensPerStep)
                                  * Double(header.payload == .scores ? header.experts + (header.hasDeviceLogits ? header.gpus : 0)
                                           : 2 * header.k) * 4 * 3,
                              key: "trace.file (convert it to .moetrace: moesim trace convert)"))
        }
        if case let .replicated(_, _, warmupSteps) = scenario.placement, warmupSteps > 0 {
            terms.append(Term(what: "warm-up loads and a warm-up thread", bytes: Double(scenario.strategies.count)
                                  * Double(scenario.model.moeLayers) * experts * 8
                                  + tokens * (experts * 4 + k * RunMemoryEstimate.bytesPerSlot),
                              key: "parallelism.placement"))
        }
        self.terms = terms.sorted { $0.bytes > $1.bytes }
    }

    /// Estimated bytes in all.
    public var bytes: Double { terms.reduce(RunMemoryEstimate.baseBytes) { $0 + $1.bytes } }

    /// Throws when the estimate exceeds `physicalMemoryBytes` (default: what this process may use,
    /// `MachineMemory.bytes`).
    /// - Throws: `ScenarioError.invalid` naming the key that scales the largest term, with the estimate.
    public func check(physicalMemoryBytes: UInt64 = MachineMemory.bytes) throws {
        guard bytes > Double(physicalMemoryBytes), let largest = terms.first else { return }
        func gib(_ bytes: Double) -> String { String(format: "%.1f GiB", bytes / 1_073_741_824) }
        throw ScenarioError.invalid(file: nil, keyPath: largest.key, message: "scenario \"\(scenarioName)\" needs about "
            + "\(gib(bytes)) of memory, more than the \(gib(Double(physicalMemoryBytes))) this process may use (physical "
            + "memory or its control group's limit); the largest part is \(largest.what), \(gib(largest.bytes)): lower "
            + "this (or run on fewer threads with --jobs)")
    }
}
