import Foundation
import XCTest

/// `moesim sweep` and `moesim merge` end to end: grid order and columns, --jobs, shards and
/// merge, resume after a kill, and the errors.
final class SweepCommandTests: MoesimTestCase {
    private func scenario() throws -> String {
        try write(mutate(ScenarioText.minimal(name: "grid"), #""simulation":{"#, #""simulation":{"network":"analytical","#),
                  to: "grid.json")
    }

    private let grid = ["--set", "trace.synthetic.zipf=0:1:+0.5", "--set", "routing.capacityFactor=null,1,1.5"]

    func testRowsAreInGridOrderWithOneColumnPerKeyAndMatchSimulate() throws {
        let file = try scenario()
        let run = try moesim(["sweep", file] + grid + ["--jobs", "2"])
        assertStatus(run, 0)
        let table = CSV.table(run.stdout)
        XCTAssertEqual(Array(table.header.prefix(6)),
                       ["grid", "point", "points", "trace.synthetic.zipf", "routing.capacityFactor", "scenario"])
        XCTAssertEqual(table.rows.count, 9 * 3, "9 points × 3 strategies")
        XCTAssertEqual(table.rows.map { $0["point"] ?? "" }, (0..<9).flatMap { Array(repeating: String($0), count: 3) })
        XCTAssertEqual(table.rows.filter { $0["strategy"] == "switch" }.map { $0["trace.synthetic.zipf"]! + "/" + $0["routing.capacityFactor"]! },
                       ["0/null", "0/1", "0/1.5", "0.5/null", "0.5/1", "0.5/1.5", "1/null", "1/1", "1/1.5"])
        XCTAssertEqual(Set(table.rows.map { $0["grid"] ?? "" }).count, 1)
        XCTAssertEqual(table.rows.map { $0["capacity_factor"] ?? "?" }.prefix(6), ["", "", "", "1.000", "1.000", "1.000"])

        // Point 4 (zipf 0.5, cf 1) equals `simulate` on the same scenario written out by hand.
        let point = try write(mutate(mutate(String(contentsOfFile: file, encoding: .utf8), #""zipf":1.0"#, #""zipf":0.5"#),
                                     #""routing":{"#, #""routing":{"capacityFactor":1,"#), to: "point4.json")
        let simulate = CSV.table(try moesim("simulate", point, "--format", "csv").stdout)
        let summaryColumns = Array(table.header.dropFirst(5))
        XCTAssertEqual(simulate.header, summaryColumns)
        for (s, row) in simulate.rows.enumerated() {
            XCTAssertEqual(summaryColumns.map { row[$0]! }, summaryColumns.map { table.rows[12 + s][$0]! })
        }
    }

    func testJobCountsGiveByteIdenticalFiles() throws {
        let file = try scenario()
        assertStatus(try moesim(["sweep", file] + grid + ["--jobs", "1", "--out", path("one.csv")]), 0)
        assertStatus(try moesim(["sweep", file] + grid + ["--jobs", "4", "--out", path("four.csv")]), 0)
        XCTAssertEqual(try Data(contentsOf: tmp.appendingPathComponent("one.csv")),
                       try Data(contentsOf: tmp.appendingPathComponent("four.csv")))
    }

    func testShardsMergeIntoTheUnshardedFileAndMismatchedShardsAreRefused() throws {
        let file = try scenario()
        assertStatus(try moesim(["sweep", file] + grid + ["--out", path("all.csv")]), 0)
        for i in 0..<3 {
            assertStatus(try moesim(["sweep", file] + grid + ["--shard", "\(i)/3", "--out", path("shard\(i).csv")]), 0)
        }
        let merge = try moesim("merge", path("merged.csv"), path("shard2.csv"), path("shard0.csv"), path("shard1.csv"))
        assertStatus(merge, 0)
        XCTAssertEqual(try Data(contentsOf: tmp.appendingPathComponent("merged.csv")),
                       try Data(contentsOf: tmp.appendingPathComponent("all.csv")))

        // A shard of another grid (other zipf values) is refused and nothing is written.
        let other = ["--set", "trace.synthetic.zipf=0:2:+1", "--set", "routing.capacityFactor=null,1,1.5"]
        assertStatus(try moesim(["sweep", file] + other + ["--shard", "1/3", "--out", path("other1.csv")]), 0)
        assertFailure(try moesim("merge", path("bad.csv"), path("shard0.csv"), path("other1.csv"), path("shard2.csv")), 65,
                      mentions: ["different sweeps"])
        XCTAssertFalse(exists("bad.csv"))
        assertFailure(try moesim("merge", path("bad.csv"), path("shard0.csv"), path("shard1.csv")), 65,
                      mentions: ["in no shard"])
        assertFailure(try moesim("merge", path("bad.csv"), path("nope.csv")), 66, mentions: ["nope.csv"])
        XCTAssertFalse(exists("bad.csv"))
    }

    func testResumeAfterAKillGivesTheSameFile() throws {
        let file = try scenario()
        let long = ["--set", "trace.synthetic.zipf=0:2:+0.25", "--set", "simulation.seed=1:12", "--jobs", "2"]
        assertStatus(try moesim(["sweep", file] + long + ["--out", path("all.csv")]), 0)

        // Kill a run as soon as its file has some rows (wherever it is then), then resume it.
        let running = try MoesimRunner.start(["sweep", file] + long + ["--out", path("part.csv")], in: tmp)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: path("part.csv"), encoding: .utf8),
               text.split(separator: "\n").count > 10 { break }
            usleep(2_000)
        }
        running.kill()
        _ = running.wait()
        let killedRows = try String(contentsOfFile: path("part.csv"), encoding: .utf8).split(separator: "\n").count
        XCTAssertLessThan(killedRows, 1 + 108 * 3, "the kill should come before the sweep ends")
        // What a kill in the middle of a write leaves: half a line.
        let handle = try FileHandle(forWritingTo: tmp.appendingPathComponent("part.csv"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("0123abcd,5,".utf8))
        try handle.close()

        let resumed = try moesim(["sweep", file] + long + ["--out", path("part.csv"), "--resume"])
        assertStatus(resumed, 0)
        XCTAssertTrue(resumed.stderr.contains("resume: "), resumed.brief)
        XCTAssertEqual(try String(contentsOfFile: path("part.csv"), encoding: .utf8),
                       try String(contentsOfFile: path("all.csv"), encoding: .utf8))

        // Resuming with another grid is refused and leaves the file alone.
        let before = try Data(contentsOf: tmp.appendingPathComponent("part.csv"))
        assertFailure(try moesim(["sweep", file, "--set", "trace.synthetic.zipf=0:2:+0.5", "--set", "simulation.seed=1:12",
                                  "--out", path("part.csv"), "--resume"]), 65, mentions: ["part.csv", "not this sweep's grid"])
        XCTAssertEqual(try Data(contentsOf: tmp.appendingPathComponent("part.csv")), before)
    }

    func testShippedSweepResultsAreWhatTheModelGivesNow() throws {
        let root = MoesimRunner.packageRoot
        let scenario = root.appendingPathComponent("scenarios/sweep-k.json").path
        for (set, name) in [("routing.strategies[1].k+routing.strategies[2].k=1:8", "by-k"),
                            ("cluster.nodes=1:16:x2", "by-nodes")] {
            let run = try moesim("sweep", scenario, "--set", set)
            assertStatus(run, 0)
            XCTAssertEqual(run.stdout, try String(contentsOf: root.appendingPathComponent("results/sweep-k.\(name).csv"),
                                                  encoding: .utf8),
                           "results/sweep-k.\(name).csv is stale; regenerate it with: moesim sweep scenarios/sweep-k.json "
                           + "--set '\(set)' --out results/sweep-k.\(name).csv")
        }
    }

    func testBadInputFailsBeforeAnythingIsWritten() throws {
        let file = try scenario()
        let cases: [([String], Int32, [String])] = [
            (["sweep", file, "--set", "cluster.nodez=1,2"], 64, ["cluster.nodez: unknown key"]),
            (["sweep", file, "--set", "cluster.nodes=1,0"], 64, ["grid point 1 (cluster.nodes=0)", "cluster.nodes: must be"]),
            (["sweep", file, "--set", "cluster.nodes=4:1"], 64, ["range \"4:1\""]),
            (["sweep", file, "--set", "routing.strategies[5].k=1"], 64, ["routing.strategies has 3 element(s)"]),
            (["sweep", file], 64, ["at least one --set"]),
            (["sweep", file, "--set", "cluster.nodes=1", "--shard", "3/3"], 64, ["--shard"]),
            (["sweep", file, "--set", "cluster.nodes=1", "--jobs", "0"], 64, ["--jobs"]),
            (["sweep", path("missing.json"), "--set", "cluster.nodes=1"], 66, ["missing.json"]),
        ]
        for (arguments, status, mentions) in cases {
            assertFailure(try moesim(arguments + ["--out", path("out.csv")]), status, mentions: mentions)
            XCTAssertFalse(exists("out.csv"), arguments.joined(separator: " "))
        }
        assertFailure(try moesim("sweep", file, "--set", "cluster.nodes=1", "--resume"), 64, mentions: ["--resume needs --out"])
        let broken = try write(mutate(ScenarioText.minimal(), #""experts":16"#, #""experts":0"#), to: "broken.json")
        assertFailure(try moesim("sweep", broken, "--set", "cluster.nodes=1"), 65, mentions: [broken, "model.experts"])
    }
}
