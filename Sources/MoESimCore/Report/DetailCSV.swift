import Foundation

/// The per-GPU and per-expert CSVs written beside the summary with `--out`:
/// one row per (strategy, layer, GPU) and per (strategy, layer, expert replica).
/// `strategy_index` is the strategy's position in the scenario (and its summary row).
public enum DetailCSV {
    /// Columns of `<name>.per_gpu.csv`.
    public static let perGPUColumns = ["scenario", "strategy_index", "strategy", "k", "layer", "gpu", "node", "tokens_in",
                                       "experts_run", "bytes_sent", "bytes_received", "compute_us", "idle_us", "seed"]
    /// Columns of `<name>.per_expert.csv`.
    public static let perExpertColumns = ["scenario", "strategy_index", "strategy", "k", "layer", "expert", "replica", "gpu",
                                          "tokens", "dropped", "seed"]

    /// Token counts and bytes are totals over the run; compute_us and idle_us are means per step.
    /// - Complexity: O(strategies · layers · G).
    public static func perGPU(_ result: ScenarioResult) -> String {
        let s = result.scenario
        let steps = Double(s.simulation.steps)
        var rows: [[String]] = []
        for (index, r) in result.results.enumerated() {
            for (layer, detail) in r.layers.enumerated() {
                for gpu in 0..<detail.placement.gpuCount {
                    rows.append([s.name, String(index), r.strategy.kind.rawValue, String(r.strategy.k), String(layer),
                                 String(gpu), String(s.cluster.node(of: gpu)), String(detail.tokensIn[gpu]),
                                 String(detail.expertsRun[gpu]), String(detail.bytesSent[gpu]),
                                 String(detail.bytesReceived[gpu]),
                                 String(format: "%.3f", Double(detail.computeNanos[gpu]) / 1e3 / steps),
                                 String(format: "%.3f", Double(detail.idleNanos[gpu]) / 1e3 / steps),
                                 String(s.simulation.seed)])
                }
            }
        }
        return CSVWriter.render(header: perGPUColumns, rows: rows)
    }

    /// One row per expert replica; an expert's drops are on its primary replica's row (replica 0).
    /// - Complexity: O(strategies · layers · replicas).
    public static func perExpert(_ result: ScenarioResult) -> String {
        let s = result.scenario
        var rows: [[String]] = []
        for (index, r) in result.results.enumerated() {
            for (layer, detail) in r.layers.enumerated() {
                let placement = detail.placement
                for expert in 0..<placement.expertCount {
                    for (replica, position) in (placement.replicaStart[expert]..<placement.replicaStart[expert + 1]).enumerated() {
                        rows.append([s.name, String(index), r.strategy.kind.rawValue, String(r.strategy.k), String(layer),
                                     String(expert), String(replica), String(placement.replicaGPUs[position]),
                                     String(detail.replicaTokens[position]),
                                     String(replica == 0 ? detail.expertDropped[expert] : 0), String(s.simulation.seed)])
                    }
                }
            }
        }
        return CSVWriter.render(header: perExpertColumns, rows: rows)
    }
}
