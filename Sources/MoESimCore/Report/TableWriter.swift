import Foundation

/// Aligned text tables for people: numbers right-aligned, text left-aligned.
public enum TableWriter {
    /// Renders `rows` under `header`; `rightAligned[i]` right-aligns column i.
    /// - Complexity: O(total characters).
    public static func render(header: [String], rows: [[String]], rightAligned: [Bool]) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return rightAligned[i] ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingTrailingSpaces() + "\n"
        }
        var out = line(header)
        out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for row in rows { out += line(row) }
        return out
    }

    /// The human summary of one scenario's results: what each strategy costs and why.
    public static func summary(_ result: ScenarioResult) -> String {
        let s = result.scenario
        let cluster = "\(s.cluster.nodes) x \(s.cluster.presetName ?? "custom") (\(s.cluster.gpuCount) GPUs, "
            + "\(s.cluster.intraNodeFabric.rawValue), \(s.cluster.fabric.kindName) fabric)"
        let cf = s.capacityFactor.map { String(format: "%.2f", $0) } ?? "none"
        var out = "scenario \(s.name): \(cluster), \(s.model.experts) experts, "
            + "\(s.placement.name) placement, \(s.tokensPerGPU) tokens/GPU, \(s.model.moeLayers) MoE layer(s), \(s.simulation.mode.rawValue), "
            + "capacity factor \(cf), \(s.traceFile.map { "trace \($0.path)" } ?? s.synthetic.summary), "
            + "\(s.simulation.network.rawValue) network model"
            + (s.simulation.network == .flow ? " (precision \(s.simulation.flowPrecision)), " : ", ")
            + (s.transport == .rdma ? "rdma transport inside nodes, " : "")
            + (s.selfCopies == .links ? "self copies on links, " : "")
            + "\(s.microbatches) micro-batch(es), "
            + "\(s.simulation.steps) step(s), seed \(s.simulation.seed)\n"
            + (s.perturbations.isEmpty ? ""
                : "perturbations: \(s.perturbations.summary(gpuCount: s.cluster.gpuCount, seed: s.simulation.seed))\n")
            + "\n"
        let perturbed = result.results.contains { $0.slowdownVsHealthy != nil }
        let header = ["strategy", "step_us", "gate_us", "dispatch_us", "expert_us", "combine_us",
                      "exposed_us", "gpu_max/mean", "expert_max/mean", "dispatch_MB", "inter_node_MB", "drop_rate"]
            + (perturbed ? ["vs_healthy"] : [])
        let rows = result.results.map { r -> [String] in
            let slowdown = r.slowdownVsHealthy.map { [String(format: "%.3fx", $0)] } ?? (perturbed ? [""] : [])
            return [r.strategy.label,
             String(format: "%.1f", r.stepTimeMicros), String(format: "%.1f", r.gateMicros),
             String(format: "%.1f", r.dispatchMicros), String(format: "%.1f", r.expertMicros),
             String(format: "%.1f", r.combineMicros), String(format: "%.1f", r.exposedCommunicationMicros),
             String(format: "%.3f", r.gpuLoad.maxOverMean), String(format: "%.3f", r.expertLoad.maxOverMean),
             String(format: "%.1f", Double(r.dispatchBytes) / 1e6), String(format: "%.1f", Double(r.interNodeBytes) / 1e6),
             String(format: "%.4f", r.dropRate)] + slowdown
        }
        out += render(header: header, rows: rows, rightAligned: [false] + Array(repeating: true, count: header.count - 1))
        if case let .replicated(_, slots, warmup) = s.placement {
            out += "\nreplicated placement (\(slots) slots/GPU, fitted on \(warmup) warm-up step(s) of other tokens):\n"
            for r in result.results {
                guard let replication = r.replication else { continue }
                out += String(format: "  %@: GPU load max/mean on the warm-up window %.3f -> %.3f with %d extra replicas\n",
                              r.strategy.label, replication.maxOverMeanBefore, replication.maxOverMeanAfter,
                              replication.extraReplicas)
            }
        }
        return out
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
