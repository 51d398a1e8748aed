import Foundation
import XCTest

/// The columns the summary CSV (and JSON) promise, in the order they must appear relative to each other.
let promisedColumns = [
    "scenario", "strategy", "k", "nodes", "gpus", "experts", "tokens_per_gpu", "step_time_us", "gate_us",
    "dispatch_us", "expert_us", "combine_us", "gpu_load_max_over_mean", "expert_load_max_over_mean",
    "dispatch_bytes", "combine_bytes", "intra_node_bytes", "inter_node_bytes", "dropped_tokens", "drop_rate", "seed",
]

/// Columns holding numbers (every row must parse them).
let numericColumns = [
    "k", "nodes", "gpus", "experts", "tokens_per_gpu", "step_time_us", "gate_us", "dispatch_us", "expert_us",
    "combine_us", "gpu_load_max_over_mean", "expert_load_max_over_mean", "dispatch_bytes", "combine_bytes",
    "intra_node_bytes", "inter_node_bytes", "dropped_tokens", "drop_rate", "seed",
]

/// `moesim simulate` output formats: table, csv, json; several files; seeds; determinism.
final class SimulateOutputTests: MoesimTestCase {
    private func csvRun(_ arguments: String..., file: StaticString = #filePath, line: UInt = #line) throws
        -> (run: MoesimRun, header: [String], rows: [[String: String]]) {
        let run = try moesim(["simulate"] + arguments + ["--format", "csv"])
        assertStatus(run, 0, file: file, line: line)
        let table = CSV.table(run.stdout)
        return (run, table.header, table.rows)
    }

    private func jsonRows(_ run: MoesimRun, file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
        let object = try JSONSerialization.jsonObject(with: run.stdoutData)
        guard let rows = object as? [[String: Any]] else {
            XCTFail("json output is not an array of objects\n" + run.brief, file: file, line: line)
            return []
        }
        return rows
    }

    func testDefaultIsTable() throws {
        let scenario = try write(ScenarioText.minimal(), to: "t.json")
        let run = try moesim("simulate", scenario)
        assertStatus(run, 0)
        XCTAssertEqual(run.stderr, "", run.brief)
        XCTAssertTrue(run.stdout.hasPrefix("scenario t:"), run.brief)
        XCTAssertTrue(run.stdout.contains("seed 1"), run.brief)
        for label in ["strategy", "switch", "top-2", "sam-2", "step_us"] {
            XCTAssertTrue(run.stdout.contains(label), "table should show \(label)\n" + run.brief)
        }
        XCTAssertFalse(run.stdout.contains("scenario,strategy"), "table, not CSV\n" + run.brief)
        let explicit = try moesim("simulate", scenario, "--format", "table")
        assertStatus(explicit, 0)
        XCTAssertEqual(explicit.stdoutData, run.stdoutData)
    }

    func testCSVShape() throws {
        let scenario = try write(ScenarioText.minimal(), to: "t.json")
        let (run, header, rows) = try csvRun(scenario)
        XCTAssertEqual(run.stderr, "", run.brief)
        XCTAssertTrue(run.stdout.hasPrefix("scenario,strategy,"), "header first\n" + run.brief)
        XCTAssertTrue(run.stdout.hasSuffix("\n"), run.brief)
        XCTAssertEqual(Set(header).count, header.count, "no duplicate columns: \(header)")
        let positions = promisedColumns.map { header.firstIndex(of: $0) }
        for (column, position) in zip(promisedColumns, positions) {
            XCTAssertNotNil(position, "column \(column) missing from \(header)")
        }
        let found = positions.compactMap { $0 }
        XCTAssertEqual(found, found.sorted(), "promised columns in the promised order: \(header)")

        let lines = CSV.parse(run.stdout)
        XCTAssertEqual(lines.count, 4, "header + one row per strategy\n" + run.brief)
        for fields in lines { XCTAssertEqual(fields.count, header.count, "ragged row \(fields)") }
        XCTAssertEqual(rows.map { $0["strategy"] }, ["switch", "topk", "sam"])
        XCTAssertEqual(rows.map { $0["k"] }, ["1", "2", "2"])
        for row in rows {
            XCTAssertEqual(row["scenario"], "t")
            XCTAssertEqual(row["nodes"], "1")
            XCTAssertEqual(row["gpus"], "8")
            XCTAssertEqual(row["experts"], "16")
            XCTAssertEqual(row["tokens_per_gpu"], "64")
            XCTAssertEqual(row["seed"], "1")
            XCTAssertEqual(row["inter_node_bytes"], "0", "one node: nothing crosses nodes")
            for column in numericColumns {
                guard let value = row[column].flatMap(Double.init) else {
                    XCTFail("\(column) = \(row[column] ?? "nil") is not a number in \(row)"); continue
                }
                XCTAssertTrue(value.isFinite && value >= 0, "\(column) = \(value)")
            }
            let step = Double(row["step_time_us"]!)!
            XCTAssertGreaterThan(step, 0)
            let parts = ["gate_us", "dispatch_us", "expert_us", "combine_us"].map { Double(row[$0]!)! }
            XCTAssertLessThanOrEqual(parts.reduce(0, +), step * 1.0001 + 0.01,
                                     "phases cannot add up to more than the step: \(row)")
            XCTAssertGreaterThanOrEqual(Double(row["gpu_load_max_over_mean"]!)!, 1)
            XCTAssertGreaterThanOrEqual(Double(row["expert_load_max_over_mean"]!)!, 1)
        }
    }

    func testInlineFlagValueForm() throws {
        let scenario = try write(ScenarioText.minimal(), to: "t.json")
        let spaced = try moesim("simulate", scenario, "--format", "csv", "--seed", "5")
        let inline = try moesim("simulate", "--format=csv", "--seed=5", scenario)
        assertStatus(spaced, 0)
        assertStatus(inline, 0)
        XCTAssertEqual(spaced.stdoutData, inline.stdoutData)
    }

    func testJSONShapeMatchesCSV() throws {
        let scenario = try write(ScenarioText.minimal(), to: "t.json")
        let (_, header, csvRows) = try csvRun(scenario)
        let run = try moesim("simulate", scenario, "--format", "json")
        assertStatus(run, 0)
        XCTAssertEqual(run.stderr, "", run.brief)
        let rows = try jsonRows(run)
        XCTAssertEqual(rows.count, 3, run.brief)
        XCTAssertEqual(rows.count, csvRows.count)
        for (object, csvRow) in zip(rows, csvRows) {
            XCTAssertEqual(Set(object.keys), Set(header), "JSON keys = CSV columns")
            for column in promisedColumns { XCTAssertNotNil(object[column], "key \(column) missing") }
            for (key, text) in csvRow {
                let value = object[key]
                if text.isEmpty {
                    XCTAssertTrue(value is NSNull, "\(key): empty CSV cell should be null in JSON, got \(String(describing: value))")
                } else if numericColumns.contains(key) {
                    let number = (value as? NSNumber)?.doubleValue
                    XCTAssertEqual(number, Double(text), "\(key): JSON \(String(describing: value)) vs CSV \(text)")
                } else if let string = value as? String {
                    XCTAssertEqual(string, text, key)
                } else if let number = value as? NSNumber {
                    XCTAssertEqual(number.doubleValue, Double(text), "\(key): JSON \(number) vs CSV \(text)")
                } else {
                    XCTFail("\(key): unexpected JSON value \(String(describing: value)) for CSV \(text)")
                }
            }
        }
        XCTAssertEqual(rows.map { $0["strategy"] as? String }, ["switch", "topk", "sam"])
        XCTAssertEqual(rows.map { ($0["seed"] as? NSNumber)?.intValue }, [1, 1, 1])
    }

    func testMultipleFilesOneHeader() throws {
        let a = try write(ScenarioText.minimal(name: "alpha"), to: "a.json")
        let b = try write(ScenarioText.minimal(name: "beta", zipf: "0",
                                               strategies: #"[{"name":"topk","k":4},{"name":"sam","k":1}]"#),
                          to: "b.json")
        let (run, header, rows) = try csvRun(a, b)
        let headerLine = header.joined(separator: ",")
        XCTAssertEqual(run.stdout.components(separatedBy: "\n").filter { $0 == headerLine }.count, 1,
                       "exactly one header\n" + run.brief)
        XCTAssertEqual(rows.count, 5, run.brief)
        XCTAssertEqual(rows.map { $0["scenario"] }, ["alpha", "alpha", "alpha", "beta", "beta"])
        XCTAssertEqual(rows.map { $0["strategy"] }, ["switch", "topk", "sam", "topk", "sam"])
        XCTAssertEqual(rows.map { $0["k"] }, ["1", "2", "2", "4", "1"])

        let json = try moesim("simulate", a, b, "--format", "json")
        assertStatus(json, 0)
        XCTAssertEqual(try jsonRows(json).map { $0["scenario"] as? String }, ["alpha", "alpha", "alpha", "beta", "beta"])

        let table = try moesim("simulate", a, b)
        assertStatus(table, 0)
        XCTAssertTrue(table.stdout.contains("scenario alpha:") && table.stdout.contains("scenario beta:"), table.brief)

        // The same file twice is fine without --out.
        let twice = try moesim("simulate", a, a, "--format", "csv")
        assertStatus(twice, 0)
        XCTAssertEqual(CSV.table(twice.stdout).rows.count, 6, twice.brief)
    }

    func testSeedOverrideIsEchoed() throws {
        let scenario = try write(ScenarioText.minimal(seed: 1), to: "t.json")
        let (_, _, rows) = try csvRun(scenario, "--seed", "42")
        XCTAssertEqual(rows.map { $0["seed"] }, ["42", "42", "42"])

        let json = try moesim("simulate", scenario, "--seed", "42", "--format", "json")
        assertStatus(json, 0)
        XCTAssertEqual(try jsonRows(json).map { ($0["seed"] as? NSNumber)?.intValue }, [42, 42, 42])

        let table = try moesim("simulate", scenario, "--seed", "42")
        assertStatus(table, 0)
        XCTAssertTrue(table.stdout.contains("seed 42"), table.brief)

        let zero = try csvRun(scenario, "--seed", "0")
        XCTAssertEqual(zero.rows.map { $0["seed"] }, ["0", "0", "0"])
        let biggest = try csvRun(scenario, "--seed", "9223372036854775807")
        XCTAssertEqual(biggest.rows.map { $0["seed"] }, Array(repeating: "9223372036854775807", count: 3))
    }

    /// --seed N gives exactly what simulation.seed = N in the file gives.
    func testSeedOverrideEqualsSeedInFile() throws {
        let seed1 = try write(ScenarioText.minimal(seed: 1), to: "s1.json")
        let seed7 = try write(ScenarioText.minimal(seed: 7), to: "s7.json")
        let overridden = try csvRun(seed1, "--seed", "7")
        let inFile = try csvRun(seed7)
        XCTAssertEqual(overridden.run.stdout, inFile.run.stdout)
        let same = try csvRun(seed1, "--seed", "1")
        let plain = try csvRun(seed1)
        XCTAssertEqual(same.run.stdout, plain.run.stdout)
    }

    /// The JSON output must echo the seed exactly, like the CSV does, so a run can be reproduced from it.
    func testJSONEchoesLargeSeedExactly() throws {
        let scenario = try write(ScenarioText.minimal(), to: "t.json")
        for seed in ["9007199254740993", "9223372036854775807"] {
            let run = try moesim("simulate", scenario, "--seed", seed, "--format", "json")
            assertStatus(run, 0)
            let seedLines = run.stdout.components(separatedBy: "\n")
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { $0.hasPrefix("\"seed\":") }
            XCTAssertEqual(seedLines.count, 3, run.brief)
            for line in seedLines {
                XCTAssertEqual(line, "\"seed\": \(seed)", "JSON seed must be the exact integer passed to --seed")
            }
        }
    }

    func testDeterministicAcrossRuns() throws {
        let scenario = try write(ScenarioText.minimal(zipf: "1.2"), to: "t.json")
        for format in ["csv", "json", "table"] {
            let first = try moesim("simulate", scenario, "--format", format, "--seed", "123")
            let second = try moesim("simulate", scenario, "--format", format, "--seed", "123")
            assertStatus(first, 0)
            assertStatus(second, 0)
            XCTAssertFalse(first.stdoutData.isEmpty)
            XCTAssertEqual(first.stdoutData, second.stdoutData, "\(format) output differs between identical runs")
        }
    }

    /// `--jobs` prices batches on several threads; every output file is byte-identical to one thread's.
    func testJobsGiveIdenticalOutputAndRejectBadCounts() throws {
        let scenario = MoesimRunner.packageRoot.appendingPathComponent("scenarios/overlap-microbatches.json").path
        let one = try moesim("simulate", scenario, "--format", "csv", "--jobs", "1", "--out", path("one"))
        let four = try moesim("simulate", scenario, "--format", "csv", "--jobs", "4", "--out", path("four"))
        assertStatus(one, 0)
        assertStatus(four, 0)
        XCTAssertEqual(one.stdoutData, four.stdoutData)
        let files = contents(ofDirectory: "one")
        XCTAssertEqual(files.count, 3, "summary and detail files")
        XCTAssertEqual(contents(ofDirectory: "four"), files)
        for file in files {
            let manager = FileManager.default
            XCTAssertEqual(manager.contents(atPath: path("one/" + file)), manager.contents(atPath: path("four/" + file)), file)
        }
        for bad in ["0", "1025", "two"] {
            let run = try moesim("simulate", scenario, "--jobs", bad)
            assertStatus(run, 64)
            XCTAssertTrue(run.stderr.contains("--jobs must be an integer in [1, 1024] (got \"\(bad)\")"), run.brief)
        }
    }

    func testDifferentSeedChangesSkewedResults() throws {
        let scenario = try write(ScenarioText.minimal(zipf: "1.2"), to: "t.json")
        let one = try csvRun(scenario, "--seed", "1")
        let two = try csvRun(scenario, "--seed", "2")
        XCTAssertEqual(one.rows.count, two.rows.count)
        let measured = ["step_time_us", "expert_us", "gpu_load_max_over_mean", "expert_load_max_over_mean",
                        "intra_node_bytes"]
        let differing = zip(one.rows, two.rows).flatMap { a, b in measured.filter { a[$0] != b[$0] } }
        XCTAssertFalse(differing.isEmpty, "seeds 1 and 2 gave identical numbers:\n\(one.run.stdout)\n\(two.run.stdout)")
        // Everything that does not depend on the tokens stays put.
        for (a, b) in zip(one.rows, two.rows) {
            for column in ["scenario", "strategy", "k", "nodes", "gpus", "experts", "tokens_per_gpu", "gate_us"] {
                XCTAssertEqual(a[column], b[column], column)
            }
        }
    }
}
