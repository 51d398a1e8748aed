import Foundation

/// Times a whole scenario as `moesim simulate` runs it, on a given number of threads, and splits
/// the time into the phases of `SimulationProfile` (scores, routing, pricing; summed over threads,
/// so on several threads they add up to more than the wall time).
public enum ScenarioBenchmark {
    /// One measured run.
    public struct Row: Sendable {
        public let scenario: String
        public let jobs: Int
        /// Wall time of the fastest repeat.
        public let wallSeconds: Double
        /// That repeat's phases, seconds summed over threads.
        public let scoresSeconds: Double, routingSeconds: Double, pricingSeconds: Double
        /// Tokens routed per strategy: tokens per batch × layers × steps.
        public let tokenLayers: Int
        /// The wall time on one job, when measured (by this row or an earlier one).
        public let oneJobSeconds: Double?
        /// Runs behind the row (the fastest is reported).
        public let repeats: Int
        /// The process's peak resident memory so far, MiB.
        public let peakResidentMegabytes: Double

        /// Token-layers per second of wall time, per strategy.
        public var tokenLayersPerSecond: Double { Double(tokenLayers) / wallSeconds }
        /// How many times faster than on one job; nil when one job was not measured first.
        public var speedupOverOneJob: Double? { oneJobSeconds.map { $0 / wallSeconds } }

        /// The row as `bench scenario` prints it, under `ScenarioBenchmark.columns` (newline-terminated).
        public var csvLine: String {
            CSVWriter.line([scenario, String(jobs), String(format: "%.3f", wallSeconds),
                            String(format: "%.3f", scoresSeconds), String(format: "%.3f", routingSeconds),
                            String(format: "%.3f", pricingSeconds), String(tokenLayers),
                            String(format: "%.0f", tokenLayersPerSecond),
                            speedupOverOneJob.map { String(format: "%.2f", $0) } ?? "", String(repeats),
                            String(format: "%.0f", peakResidentMegabytes)])
        }
    }

    /// The CSV header of `bench scenario`.
    public static let columns = ["scenario", "jobs", "wall_s", "scores_cpu_s", "routing_cpu_s", "pricing_cpu_s",
                                 "token_layers", "token_layers_per_s", "speedup_vs_1_job", "repeats", "peak_rss_mb"]
    /// `columns` as a newline-terminated CSV line.
    public static var csvHeader: String { CSVWriter.line(columns) }

    /// Runs `scenario` `repeats` times on `jobs` threads and reports the fastest run.
    /// - Parameters:
    ///   - oneJobSeconds: the wall time measured earlier on one job, for the speed-up (a run on one job
    ///     is its own reference).
    ///   - progress: called on the calling thread after each batch with (done, total).
    /// - Complexity: `repeats` simulations of the scenario.
    public static func measure(_ scenario: Scenario, jobs: Int, repeats: Int = 1, oneJobSeconds: Double? = nil,
                               progress: ((Int, Int) -> Void)? = nil) throws -> Row {
        var best: (wall: Double, profile: SimulationProfile)?
        for _ in 0..<max(repeats, 1) {
            let profile = SimulationProfile()
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try Simulator.run(scenario, jobs: jobs, profile: profile, progress: progress)
            let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if best.map({ wall < $0.wall }) ?? true { best = (wall, profile) }
        }
        let (wall, profile) = best!
        return Row(scenario: scenario.name, jobs: jobs, wallSeconds: wall,
                   scoresSeconds: profile.seconds(in: .scores), routingSeconds: profile.seconds(in: .routing),
                   pricingSeconds: profile.seconds(in: .pricing),
                   tokenLayers: scenario.tokenLayout.tokenCount * scenario.model.moeLayers * scenario.simulation.steps,
                   oneJobSeconds: jobs == 1 ? wall : oneJobSeconds, repeats: max(repeats, 1),
                   peakResidentMegabytes: ProcessMemory.peakResidentMegabytes())
    }
}
