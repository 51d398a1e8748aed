import Foundation
import XCTest

/// Every scenario in the package's scenarios/ directory simulates cleanly, in table and csv.
final class ShippedScenarioTests: MoesimTestCase {
    private var scenariosDirectory: URL { MoesimRunner.packageRoot.appendingPathComponent("scenarios") }

    private func shippedScenarios() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: scenariosDirectory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// The scenario's name and strategies as written in the file (defaults as documented).
    private func declared(_ file: URL) throws -> (name: String, strategies: [[String: Any]]) {
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any],
                                   file.lastPathComponent)
        let name = object["name"] as? String ?? "scenario"
        let routing = object["routing"] as? [String: Any]
        let strategies = routing?["strategies"] as? [[String: Any]]
            ?? [["name": "switch"], ["name": "topk", "k": 2], ["name": "sam", "k": 2]]
        return (name, strategies)
    }

    func testScenariosDirectoryIsNotEmpty() throws {
        let files = try shippedScenarios()
        XCTAssertFalse(files.isEmpty, "no scenarios in \(scenariosDirectory.path)")
        XCTAssertTrue(files.map(\.lastPathComponent).contains("quickstart.json"))
    }

    func testEveryShippedScenarioSimulatesInTableAndCSV() throws {
        for file in try shippedScenarios() {
            let (name, strategies) = try declared(file)
            // Table and CSV runs of one file overlap, to keep the suite quick.
            let tableRun = try MoesimRunner.start(["simulate", file.path], in: tmp)
            let csvRun = try MoesimRunner.start(["simulate", file.path, "--format", "csv"], in: tmp)
            let table = tableRun.wait()
            let csv = csvRun.wait()

            assertStatus(table, 0)
            assertStatus(csv, 0)
            for run in [table, csv] {
                XCTAssertFalse(run.stderr.contains("moesim: "), "\(file.lastPathComponent): \(run.brief)")
            }
            XCTAssertTrue(table.stdout.hasPrefix("scenario \(name):"), "\(file.lastPathComponent)\n" + table.brief)

            let (header, rows) = CSV.table(csv.stdout)
            XCTAssertEqual(header.first, "scenario", "\(file.lastPathComponent): header first\n" + csv.brief)
            for column in promisedColumns {
                XCTAssertTrue(header.contains(column), "\(file.lastPathComponent): no column \(column)")
            }
            XCTAssertEqual(rows.count, strategies.count,
                           "\(file.lastPathComponent): one CSV row per strategy\n" + csv.brief)
            for (row, strategy) in zip(rows, strategies) {
                XCTAssertEqual(row["scenario"], name, file.lastPathComponent)
                let kind = try XCTUnwrap(row["strategy"])
                XCTAssertTrue(["switch", "topk", "sam", "node-limited", "expert-choice", "hash"].contains(kind), "\(file.lastPathComponent): strategy \(kind)")
                XCTAssertEqual(kind, strategy["name"] as? String, "\(file.lastPathComponent): strategies in file order")
                if let k = strategy["k"] as? Int { XCTAssertEqual(row["k"], String(k), file.lastPathComponent) }
                XCTAssertGreaterThan(Double(row["step_time_us"] ?? "") ?? 0, 0, file.lastPathComponent)
            }

            // results/ holds the committed outputs of the shipped scenarios; they must be what the model gives now.
            let shipped = MoesimRunner.packageRoot.appendingPathComponent("results/\(name).csv")
            XCTAssertEqual(try? String(contentsOf: shipped, encoding: .utf8), csv.stdout,
                           "results/\(name).csv is stale; regenerate: "
                           + "swift run -c release moesim simulate scenarios/*.json --out results/")
        }
    }

    func testQuickstartListsSwitchTopkAndSAM() throws {
        let file = scenariosDirectory.appendingPathComponent("quickstart.json")
        let (name, strategies) = try declared(file)
        XCTAssertEqual(name, "quickstart")
        XCTAssertEqual(strategies.count, 3)
        XCTAssertEqual(strategies.map { $0["name"] as? String }, ["switch", "topk", "sam"])
        XCTAssertEqual(strategies.dropFirst().map { $0["k"] as? Int }, [2, 2])

        let run = try moesim("simulate", file.path, "--format", "csv")
        assertStatus(run, 0)
        let rows = CSV.table(run.stdout).rows
        XCTAssertEqual(rows.map { $0["strategy"] }, ["switch", "topk", "sam"])
        XCTAssertEqual(rows.map { $0["k"] }, ["1", "2", "2"])
        XCTAssertEqual(rows.map { $0["scenario"] }, ["quickstart", "quickstart", "quickstart"])
    }
}
