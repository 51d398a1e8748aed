import Foundation

/// One value of a report, typed so that CSV, JSON and the table format it the same way.
public enum ReportCell: Equatable, Sendable {
    case text(String)
    case integer(Int64)
    /// A real number printed with a fixed count of decimals (stable across platforms).
    case real(Double, decimals: Int)
    /// No value (empty in CSV, null in JSON).
    case empty

    /// The cell as CSV/table text.
    public var text: String {
        switch self {
        case .text(let s): return s
        case .integer(let n): return String(n)
        case let .real(x, decimals): return String(format: "%.\(decimals)f", x)
        case .empty: return ""
        }
    }

    /// The cell as JSON text; integers keep every digit (no trip through Double).
    public var jsonText: String {
        switch self {
        case .text(let s): return JSONValue.quoted(s)
        case .integer, .real: return text
        case .empty: return "null"
        }
    }
}

/// A column of the summary: its name (with unit) and how to read it from a result.
/// The one list of columns that CSV, JSON and the table all draw from.
public struct SummaryColumn: Sendable {
    /// Column name as it appears in CSV headers and JSON keys.
    public let name: String
    /// What the column means, with its unit (docs/metrics.md documents every column in full).
    public let meaning: String
    let value: @Sendable (Scenario, StrategyResult) -> ReportCell

