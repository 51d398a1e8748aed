import Foundation

/// `moesim plan`'s outputs: the best refined points as a table for people, CSV or JSON, and the notes (what was
/// skipped, which points the flow model reordered) for stderr or under the table.
public enum PlanReport {
    /// The column names: rank, the analytical rank, one per grid axis (its key path), then the predictions.
    /// - Complexity: O(axes).
    public static func header(_ outcome: PlanOutcome) -> [String] {
        ["rank", "analytical_rank"] + outcome.space.grid.axes.map(\.name)
            + ["step_time_us", "analytical_step_time_us", "tokens_per_s_per_gpu", "drop_rate", "inter_node_bytes",
               "peak_memory_gb", "gpus"]
    }

    /// The cells of the best `top` refined points, best first.
    /// - Complexity: O(top · axes).
    public static func rows(_ outcome: PlanOutcome, top: Int) -> [[ReportCell]] {
        outcome.ranked.prefix(max(top, 0)).enumerated().map { place, candidate in
            let flow = candidate.flow ?? candidate.analytical
            let labels = outcome.space.grid.labels(of: candidate.point).map { ReportCell.text($0) }
            return [.integer(Int64(place + 1)), .integer(Int64(candidate.analyticalRank))] + labels + [
                .real(flow.stepTimeMicros, decimals: 3),
                .real(candidate.analytical.stepTimeMicros, decimals: 3),
                .real(PlanObjective.tokensPerSecondPerGPU(candidate.scenario, flow), decimals: 1),
                .real(flow.dropRate, decimals: 6),
                .integer(flow.interNodeBytes),
                .real(candidate.scenario.peakMemoryNeed(for: flow.strategy).totalBytes / 1e9, decimals: 3),
                .integer(Int64(candidate.scenario.cluster.gpuCount)),
            ]
        }
    }

    /// The table, CSV or JSON text of the best `top` points.
    /// - Complexity: O(top · axes).
    public static func render(_ outcome: PlanOutcome, top: Int, format: Format) -> String {
        let header = header(outcome), rows = rows(outcome, top: top)
        switch format {
        case .csv:
            return CSVWriter.render(header: header, rows: rows.map { $0.map(\.text) })
        case .json:
            return JSONWriter.objects(keys: header, rows: rows)
        case .table:
            let rightAligned = rows.first.map { $0.map { if case .text = $0 { return false } else { return true } } }
                ?? header.map { _ in false }
            return TableWriter.render(header: header, rows: rows.map { $0.map(\.text) }, rightAligned: rightAligned)
        }
    }

    /// The output formats.
    public enum Format: String, CaseIterable, Sendable {
        case table, csv, json
    }

    /// What was searched and skipped and what the flow model reordered, one note per line.
    /// - Complexity: O(refined points).
    public static func notes(_ outcome: PlanOutcome) -> String {
        let skips = outcome.skips
        var lines = ["plan: \(outcome.space.grid.pointCount) point(s): \(outcome.scored) scored under the analytical model, "
            + "\(skips.total) skipped (\(skips.invalid) invalid, \(skips.overMemory) over HBM, \(skips.overDropRate) over "
            + "the drop-rate limit); the best \(outcome.ranked.count) re-run under the flow model, ranked by "
            + "\(outcome.objective.rawValue)"]
        if let first = skips.firstInvalid { lines.append("  first invalid: \(first)") }
        if let first = skips.firstOverMemory { lines.append("  first over HBM: \(first)") }
        let reordered = outcome.reordered
        if outcome.ranked.isEmpty {
            return lines.joined(separator: "\n") + "\n"
        } else if reordered.isEmpty {
            lines.append("  the flow model kept the analytical order of the refined points")
        } else {
            lines.append("  the flow model reordered \(reordered.count) of the \(outcome.ranked.count) refined point(s):")
            for (candidate, before, after) in reordered {
                lines.append("    point \(candidate.point) (\(PlanSearch.describe(outcome.space.grid, candidate.point))): "
                    + "analytical place \(before) -> flow place \(after)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
