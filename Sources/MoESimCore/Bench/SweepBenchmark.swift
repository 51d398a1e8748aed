import Foundation

/// Measures sweep throughput: a 500-point grid over a 64-GPU scenario (8 DGX H100 nodes,
/// 128 experts, 512 tokens per GPU, Switch / top-2 / SAM-2, analytical network), run through
/// the same plan and parallel map as `moesim sweep`, rows rendered but not written.
///
/// The grid is the kind users run: capacity factor (5 values) × Zipf skew (10) × GPU
/// generation (2 presets) × hidden size (5), with the skew changing the tokens and the rest
/// changing only how they are priced.
public enum SweepBenchmark {
    /// One measured row.
    public struct Row: Sendable {
        public let points: Int
        public let jobs: Int
        public let wallSeconds: Double
        /// The wall time of the same sweep on one job, when measured (by this row or an earlier one).
        public let oneJobSeconds: Double?
        public var pointsPerSecond: Double { Double(points) / wallSeconds }
        /// How many times faster than on one job; nil when one job was not measured first.
        public var speedupOverOneJob: Double? { oneJobSeconds.map { $0 / wallSeconds } }

        /// The row as `bench sweep` prints it, under `SweepBenchmark.columns` (newline-terminated;
        /// the speed-up is empty when one job was not measured first).
        public var csvLine: String {
            CSVWriter.line(["sweep_64gpu_analytical", String(points), String(jobs), String(format: "%.3f", wallSeconds),
                            String(format: "%.2f", pointsPerSecond), speedupOverOneJob.map { String(format: "%.2f", $0) } ?? ""])
        }
    }

    /// The CSV header of `bench sweep`.
    public static let columns = ["benchmark", "points", "jobs", "wall_s", "points_per_s", "speedup_vs_1_job"]
    /// `columns` as a newline-terminated CSV line.
    public static var csvHeader: String { CSVWriter.line(columns) }

    /// The scenario every point starts from.
    public static let baseScenario = """
        {"version": 1, "name": "bench-sweep-64gpu",
         "cluster": {"preset": "dgx-h100", "nodes": 8},
         "model": {"hiddenSize": 4096, "expertFFNSize": 14336, "experts": 128, "moeLayers": 1},
         "parallelism": {"tokensPerGPU": 512},
         "routing": {"strategies": [{"name": "switch"}, {"name": "topk", "k": 2}, {"name": "sam", "k": 2}]},
         "trace": {"synthetic": {"zipf": 0.5}},
         "simulation": {"network": "analytical", "steps": 1, "seed": 1}}
        """

    /// The grid's `--set` arguments (500 points).
    public static let axes = ["trace.synthetic.zipf=0:1.8:+0.2", "cluster.preset=dgx-h100,dgx-a100",
                              "model.hiddenSize=1024,2048,4096,7168,8192",
                              "routing.capacityFactor=null,1,1.25,1.5,2"]

    /// The benchmark's plan (every point decoded and validated).
    public static func plan() throws -> SweepPlan {
        try SweepPlan(grid: SweepGrid(base: JSONParser.parse(baseScenario), axes: axes.map(SweepAxis.init(parsing:))))
    }

    /// Runs every point of `plan` on `jobs` threads and times it.
    /// - Parameters:
    ///   - oneJobSeconds: the wall time measured earlier on one job, for the speed-up (a run on
    ///     one job is its own reference).
    ///   - progress: called on the calling thread after each point with (done, total).
    /// - Complexity: the sum of the points' simulations, spread over `jobs` threads.
    public static func measure(_ plan: SweepPlan, jobs: Int, oneJobSeconds: Double? = nil,
                               progress: ((Int, Int) -> Void)? = nil) throws -> Row {
        let start = DispatchTime.now().uptimeNanoseconds
        try OrderedParallelMap.run(count: plan.points.count, jobs: jobs, work: { try plan.rows(at: $0) }) { i, _ in
            progress?(i + 1, plan.points.count)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Row(points: plan.points.count, jobs: jobs, wallSeconds: seconds,
                   oneJobSeconds: jobs == 1 ? seconds : oneJobSeconds)
    }
}
