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
        // Uniform traffic on a non-blocking fabric: the flow model equals the analytical bound.
        XCTAssertEqual(table.rows[0]["simulated_us"], table.rows[1]["simulated_us"])
        // Skewed traffic: never faster than the bound.
        XCTAssertGreaterThanOrEqual(Double(table.rows[2]["simulated_us"] ?? "") ?? 0,
                                    Double(table.rows[3]["simulated_us"] ?? "") ?? .infinity)
        XCTAssertTrue(table.rows.allSatisfy { $0["finished"] == "true" })
    }

    func testNetworkBenchRejectsBadOptions() throws {
        for arguments in [["bench", "network", "--gpus", "12"], ["bench", "network", "--patterns", "skewed"],
                          ["bench", "network", "--budget", "0"], ["bench", "nothing"]] {
            let run = try moesim(arguments)
            assertStatus(run, 64)
            XCTAssertEqual(run.stdout, "", run.brief)
        }
    }
}
