import Foundation
import XCTest

/// `moesim bench`: CSV on stdout with the documented columns, usage errors with exit 64.
final class BenchCommandTests: MoesimTestCase {
    func testNetworkBenchPrintsBothModelsAndTheyAgreeOnUniformTraffic() throws {
        let run = try moesim("bench", "network", "--gpus", "16", "--patterns", "uniform,zipf")
        assertStatus(run, 0)
        let table = CSV.table(run.stdout)
        for column in ["benchmark", "gpus", "flows", "events", "wall_s", "events_per_s", "finished"] {
            XCTAssertTrue(table.header.contains(column), "missing column \(column)\n" + run.brief)
        }
        XCTAssertEqual(table.rows.map { $0["benchmark"] ?? "" },
                       ["alltoall_uniform", "alltoall_uniform", "alltoall_zipf", "alltoall_zipf"])
        XCTAssertEqual(table.rows.map { $0["model"] ?? "" }, ["flow", "analytical", "flow", "analytical"])
        // 16 GPUs send to each of the 15 others: 240 flows, each started and finished once.
        XCTAssertEqual(table.rows[0]["flows"], "240")
        XCTAssertEqual(table.rows[0]["events"], "480")
        // Uniform: NVLink and NIC flows share no link and finish per kind at one instant, so each rate is set once.
        XCTAssertEqual(table.rows[0]["rate_changes"], "240")
        XCTAssertEqual(table.rows[0]["full_solves"], "2", "one per batch of starts (NVLink, then NIC latency)")
        // Skewed: rates change as flows finish, and a repair only changes flows it re-solves; here some of
        // them keep their rate (884 of 1,111), so a count of re-solved flows would not pass for rate changes.
        let changes = Int(table.rows[2]["rate_changes"] ?? "") ?? 0, resolved = Int(table.rows[2]["resolved_flows"] ?? "") ?? 0
        XCTAssertGreaterThan(changes, 240, run.brief)
        XCTAssertLessThan(changes, resolved, run.brief)
        // Uniform traffic on a non-blocking fabric: the flow model equals the analytical bound.
        XCTAssertEqual(table.rows[0]["simulated_us"], table.rows[1]["simulated_us"])
        // Skewed traffic: never faster than the bound.
        XCTAssertGreaterThanOrEqual(Double(table.rows[2]["simulated_us"] ?? "") ?? 0,
                                    Double(table.rows[3]["simulated_us"] ?? "") ?? .infinity)
        XCTAssertTrue(table.rows.allSatisfy { $0["finished"] == "true" })
        XCTAssertEqual(table.rows.map { $0["precision"] ?? "-" }, ["0.0001", "", "0.0001", ""], "the default, flow rows only")
    }

    /// One flow row per precision: a coarser one changes fewer rates, and neither beats the bound.
    func testNetworkBenchComparesPrecisions() throws {
        let run = try moesim("bench", "network", "--gpus", "64", "--patterns", "zipf", "--precision", "1e-9,1e-3", "--repeat", "2")
        assertStatus(run, 0)
        let table = CSV.table(run.stdout)
        XCTAssertEqual(table.rows.map { $0["model"] ?? "" }, ["flow", "flow", "analytical"])
        XCTAssertEqual(table.rows.map { $0["precision"] ?? "-" }, ["1e-09", "0.001", ""])
        XCTAssertEqual(table.rows.map { $0["repeats"] ?? "-" }, ["2", "2", "2"])
        let changes = table.rows.map { Int($0["rate_changes"] ?? "") ?? 0 }
        XCTAssertLessThan(changes[1], changes[0], run.brief)
        let simulated = table.rows.map { Double($0["simulated_us"] ?? "") ?? 0 }
        XCTAssertGreaterThanOrEqual(simulated[0], simulated[2], run.brief)
        XCTAssertGreaterThanOrEqual(simulated[1], simulated[2], run.brief)
    }

    func testRoutingBenchPrintsEveryStrategyWithItsFastestTiming() throws {
        let run = try moesim("bench", "routing", "--tokens", "2000", "--experts", "64", "--repeat", "3")
        assertStatus(run, 0)
        let table = CSV.table(run.stdout)
        for column in ["benchmark", "strategy", "k", "experts", "tokens", "wall_s", "tokens_per_s", "repeats"] {
            XCTAssertTrue(table.header.contains(column), "missing column \(column)\n" + run.brief)
        }
        XCTAssertEqual(table.rows.map { $0["strategy"] ?? "" },
                       ["switch", "switch", "top-2", "top-2", "top-8", "top-8", "hash", "hash", "top-8, <=2 nodes",
                        "top-8, <=2 nodes", "sam-2", "sam-4", "top-2, <=2 nodes", "top-8, <=4 nodes", "expert-choice-2"])
        for row in table.rows {
            XCTAssertEqual(row["tokens"], "2000")
            XCTAssertEqual(row["repeats"], "3")
            // tokens_per_s is tokens over the wall time, which is printed rounded to 0.1 ms.
            let seconds = Double(row["wall_s"] ?? "") ?? 0, rate = Double(row["tokens_per_s"] ?? "") ?? 0
            XCTAssertGreaterThan(rate, 0, run.brief)
            XCTAssertGreaterThanOrEqual(rate + 1, 2000 / (seconds + 0.00005), run.brief)
            if seconds > 0.00005 { XCTAssertLessThanOrEqual(rate - 1, 2000 / (seconds - 0.00005), run.brief) }
        }
    }

    func testNetworkBenchRejectsBadOptions() throws {
        for arguments in [["bench", "network", "--gpus", "12"], ["bench", "network", "--patterns", "skewed"],
                          ["bench", "network", "--budget", "0"], ["bench", "network", "--precision", "0"],
                          ["bench", "network", "--precision", "1e-9,0.5"], ["bench", "network", "--precision", "exact"],
                          ["bench", "network", "--repeat", "0"],
                          ["bench", "routing", "--repeat", "0"],
                          ["bench", "routing", "--experts", "48"], ["bench", "nothing"],
                          ["bench", "scenario"], ["bench", "scenario", "a.json", "b.json"],
                          ["bench", "scenario", "a.json", "--jobs", "0"]] {
            let run = try moesim(arguments)
            assertStatus(run, 64)
            XCTAssertEqual(run.stdout, "", run.brief)
        }
    }

    /// One row per job count; the phases are measured, the tokens counted, the speed-up over the one-job row.
    func testScenarioBenchSplitsTheRunIntoPhases() throws {
        let scenario = try write(ScenarioText.minimal(), to: "s.json")
        let run = try moesim("bench", "scenario", scenario, "--jobs", "1,2")
        assertStatus(run, 0)
        let table = CSV.table(run.stdout)
        XCTAssertEqual(table.rows.map { $0["jobs"] ?? "" }, ["1", "2"], run.brief)
        for row in table.rows {
            for column in ["wall_s", "scores_cpu_s", "routing_cpu_s", "pricing_cpu_s", "token_layers_per_s", "peak_rss_mb"] {
                XCTAssertNotNil(Double(row[column] ?? ""), "\(column)\n" + run.brief)
            }
        }
        XCTAssertEqual(table.rows[0]["speedup_vs_1_job"], "1.00")
        XCTAssertNotNil(Double(table.rows[1]["speedup_vs_1_job"] ?? ""), run.brief)
        let missing = try moesim("bench", "scenario", path("absent.json"))
        assertStatus(missing, 66)
    }
}