    /// Every summary column, in CSV order.
    public static let all: [SummaryColumn] = [
        SummaryColumn(name: "scenario", meaning: "scenario name") { s, _ in .text(s.name) },
        SummaryColumn(name: "strategy", meaning: "routing strategy: switch, topk, sam, node-limited, expert-choice or hash") { _, r in .text(r.strategy.kind.rawValue) },
        SummaryColumn(name: "k", meaning: "experts activated per token") { _, r in .integer(Int64(r.strategy.k)) },
        SummaryColumn(name: "dedup", meaning: "copies per token: gpu (one per destination GPU), node (one per destination node, forwarded over NVLink) or none (one per expert)") { _, r in
            .text(r.strategy.deduplication.rawValue)
        },
        SummaryColumn(name: "normalize", meaning: "top-k only: gate probabilities renormalised over the k chosen") { _, r in
            r.strategy.kind == .topk ? .text(r.strategy.normalize ? "true" : "false") : .empty
        },
        SummaryColumn(name: "device_score", meaning: "SAM only: device score, sum or max of expert probabilities") { _, r in
            r.strategy.kind == .sam ? .text(r.strategy.deviceScore.rawValue) : .empty
        },
        SummaryColumn(name: "max_nodes", meaning: "node-limited only: most nodes a token may reach") { _, r in
            r.strategy.kind == .nodeLimited ? .integer(Int64(r.strategy.maxNodes)) : .empty
        },
        SummaryColumn(name: "cluster", meaning: "cluster preset") { s, _ in .text(s.cluster.presetName ?? "custom") },
        SummaryColumn(name: "nodes", meaning: "nodes") { s, _ in .integer(Int64(s.cluster.nodes)) },
        SummaryColumn(name: "gpus", meaning: "GPUs (expert-parallel ranks)") { s, _ in .integer(Int64(s.cluster.gpuCount)) },
        SummaryColumn(name: "experts", meaning: "experts per MoE layer") { s, _ in .integer(Int64(s.model.experts)) },
        SummaryColumn(name: "tokens_per_gpu", meaning: "tokens each GPU routes per layer and step") { s, _ in .integer(Int64(s.tokensPerGPU)) },
        SummaryColumn(name: "placement", meaning: "expert placement: contiguous, round-robin, explicit or replicated") { s, _ in .text(s.placement.name) },
        SummaryColumn(name: "transport", meaning: "nvlink (NVLink inside a node, NICs between) or rdma (every byte through the NICs)") { s, _ in .text(s.transport.rawValue) },
        SummaryColumn(name: "mode", meaning: "inference (forward) or training (forward + backward)") { s, _ in .text(s.simulation.mode.rawValue) },
        SummaryColumn(name: "network", meaning: "network model: flow (max-min fair flows, events) or analytical (bottleneck bound)") { s, _ in .text(s.simulation.network.rawValue) },
        SummaryColumn(name: "flow_precision", meaning: "flow model only: relative precision of its max-min fair rates and of when they are recomputed (simulation.flowPrecision; 1e-9 = exact)") { s, _ in
            s.simulation.network == .flow ? .text(String(describing: s.simulation.flowPrecision)) : .empty
        },
        SummaryColumn(name: "fabric", meaning: "fabric between nodes: non-blocking, fat-tree or rail") { s, _ in .text(s.cluster.fabric.kindName) },
        SummaryColumn(name: "microbatches", meaning: "micro-batches each GPU's tokens are split into") { s, _ in .integer(Int64(s.microbatches)) },
        SummaryColumn(name: "step_time_us", meaning: "predicted time of one step over all MoE layers, µs") { _, r in .real(r.stepTimeMicros, decimals: 3) },
        SummaryColumn(name: "gate_us", meaning: "gate GEMMs per step (flow model: gate kernels on the critical path), µs") { _, r in .real(r.gateMicros, decimals: 3) },
        SummaryColumn(name: "dispatch_us", meaning: "dispatch all-to-alls per step (flow model: dispatch-direction transfers on the critical path), µs") { _, r in .real(r.dispatchMicros, decimals: 3) },
        SummaryColumn(name: "expert_us", meaning: "expert FFNs per step: the busiest GPU's (flow model: expert kernels on the critical path), µs") { _, r in .real(r.expertMicros, decimals: 3) },
        SummaryColumn(name: "combine_us", meaning: "combine all-to-alls per step (flow model: combine-direction transfers on the critical path), µs") { _, r in .real(r.combineMicros, decimals: 3) },
        SummaryColumn(name: "exposed_comm_us", meaning: "communication per step no compute hid: transfers on the critical path (dispatch_us + combine_us), µs") { _, r in .real(r.exposedCommunicationMicros, decimals: 3) },
        SummaryColumn(name: "gpu_load_max_over_mean", meaning: "token-to-expert assignments computed on the busiest GPU / mean per GPU") { _, r in .real(r.gpuLoad.maxOverMean, decimals: 4) },
        SummaryColumn(name: "gpu_load_cv", meaning: "coefficient of variation of assignments per GPU") { _, r in .real(r.gpuLoad.coefficientOfVariation, decimals: 4) },
        SummaryColumn(name: "gpu_load_gini", meaning: "Gini coefficient of assignments per GPU (0 = balanced)") { _, r in .real(r.gpuLoad.gini, decimals: 4) },
        SummaryColumn(name: "expert_load_max_over_mean", meaning: "tokens of the busiest expert / mean tokens per expert") { _, r in .real(r.expertLoad.maxOverMean, decimals: 4) },
        SummaryColumn(name: "expert_load_cv", meaning: "coefficient of variation of tokens per expert") { _, r in .real(r.expertLoad.coefficientOfVariation, decimals: 4) },
        SummaryColumn(name: "expert_load_gini", meaning: "Gini coefficient of tokens per expert (0 = balanced)") { _, r in .real(r.expertLoad.gini, decimals: 4) },
        SummaryColumn(name: "dispatch_bytes", meaning: "bytes of all dispatched token copies (local ones included), whole run") { _, r in .integer(r.dispatchBytes) },
        SummaryColumn(name: "combine_bytes", meaning: "bytes of all returned copies (local ones included), whole run") { _, r in .integer(r.combineBytes) },
        SummaryColumn(name: "intra_node_bytes", meaning: "bytes between GPUs of one node, whole run") { _, r in .integer(r.intraNodeBytes) },
        SummaryColumn(name: "inter_node_bytes", meaning: "bytes between nodes, whole run") { _, r in .integer(r.interNodeBytes) },
        SummaryColumn(name: "max_gpu_sent_bytes", meaning: "most bytes one GPU sent in one phase") { _, r in .integer(r.maxGPUSentBytes) },
        SummaryColumn(name: "max_gpu_received_bytes", meaning: "most bytes one GPU received in one phase") { _, r in .integer(r.maxGPUReceivedBytes) },
        SummaryColumn(name: "peak_memory_gb", meaning: "HBM the GPU that needs the most must hold: expert weights, token buffers, activations, model.otherMemoryGB (docs/model.md, Memory), GB") { s, r in
            .real(s.peakMemoryNeed(for: r.strategy).totalBytes / 1e9, decimals: 3)
        },
        SummaryColumn(name: "dropped_tokens", meaning: "token-to-expert assignments dropped by the capacity limit, whole run") { _, r in .integer(r.droppedAssignments) },
        SummaryColumn(name: "unrouted_tokens", meaning: "tokens that reached no expert in a layer (all dropped, or unpicked by expert choice), whole run") { _, r in .integer(r.unroutedTokens) },
        SummaryColumn(name: "drop_rate", meaning: "dropped / offered assignments") { _, r in .real(r.dropRate, decimals: 6) },
        SummaryColumn(name: "extra_replicas", meaning: "replicated placement: replicas added beyond one per expert, summed over layers") { _, r in
            r.replication.map { .integer(Int64($0.extraReplicas)) } ?? .empty
        },
        SummaryColumn(name: "balancer_gpu_load_before", meaning: "replicated placement: GPU load max/mean on the warm-up window before balancing") { _, r in
            r.replication.map { .real($0.maxOverMeanBefore, decimals: 4) } ?? .empty
        },
        SummaryColumn(name: "balancer_gpu_load_after", meaning: "replicated placement: the same after balancing") { _, r in
            r.replication.map { .real($0.maxOverMeanAfter, decimals: 4) } ?? .empty
        },
        SummaryColumn(name: "capacity_factor", meaning: "capacity factor (empty: no limit)") { s, _ in
            s.capacityFactor.map { .real($0, decimals: 3) } ?? .empty
        },
        SummaryColumn(name: "steps", meaning: "steps simulated") { s, _ in .integer(Int64(s.simulation.steps)) },
        SummaryColumn(name: "seed", meaning: "seed of the run") { s, _ in .integer(Int64(bitPattern: s.simulation.seed)) },
    ]

