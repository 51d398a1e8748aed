import Foundation
import XCTest

/// `moesim plan` end to end: the table, CSV and Pareto plot of a small space, --gpus, and the errors.
final class PlanCommandTests: MoesimTestCase {
    private func scenario() throws -> String {
        try write(ScenarioText.minimal(name: "plan", strategies: #"[{"name":"topk","k":2}]"#), to: "plan.json")
    }

    /// A small space: 4 strategies (Switch, top-2, SAM-2, top-2 on 1 node) × 3 placements × 2 micro-batch counts × 2 node counts.
    private let narrow = ["--set", "routing.capacityFactor=null", "--set", "parallelism.microbatches=1,2"]

    func testCSVIsRankedByFlowStepTimeAndThePlotHasTheThreeSeries() throws {
        let file = try scenario()
        let run = try moesim(["plan", file, "--format", "csv", "--refine", "6", "--top", "4", "--plot", "front.svg",
                              "--jobs", "2"] + narrow)
        assertStatus(run, 0)
        let table = CSV.table(run.stdout)
        XCTAssertEqual(Array(table.header.prefix(3)), ["rank", "analytical_rank", "routing.strategies"])
        XCTAssertEqual(table.rows.map { $0["rank"] ?? "" }, ["1", "2", "3", "4"])
        let times = table.rows.map { Double($0["step_time_us"] ?? "") ?? -1 }
        XCTAssertEqual(times, times.sorted(), "ranked by the flow model's step time")
        XCTAssertTrue(run.stderr.contains("plan: 48 point(s)"), run.brief)
        XCTAssertTrue(run.stderr.contains("plan: wrote front.svg"), run.brief)
        let svg = try String(contentsOfFile: path("front.svg"), encoding: .utf8)
        XCTAssertEqual(svg.components(separatedBy: "<g class=\"series\"").count - 1, 3, "two fronts and the chosen point")
        XCTAssertTrue(svg.contains("chosen (flow model)"))

        // The same plan prints the same table whatever the jobs; --plot-x drop_rate draws against the drop rate.
        let again = try moesim(["plan", file, "--format", "csv", "--refine", "6", "--top", "4", "--jobs", "1",
                                "--plot", "drops.svg", "--plot-x", "drop_rate"] + narrow)
        XCTAssertEqual(again.stdout, run.stdout)
        XCTAssertTrue(try String(contentsOfFile: path("drops.svg"), encoding: .utf8).contains("drop rate"))
    }

    func testGPUsBecomeTheNodesAxis() throws {
        let file = try scenario()
        let run = try moesim(["plan", file, "--format", "csv", "--gpus", "16", "--refine", "3"] + narrow)
        assertStatus(run, 0)
        let table = CSV.table(run.stdout)
        XCTAssertFalse(table.rows.isEmpty)
        XCTAssertEqual(Set(table.rows.map { $0["cluster.nodes"] ?? "" }), ["2"])
        XCTAssertEqual(Set(table.rows.map { $0["gpus"] ?? "" }), ["16"])
        assertFailure(try moesim("plan", file, "--gpus", "8,12"), 64, mentions: ["--gpus", "'12'", "multiple of", "8 GPUs per node"])
        assertFailure(try moesim("plan", file, "--plot-x", "gpus"), 64, mentions: ["--plot-x needs --plot"])
        assertFailure(try moesim("plan", file, "--plot-x", "nodes", "--plot", "a.svg"), 64, mentions: ["--plot-x", "nodes"])
    }

    func testNothingFitsIsExit65AndLeavesNoPlot() throws {
        let file = try scenario()
        // A capacity of 10% drops most tokens: no point is within a drop-rate limit of 0.
        let run = try moesim(["plan", file, "--set", "routing.capacityFactor=0.1", "--max-drop-rate", "0",
                              "--plot", "front.svg"] + ["--set", "parallelism.microbatches=1"])
        assertStatus(run, 65)
        XCTAssertEqual(run.stdout, "")
        // The notes say why, then one message.
        XCTAssertTrue(run.stderr.contains("0 scored under the analytical model"), run.brief)
        XCTAssertEqual(run.stderrLines.filter { $0.hasPrefix("moesim: ") }.count, 1, run.brief)
        XCTAssertTrue(run.stderr.contains("none of the plan's 24 point(s) fits"), run.brief)
        XCTAssertTrue(run.stderr.contains("raise --max-drop-rate"), run.brief)
        XCTAssertFalse(exists("front.svg"))
        try FileManager.default.createDirectory(atPath: path("dir.svg"), withIntermediateDirectories: false)
        assertStatus(try moesim("plan", file, "--plot", "dir.svg"), 73)
    }
}
