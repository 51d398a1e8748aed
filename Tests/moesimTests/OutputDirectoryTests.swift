import Foundation
import XCTest

/// `--out DIR`: DIR/<scenario-name>.csv written atomically, DIR created, and a failed run
/// leaving earlier results byte-identical.
final class OutputDirectoryTests: MoesimTestCase {
    private func data(_ relative: String) -> Data? { FileManager.default.contents(atPath: path(relative)) }

    func testOutCreatesDirectoryAndWritesSummaryCSV() throws {
        let scenario = try write(ScenarioText.minimal(name: "tiny"), to: "tiny.json")
        let run = try moesim("simulate", scenario, "--out", path("results/nested/deeper"))
        assertStatus(run, 0)
        XCTAssertEqual(run.stderr, "", run.brief)
        XCTAssertTrue(run.stdout.hasPrefix("scenario tiny:"), "stdout still gets the table\n" + run.brief)
        XCTAssertEqual(contents(ofDirectory: "results/nested/deeper"), ["tiny.csv", "tiny.per_expert.csv", "tiny.per_gpu.csv"],
                       "exactly the result files, no temporary files left behind")
        let perGPU = CSV.table(String(decoding: data("results/nested/deeper/tiny.per_gpu.csv") ?? Data(), as: UTF8.self))
        XCTAssertEqual(perGPU.header, ["scenario", "strategy_index", "strategy", "k", "layer", "gpu", "node", "tokens_in",
                                       "experts_run", "bytes_sent", "bytes_received", "compute_us", "idle_us", "seed"])
        XCTAssertEqual(perGPU.rows.count, 3 * 8, "one row per (strategy, layer, GPU)")
        let perExpert = CSV.table(String(decoding: data("results/nested/deeper/tiny.per_expert.csv") ?? Data(), as: UTF8.self))
        XCTAssertEqual(perExpert.header, ["scenario", "strategy_index", "strategy", "k", "layer", "expert", "replica", "gpu",
                                          "tokens", "dropped", "seed"])
        XCTAssertEqual(perExpert.rows.count, 3 * 16, "one row per (strategy, layer, expert replica)")

        let csv = try moesim("simulate", scenario, "--format", "csv")
        assertStatus(csv, 0)
        XCTAssertEqual(data("results/nested/deeper/tiny.csv"), csv.stdoutData,
                       "DIR/<name>.csv holds the same summary CSV that --format csv prints")
    }

    func testOutWithCSVFormatAndRelativeDirectory() throws {
        try write(ScenarioText.minimal(name: "rel"), to: "rel.json")
        // A relative DIR (with a trailing slash) is resolved against the working directory.
        let run = try moesim("simulate", "rel.json", "--format", "csv", "--out", "results/")
        assertStatus(run, 0)
        XCTAssertEqual(data("results/rel.csv"), run.stdoutData)
    }