    /// The columns after `all` in a report with perturbed scenarios (`perturbations`); reports without any keep
    /// exactly `all`, so their output does not change.
    public static let perturbed: [SummaryColumn] = [
        SummaryColumn(name: "perturbations", meaning: "slow GPUs and degraded links of the scenario (empty: healthy)") { s, _ in
            s.perturbations.isEmpty ? .empty
                : .text(s.perturbations.summary(gpuCount: s.cluster.gpuCount, seed: s.simulation.seed))
        },
        SummaryColumn(name: "slowdown_vs_healthy", meaning: "step time / the same scenario's on a healthy cluster, same tokens (empty: healthy)") { _, r in
            r.slowdownVsHealthy.map { .real($0, decimals: 4) } ?? .empty
        },
        SummaryColumn(name: "tokens_rerouted", meaning: "failed GPUs: kept assignments served by a surviving or re-placed replica instead of a failed one, whole run (empty: none failed)") { s, r in
            s.perturbations.hasFailures ? .integer(r.reroutedAssignments) : .empty
        },
        SummaryColumn(name: "experts_replaced", meaning: "failed GPUs: experts without a surviving replica placed on a survivor, summed over layers (empty: none failed)") { s, r in
            s.perturbations.hasFailures ? .integer(Int64(r.replacedExperts ?? 0)) : .empty
        },
        SummaryColumn(name: "failure_dropped_tokens", meaning: "failed GPUs: assignments dropped because every replica of their expert failed (onFailure drop; part of dropped_tokens), whole run (empty: none failed)") { s, r in
            s.perturbations.hasFailures ? .integer(r.orphanDroppedAssignments) : .empty
        },
    ]

    /// The columns of a report on `scenarios`: `all`, then `perturbed` when any of them has perturbations.
    /// - Complexity: O(scenarios).
    public static func columns(for scenarios: [Scenario]) -> [SummaryColumn] {
        scenarios.contains { !$0.perturbations.isEmpty } ? all + perturbed : all
    }

    /// The cells of one result in the order of `columns`.
    public static func cells(_ scenario: Scenario, _ result: StrategyResult, columns: [SummaryColumn] = all) -> [ReportCell] {
        columns.map { $0.value(scenario, result) }
    }
}
