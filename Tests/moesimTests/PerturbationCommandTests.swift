import Foundation
import XCTest

/// `perturbations` through the built binary: a perturbation of a GPU, link, node or switch that does not
/// exist exits 65 naming it; a perturbed scenario's output is byte-identical run after run and sweepable.
final class PerturbationCommandTests: MoesimTestCase {
    /// The minimal 8-GPU scenario with `perturbations` added.
    private func perturbed(_ perturbations: String, cluster: String = #""preset":"dgx-h100","nodes":1"#) throws -> String {
        let base = ScenarioText.minimal()
        let withCluster = try mutate(base, #""preset":"dgx-h100","nodes":1"#, cluster)
        return try mutate(withCluster, #""simulation":"#, #""perturbations":\#(perturbations),"simulation":"#)
    }

    func testAPerturbationOfSomethingThatDoesNotExistExits65NamingIt() throws {
        let cases: [(String, String, [String])] = [
            (#"{"slowGPUs":{"gpus":[2,8],"factor":0.5}}"#, #""preset":"dgx-h100","nodes":1"#,
             ["perturbations.slowGPUs.gpus[1]", "GPU 8 does not exist", "8 GPUs"]),
            (#"{"slowGPUs":{"count":9,"factor":0.5}}"#, #""preset":"dgx-h100","nodes":1"#,
             ["perturbations.slowGPUs.count", "[1, 8]", "got 9"]),
            (#"{"degradedLinks":[{"kind":"nic","gpu":-1,"factor":0.5}]}"#, #""preset":"dgx-h100","nodes":1"#,
             ["perturbations.degradedLinks[0].gpu", "GPU -1 does not exist"]),
            (#"{"degradedLinks":[{"kind":"nvlink","gpu":0,"factor":0.5},{"kind":"node-nics","node":1,"factor":0.5}]}"#,
             #""preset":"dgx-h100","nodes":1"#, ["perturbations.degradedLinks[1].node", "node 1 does not exist", "1 node"]),
            (#"{"degradedLinks":[{"kind":"fabric-uplink","switch":0,"factor":0.5}]}"#, #""preset":"dgx-h100","nodes":1"#,
             ["perturbations.degradedLinks[0].kind", "non-blocking fabric has no switch uplinks"]),
            (#"{"degradedLinks":[{"kind":"fabric-uplink","switch":2,"factor":0.5}]}"#,
             #""preset":"dgx-h100","nodes":4,"gpusPerNode":2,"nicsPerNode":2,"fabric":{"kind":"fat-tree","nodesPerLeaf":2}"#,
             ["perturbations.degradedLinks[0].switch", "fabric switch 2 does not exist", "2 switch(es)"]),
            (#"{"degradedLinks":[{"kind":"nvlink","gpu":0,"factor":0.5}]}"#, #""preset":"pcie-a100","nodes":1"#,
             ["perturbations.degradedLinks[0].kind", "no NVLink"]),
            (#"{"degradedLinks":[{"kind":"nic","gpu":0}]}"#, #""preset":"dgx-h100","nodes":1"#,
             ["perturbations.degradedLinks[0].factor", "missing"]),
            (#"{"degradedLinks":[{"kind":"nic","gpu":0,"factor":0}]}"#, #""preset":"dgx-h100","nodes":1"#,
             ["perturbations.degradedLinks[0].factor", "[0.01, 1]", "got 0"]),
            (#"{"degradedLinks":[{"kind":"pcie","gpu":0,"factor":0.5}]}"#, #""preset":"dgx-h100","nodes":1"#,
             ["perturbations.degradedLinks[0].kind", "unknown link kind \"pcie\"", "\"fabric-uplink\""]),
            (#"{"degradedLinks":[{"kind":"nic","node":0,"factor":0.5}]}"#, #""preset":"dgx-h100","nodes":1"#,
             ["perturbations.degradedLinks[0].gpu", "missing"]),
            (#"{"slowGPUs":{"gpus":[1],"count":1,"factor":0.5}}"#, #""preset":"dgx-h100","nodes":1"#,
             ["perturbations.slowGPUs.count", "not both"]),
            (#"{"slowGPU":{"gpus":[1],"factor":0.5}}"#, #""preset":"dgx-h100","nodes":1"#,
             ["perturbations.slowGPU", "unknown key", "slowGPUs, degradedLinks"]),
            (#"{"failedGPUs":[0,12]}"#, #""preset":"dgx-h100","nodes":1"#,
             ["perturbations.failedGPUs[1]", "GPU 12 does not exist"]),
            (#"{"failedNodes":[2]}"#, #""preset":"dgx-h100","nodes":2,"gpusPerNode":4,"nicsPerNode":4"#,
             ["perturbations.failedNodes[0]", "node 2 does not exist", "2 node(s)"]),
            (#"{"failedGPUs":[0],"onFailure":"ignore"}"#, #""preset":"dgx-h100","nodes":1"#,
             ["perturbations.onFailure", "\"replace\", \"drop\"", "ignore"]),
        ]
        for (index, (perturbations, cluster, mentions)) in cases.enumerated() {
            let file = try write(try perturbed(perturbations, cluster: cluster), to: "bad\(index).json")
            assertFailure(try moesim("simulate", file), 65, mentions: [file] + mentions)
        }
    }

    func testAPerturbedScenarioGivesByteIdenticalOutputAndNamesThePerturbation() throws {
        let text = try perturbed(#"{"slowGPUs":{"count":2,"factor":0.5},"#
            + #""degradedLinks":[{"kind":"nvlink","gpu":3,"factor":0.25}]}"#)
        let file = try write(text, to: "p.json")
        let csv = try moesim("simulate", file, "--format", "csv")
        assertStatus(csv, 0)
        XCTAssertEqual(try moesim("simulate", file, "--format", "csv", "--jobs", "2").stdout, csv.stdout)
        XCTAssertEqual(try moesim("simulate", file, "--format", "csv").stdout, csv.stdout)
        let table = try moesim("simulate", file)
        assertStatus(table, 0)
        XCTAssertTrue(table.stdout.contains("\nperturbations: GPUs "), table.brief)
        XCTAssertTrue(table.stdout.contains("(drawn with the seed) at 0.5x compute; NVLink of GPU 3 at 0.25x bandwidth\n"),
                      table.brief)
        XCTAssertTrue(table.stdout.contains("vs_healthy"), table.brief)
        let (header, rows) = CSV.table(csv.stdout)
        XCTAssertEqual(header.suffix(5), ["perturbations", "slowdown_vs_healthy", "tokens_rerouted", "experts_replaced",
                                          "failure_dropped_tokens"])
        for row in rows {
            let slowdown = try XCTUnwrap(Double(row["slowdown_vs_healthy"] ?? ""))
            XCTAssertGreaterThan(slowdown, 1, "half-speed GPUs and a quarter NVLink port slow every strategy")
        }
    }

    func testAFailedGPUUnderDropRunsToTheEndAndCountsItsOrphansTokens() throws {
        // 16 experts on 8 GPUs, 2 each: failing GPU 5 orphans experts 10 and 11.
        let file = try write(try perturbed(#"{"failedGPUs":[5],"onFailure":"drop"}"#), to: "drop.json")
        let run = try moesim("simulate", file, "--format", "csv")
        assertStatus(run, 0)
        let (_, rows) = CSV.table(run.stdout)
        XCTAssertEqual(rows.count, 3)
        for row in rows {
            let orphaned = try XCTUnwrap(Int(row["failure_dropped_tokens"] ?? ""))
            let dropped = try XCTUnwrap(Int(row["dropped_tokens"] ?? ""))
            XCTAssertGreaterThan(orphaned, 0, "\(row)")
            XCTAssertEqual(dropped, orphaned, "no capacity limit: every drop is an orphan's")
            XCTAssertEqual(row["experts_replaced"], "0")
        }
    }

    func testEveryPerturbationFieldIsSweepable() throws {
        let file = try write(try perturbed(#"{"slowGPUs":{"gpus":[0],"factor":0.5},"#
            + #""degradedLinks":[{"kind":"nic","gpu":0,"factor":0.5}],"failedGPUs":[7]}"#), to: "s.json")
        let run = try moesim("sweep", file, "--set", "perturbations.slowGPUs.factor=0.25,1",
                             "--set", "perturbations.degradedLinks[0].gpu=1,2", "--set", "perturbations.onFailure=replace,drop")
        assertStatus(run, 0)
        let (header, rows) = CSV.table(run.stdout)
        XCTAssertEqual(header.suffix(5), ["perturbations", "slowdown_vs_healthy", "tokens_rerouted", "experts_replaced",
                                          "failure_dropped_tokens"])
        XCTAssertEqual(rows.count, 8 * 3)
        XCTAssertEqual(rows.first?["perturbations"],
                       "GPU 0 at 0.25x compute; NIC path of GPU 1 at 0.5x bandwidth; GPU 7 failed; orphaned experts: replace")
        XCTAssertEqual(rows.last?["perturbations"],
                       "GPU 0 at 1x compute; NIC path of GPU 2 at 0.5x bandwidth; GPU 7 failed; orphaned experts: drop")
        XCTAssertEqual(rows.first?["experts_replaced"], "2")
        XCTAssertEqual(rows.last?["experts_replaced"], "0")
    }
}
