import Foundation
import XCTest

/// `moesim trace import` of JSONL logs, safetensors and compressed archives, and `bench import`, end to end.
final class TraceImportCommandTests: MoesimTestCase {
    private func fixture(_ name: String) -> String {
        MoesimRunner.packageRoot.appendingPathComponent("Tests/Fixtures/traces/\(name)").path
    }

    /// 3 requests × 5 tokens, each `route` line with 3 layer rows of top-2 ids, between `meta` lines.
    private func qwenStyleLog() throws -> String {
        var lines: [String] = []
        for request in 0..<3 {
            for token in 0..<5 {
                lines.append(#"{"type": "meta", "request_id": "r\#(request)"}"#)
                let rows = (0..<3).map { layer in "[\((token + layer) % 8), \((token + layer + 1) % 8)]" }
                lines.append(#"{"type": "route", "request_id": "r\#(request)", "topk_ids": [\#(rows.joined(separator: ", "))], "#
                    + #""topk_weights": [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]}"#)
            }
        }
        return try write(lines.joined(separator: "\n") + "\n", to: "qwen.jsonl")
    }

    func testJSONLImportSaysWhatItDroppedAndRefusesWhatDoesNotDivide() throws {
        let log = try qwenStyleLog()
        let run = try moesim("trace", "import", log, "-o", path("q.moetrace"), "--where", "type=route", "--gpus", "2",
                             "--drop-remainder", "--experts", "8")
        assertStatus(run, 0)
        for text in ["3 step(s) × 3 layer(s) × 4 tokens (2 GPU(s)) × 8 experts", "15 not matching --where",
                     "--drop-remainder: dropped the last 1 of 5 tokens of each of 3 step(s)"] {
            XCTAssertTrue(run.stderr.contains(text), "\(text)\n" + run.brief)
        }
        let stats = try moesim("trace", "stats", path("q.moetrace"), "--format", "csv")
        assertStatus(stats, 0)
        XCTAssertEqual(CSV.table(stats.stdout).rows.map { $0["tokens"] }, ["12", "12", "12"])

        assertFailure(try moesim("trace", "import", log, "-o", path("r.moetrace"), "--gpus", "2"), 65,
                      mentions: ["qwen.jsonl", "tokens per step", "--drop-remainder", "(got 5)"])
        try write("{\"layer\": 0, \"experts\": [1]}\n{\"layer\": 1, \"experts\": [1]}\n{\"layer\": 1, \"experts\": [2]}\n",
                  to: "ragged.jsonl")
        assertFailure(try moesim("trace", "import", path("ragged.jsonl"), "-o", path("r.moetrace"), "--strict"), 65,
                      mentions: ["ragged.jsonl", "line 3: token 1 of step 0", "no record for layer 0"])
        assertFailure(try moesim("trace", "import", log, "-o", path("r.moetrace"), "--where", "type"), 64,
                      mentions: ["--where takes FIELD=VALUE"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("r.moetrace")))
    }

    func testPadFillsEveryStepUpToAMultipleOfTheGPUsAndSaysWhatItAdds() throws {
        let log = try qwenStyleLog()
        let run = try moesim("trace", "import", log, "-o", path("p.moetrace"), "--where", "type=route", "--gpus", "4", "--pad",
                             "--experts", "8")
        assertStatus(run, 0)
        for text in ["3 step(s) × 3 layer(s) × 8 tokens (4 GPU(s))",
                     "--pad: padded each of 3 step(s) from 5 to 8 tokens (9 padded tokens in all)", "cannot mark a token absent",
                     "add 37.5% to every layer's load"] {
            XCTAssertTrue(run.stderr.contains(text), "\(text)\n" + run.brief)
        }
        let stats = try moesim("trace", "stats", path("p.moetrace"), "--format", "csv")
        assertStatus(stats, 0)
        XCTAssertEqual(CSV.table(stats.stdout).rows.map { $0["tokens"] }, ["24", "24", "24"])
        assertFailure(try moesim("trace", "import", log, "-o", path("r.moetrace"), "--gpus", "4", "--pad", "--drop-remainder"), 64,
                      mentions: ["--drop-remainder and --pad exclude each other"])
        assertFailure(try moesim("trace", "import", log, "-o", path("r.moetrace"), "--where", "type=route", "--gpus", "4"), 65,
                      mentions: ["--pad to pad every step to 8 tokens"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("r.moetrace")))
    }

    func testSafetensorsAndCompressedArchivesImportAndSimulate() throws {
        let run = try moesim("trace", "import", fixture("router_bf16_layers.safetensors"), "-o", path("st.moetrace"),
                             "--gpus", "2")
        assertStatus(run, 0)
        XCTAssertTrue(run.stderr.contains("3 tensors model.layers.*.mlp.gate (layers 1…10"), run.brief)
        assertStatus(try moesim("trace", "import", fixture("scores_compressed.npz"), "-o", path("z.moetrace"), "--gpus", "8"), 0)
        let stats = try moesim("trace", "stats", path("z.moetrace"), "--format", "csv", "--k", "2")
        assertStatus(stats, 0)
        XCTAssertEqual(CSV.table(stats.stdout).rows.count, 3)
        XCTAssertTrue(CSV.table(stats.stdout).header.contains("gini"))
    }

    func testBenchImportPrintsOneRowPerMeasurement() throws {
        let bench = try moesim("bench", "import", fixture("scores_compressed.npz"), fixture("router_bf16_layers.safetensors"))
        assertStatus(bench, 0)
        let table = CSV.table(bench.stdout)
        XCTAssertEqual(table.header, ["benchmark", "file", "bytes", "wall_s", "mb_per_s", "peak_rss_mb"])
        XCTAssertEqual(table.rows.map { $0["benchmark"] }, ["import", "inflate", "import"])
        XCTAssertEqual(table.rows[1]["bytes"], String(3 * 64 * 8 * 4 + 128), "the member's decompressed size")
        assertStatus(try moesim("bench", "import"), 64)
    }
}
