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
        public var pointsPerSecond: Double { Double(points) / wallSeconds }
    }

    /// The CSV header of `bench sweep`.
    public static let columns = ["benchmark", "points", "jobs", "wall_s", "points_per_s", "speedup_vs_1_job"]

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
    /// - Parameter progress: called on the calling thread after each point with (done, total).
    /// - Complexity: the sum of the points' simulations, spread over `jobs` threads.
    public static func measure(_ plan: SweepPlan, jobs: Int, progress: ((Int, Int) -> Void)? = nil) throws -> Row {
        let start = DispatchTime.now().uptimeNanoseconds
        try OrderedParallelMap.run(count: plan.points.count, jobs: jobs, work: { try plan.rows(at: $0) }) { i, _ in
            progress?(i + 1, plan.points.count)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Row(points: plan.points.count, jobs: jobs, wallSeconds: seconds)
    }
}
