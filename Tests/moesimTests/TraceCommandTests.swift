import Foundation
import XCTest

/// `moesim trace generate|stats|convert|import`, scenarios with trace.file and `bench trace`, end to end.
final class TraceCommandTests: MoesimTestCase {
    private func fixture(_ name: String) -> String {
        MoesimRunner.packageRoot.appendingPathComponent("Tests/Fixtures/traces/\(name)").path
    }

    private func data(_ relative: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path(relative))) }

    func testGenerateStatsAndConvertRoundTrip() throws {
        let generate = try moesim("trace", "generate", "--experts", "16", "--layers", "2", "--tokens", "64", "--steps", "3",
                                  "--gpus", "8", "--zipf", "1.2", "--seed", "4", "-o", path("z.moetrace"))
        assertStatus(generate, 0)
        XCTAssertTrue(generate.stderr.contains("written to"), generate.brief)
        let again = try moesim("trace", "generate", "--experts", "16", "--layers", "2", "--tokens", "64", "--steps", "3",
                               "--gpus", "8", "--zipf", "1.2", "--seed", "4", "-o", path("z2.moetrace"))
        assertStatus(again, 0)
        XCTAssertEqual(try data("z.moetrace"), try data("z2.moetrace"), "same seed, same bytes")

        assertStatus(try moesim("trace", "convert", path("z.moetrace"), "-o", path("z.csv")), 0)
        assertStatus(try moesim("trace", "convert", path("z.csv"), "-o", path("back.moetrace")), 0)
        XCTAssertEqual(try data("back.moetrace"), try data("z.moetrace"), "binary → CSV → binary is byte-identical")

        let stats = try moesim("trace", "stats", path("z.moetrace"), "--format", "csv", "--k", "2")
        assertStatus(stats, 0)
        let table = CSV.table(stats.stdout)
        for column in ["layer", "experts", "tokens", "max_load", "mean_load", "max_over_mean", "cv", "gini", "entropy_bits"] {
            XCTAssertTrue(table.header.contains(column), "column \(column)\n" + stats.brief)
        }
        XCTAssertEqual(table.rows.map { $0["layer"] }, ["0", "1"])
        for row in table.rows {
            // 64 tokens × 3 steps × top-2 = 384 assignments over 16 experts: mean 24.
            XCTAssertEqual(row["assignments"], "384")
            XCTAssertEqual(row["mean_load"], "24.000")
            let ratio = try XCTUnwrap(Double(row["max_over_mean"] ?? ""))
            XCTAssertEqual(ratio, (Double(row["max_load"] ?? "") ?? 0) / 24, accuracy: 1e-4)
            XCTAssertGreaterThan(ratio, 1.5, "Zipf 1.2 is skewed")
            XCTAssertLessThan(Double(row["entropy_bits"] ?? "") ?? 9, 4, "below log2(16) = 4 bits")
        }
        XCTAssertEqual(try moesim("trace", "stats", path("z.csv"), "--format", "csv", "--k", "2").stdout, stats.stdout,
                       "stats of the CSV form are the same")
        let json = try moesim("trace", "stats", path("z.moetrace"), "--format", "json")
        let objects = try XCTUnwrap(JSONSerialization.jsonObject(with: json.stdoutData) as? [[String: Any]], json.brief)
        XCTAssertEqual((objects[0]["loads"] as? [Int])?.reduce(0, +), 192, "top-1 loads sum to the tokens")
        let human = try moesim("trace", "stats", path("z.moetrace"))
        assertStatus(human, 0)
        XCTAssertTrue(human.stdout.contains("experts by load / mean load"), human.brief)
    }

    func testImportNumPyArraysAndReplayThemInAScenario() throws {
        let imported = try moesim("trace", "import", fixture("scores_f32_tokens_experts.npy"), "-o", path("s.moetrace"),
                                  "--gpus", "2")
        assertStatus(imported, 0)
        let csv = path("s.csv")
        assertStatus(try moesim("trace", "convert", path("s.moetrace"), "-o", csv), 0)
        let rows = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").dropFirst(2)
        XCTAssertEqual(rows.count, 6)
        XCTAssertEqual(rows.first, "0,0,0,0,-2.0,-1.75,-1.5,-1.25")
        XCTAssertEqual(rows.last, "0,0,5,1,-1.25,-1.0,-0.75,-0.5", "token 5 of 6 comes from GPU 1; values i % 17 · 0.25 − 2")

        assertStatus(try moesim("trace", "import", fixture("choices_layers_tokens_k.npz"), "-o", path("c.moetrace"), "--gpus", "2",
                                "--experts", "8"), 0)
        let stats = try moesim("trace", "stats", path("c.moetrace"), "--format", "csv")
        XCTAssertEqual(CSV.table(stats.stdout).rows.map { $0["k"] }, ["2", "2"], stats.brief)

        // A scenario replaying a generated trace gives exactly the rows of the same synthetic scenario.
        assertStatus(try moesim("trace", "generate", "--experts", "16", "--tokens", "512", "--gpus", "8", "--zipf", "1.0",
                                "--seed", "1", "-o", path("traces/t.moetrace")), 0)
        let synthetic = try write(ScenarioText.minimal(), to: "synthetic.json")
        let replay = try write(try mutate(ScenarioText.minimal(), #""trace":{"synthetic":{"zipf":1.0}}"#,
                                          #""trace":{"file":"traces/t.moetrace"}"#), to: "replay.json")
        let a = try moesim("simulate", synthetic, "--format", "csv"), b = try moesim("simulate", replay, "--format", "csv")
        assertStatus(b, 0)
        XCTAssertEqual(a.stdout, b.stdout, b.brief)
        XCTAssertTrue(try moesim("simulate", replay).stdout.contains("trace "), "the table names the trace")
    }

    func testBadTracesExitWithOneMessageAndWriteNothing() throws {
        assertStatus(try moesim("trace", "generate", "--experts", "16", "--tokens", "512", "--gpus", "8", "-o", path("g.moetrace")), 0)
        var bytes = try data("g.moetrace")
        bytes[200] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: path("corrupt.moetrace")))
        try Data("not a trace at all, but long enough for a header.........................".utf8)
            .write(to: URL(fileURLWithPath: path("text.moetrace")))

        assertFailure(try moesim("trace", "convert", path("corrupt.moetrace"), "-o", path("out.csv")), 65,
                      mentions: ["corrupt.moetrace", "byte 84", "CRC-32 mismatch in the chunk at byte 64"])
        assertFailure(try moesim("trace", "stats", path("text.moetrace")), 65, mentions: ["text.moetrace", "byte 0", "MOETRACE"])
        assertFailure(try moesim("trace", "stats", path("missing.moetrace")), 66, mentions: ["missing.moetrace"])
        assertFailure(try moesim("trace", "import", fixture("nan_score.npy"), "-o", path("out.moetrace")), 65,
                      mentions: ["nan_score.npy", "byte 164", "nan"])
        assertFailure(try moesim("trace", "import", fixture("malformed_header.npy"), "-o", path("out.moetrace")), 65,
                      mentions: ["malformed_header.npy", "byte 10"])
        try write("step,layer,token,src_gpu,score_0,score_1\n0,0,0,0,1\n", to: "short.csv")
        assertFailure(try moesim("trace", "convert", path("short.csv"), "-o", path("out.moetrace")), 65,
                      mentions: ["short.csv", "row 2", "number of fields"])
        XCTAssertEqual(contents(ofDirectory: "").filter { $0.hasPrefix("out") || $0.hasPrefix(".out") }, [], "nothing written")

        let scenario = try mutate(ScenarioText.minimal(), #""trace":{"synthetic":{"zipf":1.0}}"#, #""trace":{"file":"corrupt.moetrace"}"#)
        let broken = try write(scenario, to: "broken.json")
        let run = try moesim("simulate", broken, "--out", path("results"))
        assertFailure(run, 65, mentions: ["corrupt.moetrace", "CRC-32 mismatch"])
        XCTAssertFalse(exists("results"), "nothing written on failure")
        let mismatch = try write(try mutate(scenario, #""experts":16"#, #""experts":8"#), to: "mismatch.json")
        assertFailure(try moesim("simulate", mismatch), 65, mentions: ["trace.file", "16 experts", "model.experts = 8"])
        let missing = try write(scenario.replacingOccurrences(of: "corrupt.moetrace", with: "nope.moetrace"), to: "missing.json")
        assertFailure(try moesim("simulate", missing), 66, mentions: ["missing.json", "trace.file", "nope.moetrace"])

        for arguments in [["trace"], ["trace", "frobnicate"], ["trace", "generate", "--experts", "8", "-o", path("x.moetrace")],
                          ["trace", "generate", "--experts", "8", "--tokens", "6", "--gpus", "4", "-o", path("x.moetrace")],
                          ["trace", "convert", path("g.moetrace"), "-o", path("x.txt")]] {
            let usage = try moesim(arguments)
            assertStatus(usage, 64)
            XCTAssertEqual(usage.stdout, "", usage.brief)
        }
    }

    func testHelpAndBenchTrace() throws {
        let help = try moesim("help", "trace")
        assertStatus(help, 0)
        XCTAssertTrue(help.stdout.contains("EXAMPLES:") && help.stdout.contains("moesim trace import"), help.brief)
        assertStatus(try moesim("trace", "generate", "--help"), 0)
        XCTAssertTrue(try moesim("--help").stdout.contains("trace"))

        let bench = try moesim("bench", "trace", "--bytes", "2097152")
        assertStatus(bench, 0)
        let table = CSV.table(bench.stdout)
        XCTAssertEqual(table.header, ["benchmark", "bytes", "wall_s", "mb_per_s", "peak_rss_mb"])
        XCTAssertEqual(table.rows.map { $0["benchmark"] ?? "" },
                       ["scores_generate", "trace_write", "trace_read", "trace_read_route_switch", "trace_simulate"])
        let fileRows = table.rows.dropFirst()
        XCTAssertEqual(Set(fileRows.map { $0["bytes"] ?? "" }).count, 1, "every trace phase covers the same file")
        let fileBytes = Int(fileRows.first?["bytes"] ?? "") ?? 0
        XCTAssertGreaterThanOrEqual(fileBytes, 2_000_000)
        // Generation makes whole batches of 4096 tokens x 256 f32 logits (4 MiB), at least the file's size.
        let generated = Int(table.rows[0]["bytes"] ?? "") ?? 0
        XCTAssertTrue(generated >= fileBytes && generated % (4_096 * 256 * 4) == 0, "generated \(generated) bytes")
        assertStatus(try moesim("bench", "trace", "--bytes", "12"), 64)
    }
}