    func testOutWritesOneFilePerScenario() throws {
        let a = try write(ScenarioText.minimal(name: "alpha"), to: "a.json")
        let b = try write(ScenarioText.minimal(name: "beta", strategies: #"[{"name":"switch"}]"#), to: "b.json")
        let run = try moesim("simulate", a, b, "--format", "csv", "--out", path("out"))
        assertStatus(run, 0)
        XCTAssertEqual(contents(ofDirectory: "out"), ["alpha.csv", "alpha.per_expert.csv", "alpha.per_gpu.csv",
                                                      "beta.csv", "beta.per_expert.csv", "beta.per_gpu.csv"])
        let alpha = CSV.table(String(decoding: data("out/alpha.csv") ?? Data(), as: UTF8.self))
        let beta = CSV.table(String(decoding: data("out/beta.csv") ?? Data(), as: UTF8.self))
        XCTAssertEqual(alpha.header.first, "scenario")
        XCTAssertEqual(beta.header.first, "scenario")
        XCTAssertEqual(alpha.rows.map { $0["scenario"] }, ["alpha", "alpha", "alpha"])
        XCTAssertEqual(beta.rows.map { $0["strategy"] }, ["switch"])
        // Together they are exactly what stdout got, with the header once.
        let stdout = CSV.parse(run.stdout)
        XCTAssertEqual(stdout.count, 1 + 3 + 1)
    }

    func testSuccessfulRunReplacesOldResult() throws {
        let scenario = try write(ScenarioText.minimal(name: "t"), to: "t.json")
        assertStatus(try moesim("simulate", scenario, "--out", path("out"), "--seed", "1"), 0)
        let old = data("out/t.csv")
        let second = try moesim("simulate", scenario, "--out", path("out"), "--seed", "2")
        assertStatus(second, 0)
        let new = data("out/t.csv")
        XCTAssertNotEqual(old, new)
        let rows = CSV.table(String(decoding: new ?? Data(), as: UTF8.self)).rows
        XCTAssertEqual(rows.map { $0["seed"] }, ["2", "2", "2"])
        XCTAssertEqual(contents(ofDirectory: "out"), ["t.csv", "t.per_expert.csv", "t.per_gpu.csv"])
    }

    func testFailedRunLeavesOldResultsIntact() throws {
        let good = try write(ScenarioText.minimal(name: "t"), to: "t.json")
        let other = try write(ScenarioText.minimal(name: "other"), to: "other.json")
        assertStatus(try moesim("simulate", good, "--out", path("out"), "--seed", "1"), 0)
        let old = try XCTUnwrap(data("out/t.csv"))
        let listing = contents(ofDirectory: "out")

        // Bad data in a later file (65): the good scenarios before it, with another seed, must not be rewritten.
        let bad = try write(try mutate(ScenarioText.minimal(name: "bad"), #""experts":16"#, #""experts":12"#),
                            to: "bad.json")
        let failed = try moesim("simulate", good, other, bad, "--out", path("out"), "--seed", "9")
        assertFailure(failed, 65, mentions: [bad, "model.experts"])
        XCTAssertEqual(data("out/t.csv"), old, "old result must stay byte-identical")
        XCTAssertEqual(contents(ofDirectory: "out"), listing, "nothing new written")

        // A missing later file (66).
        let missing = try moesim("simulate", good, path("missing.json"), "--out", path("out"), "--seed", "9")
        assertFailure(missing, 66, mentions: [path("missing.json")])
        XCTAssertEqual(data("out/t.csv"), old)
        XCTAssertEqual(contents(ofDirectory: "out"), listing)

        // A usage error (64).
        let usage = try moesim("simulate", good, "--out", path("out"), "--seed", "nine")
        assertFailure(usage, 64, mentions: ["--seed"])
        XCTAssertEqual(data("out/t.csv"), old)

        // Malformed JSON in the scenario itself, the same name: still the old file.
        try write(String(ScenarioText.minimal(name: "t").dropLast()), to: "t.json")
        let malformed = try moesim("simulate", good, "--out", path("out"))
        assertFailure(malformed, 65, mentions: [good])
        XCTAssertEqual(data("out/t.csv"), old)
        XCTAssertEqual(contents(ofDirectory: "out"), listing)
    }

    /// Two scenarios with the same name would write the same file: refused, nothing written.
    func testDuplicateScenarioNamesWithOutAreRefused() throws {
        let a = try write(ScenarioText.minimal(name: "same"), to: "a.json")
        let b = try write(ScenarioText.minimal(name: "same", seed: 2), to: "b.json")
        let run = try moesim("simulate", a, b, "--out", path("out"))
        XCTAssertNotEqual(run.status, 0, run.brief)
        assertFailure(run, run.status, mentions: [a, b, "same"])
        XCTAssertFalse(exists("out"))
    }

    /// When an output cannot be written (exit 73), the help promises "on any error nothing is written":
    /// the other scenarios' files must not appear either.
    func testUnwritableOutputWritesNothing() throws {
        let a = try write(ScenarioText.minimal(name: "a"), to: "a.json")
        let b = try write(ScenarioText.minimal(name: "b"), to: "b.json")
        // out/b.csv is a directory, so b's result cannot be written.
        try FileManager.default.createDirectory(atPath: path("out/b.csv"), withIntermediateDirectories: true)
        let run = try moesim("simulate", a, b, "--out", path("out"))
        assertFailure(run, 73, mentions: ["b.csv"])
        XCTAssertFalse(exists("out/a.csv"), "a.csv written although the run failed with exit 73\n" + run.brief)
    }

    func testOutIsAFileGivesCannotWrite() throws {
        let scenario = try write(ScenarioText.minimal(name: "t"), to: "t.json")
        try write("not a directory", to: "taken")
        let run = try moesim("simulate", scenario, "--out", path("taken"))
        assertFailure(run, 73, mentions: [path("taken")])
        XCTAssertEqual(FileManager.default.contents(atPath: path("taken")), Data("not a directory".utf8))
    }
}
