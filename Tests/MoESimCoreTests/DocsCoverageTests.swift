import Foundation
import XCTest
import MoESimCore

/// The reference pages in docs/ against the code: every summary column, detail column and
/// scenario key the library knows has a row in its page, and no row documents one it does not.
/// The lists come from the library (`SummaryColumn.all`, `DetailCSV`, `Scenario.acceptedKeyPaths`),
/// so a column or key added to the code fails here until it is documented.
final class DocsCoverageTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    private func page(_ name: String) throws -> String {
        try String(contentsOf: Self.root.appendingPathComponent("docs").appendingPathComponent(name), encoding: .utf8)
    }

    /// The first cells of the table rows between the heading `heading` and the next heading of any level,
    /// for rows whose first cell is one code span (`| `name` | ...`).
    private func documentedNames(in text: String, under heading: String) -> [String] {
        lines(of: text, under: heading).compactMap(Self.firstCell)
    }

    /// The lines between the heading `heading` and the next heading of any level.
    private func lines(of text: String, under heading: String) -> [String] {
        let lines = text.components(separatedBy: "\n")
        guard let start = lines.firstIndex(of: heading) else {
            XCTFail("no heading \"\(heading)\"")
            return []
        }
        return Array(lines[(start + 1)...].prefix { !$0.hasPrefix("#") })
    }

    /// `name` for a table row that starts with "| `name` |", nil for any other line.
    private static func firstCell(of line: String) -> String? {
        guard line.hasPrefix("| `") else { return nil }
        let rest = line.dropFirst(3)
        guard let end = rest.range(of: "` |") else { return nil }
        let name = String(rest[..<end.lowerBound])
        return name.contains("`") ? nil : name
    }

    func testEverySummaryColumnIsDocumentedInOrder() throws {
        let documented = documentedNames(in: try page("metrics.md"), under: "## Summary columns")
        XCTAssertEqual(documented, SummaryColumn.all.map(\.name),
                       "docs/metrics.md's summary table must list every SummaryColumn, in CSV order")
    }

    func testEveryPerturbedColumnIsDocumentedInOrder() throws {
        let documented = documentedNames(in: try page("metrics.md"), under: "## Columns of perturbed scenarios")
        XCTAssertEqual(documented, SummaryColumn.perturbed.map(\.name),
                       "docs/metrics.md must list the columns of perturbed scenarios, in CSV order")
    }

    func testEveryDetailColumnIsDocumentedInOrder() throws {
        let text = try page("metrics.md")
        XCTAssertEqual(documentedNames(in: text, under: "### `<name>.per_gpu.csv`"), DetailCSV.perGPUColumns,
                       "docs/metrics.md's per_gpu.csv table must list every column, in order")
        XCTAssertEqual(documentedNames(in: text, under: "### `<name>.per_expert.csv`"), DetailCSV.perExpertColumns,
                       "docs/metrics.md's per_expert.csv table must list every column, in order")
    }

    /// Every key path the decoder reads has a row in docs/scenarios.md (the sections table or
    /// the table of every key), and every row of the key table names a key the decoder reads.
    func testEveryScenarioKeyIsDocumented() throws {
        let text = try page("scenarios.md")
        let rows = Set(text.components(separatedBy: "\n").compactMap(Self.firstCell))
        let accepted = Scenario.acceptedKeyPaths
        let missing = accepted.filter { !rows.contains($0) }
        XCTAssertEqual(missing, [], "scenario keys without a row in docs/scenarios.md")

        let keyRows = lines(of: text, under: "## Every key").filter { !$0.contains("| not accepted") }
            .compactMap(Self.firstCell)
        XCTAssertGreaterThan(keyRows.count, 50)
        let stale = keyRows.filter { !accepted.contains($0) }
        XCTAssertEqual(stale, [], "docs/scenarios.md documents keys the decoder does not read")
    }

    /// The probes behind `acceptedKeyPaths` reach every branch of the decoder: a sample of keys
    /// that only some fabrics, placements, strategies, generators and validation kernels read.
    func testAcceptedKeyPathsReachEveryBranch() {
        let accepted = Set(Scenario.acceptedKeyPaths)
        for key in ["version", "cluster.gpu.kernelLaunchUs", "cluster.fabric.nodesPerLeaf", "cluster.fabric.nodesPerGroup",
                    "parallelism.placement.gpuOfExpert", "parallelism.placement.slotsPerGPU",
                    "routing.strategies[i].maxNodes", "routing.strategies[i].deviceScore",
                    "routing.strategies[i].normalize", "trace.synthetic.hot.load", "trace.file",
                    "validation.phase", "validation.bytesPerRank"] {
            XCTAssertTrue(accepted.contains(key), key)
        }
    }

    /// Every key used by a shipped scenario is among `acceptedKeyPaths`: the list is what files use.
    func testShippedScenariosUseOnlyAcceptedKeys() throws {
        let accepted = Set(Scenario.acceptedKeyPaths)
        let scenarios = Self.root.appendingPathComponent("scenarios")
        let files = try XCTUnwrap(FileManager.default.enumerator(atPath: scenarios.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertGreaterThan(files.count, 5)
        for file in files {
            let document = try Scenario.loadDocument(file: scenarios.appendingPathComponent(file).path)
            for path in Self.keyPaths(of: document, under: "") {
                XCTAssertTrue(accepted.contains(path), "scenarios/\(file): \(path)")
            }
        }
    }

    /// Key paths of every object member in `value`, array elements written `[i]`.
    private static func keyPaths(of value: JSONValue, under path: String) -> [String] {
        switch value {
        case .object(let members):
            return members.flatMap { member -> [String] in
                let child = path.isEmpty ? member.key : "\(path).\(member.key)"
                return [child] + keyPaths(of: member.value, under: child)
            }
        case .array(let elements):
            return elements.flatMap { keyPaths(of: $0, under: "\(path)[i]") }
        case .null, .bool, .number, .string:
            return []
        }
    }

    /// README's example of the library used from another package, with the scenario path made absolute.
    func testReadmeLibraryExampleRuns() throws {
        let file = Self.root.appendingPathComponent("scenarios/quickstart.json").path
        var lines: [String] = []
        func print(_ items: Any..., terminator: String = "\n") {
            lines.append(items.map { "\($0)" }.joined(separator: " ") + terminator)
        }
        // -- the README snippet --
        var scenario = try Scenario.load(file: file)
        scenario.simulation.seed = 7
        let result = try Simulator.run(scenario)
        for row in result.results {
            print(row.strategy.label, row.stepTimeMicros, row.dispatchBytes, row.gpuLoad.maxOverMean)
        }
        print(CSVWriter.summary([result]), terminator: "")
        // --
        XCTAssertEqual(lines.count, 4)
        XCTAssertTrue(lines[0].hasPrefix("switch "))
        XCTAssertTrue(lines[3].hasPrefix(SummaryColumn.all.map(\.name).joined(separator: ",") + "\n"))
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        XCTAssertTrue(readme.contains(#".product(name: "MoESimCore", package: "moesim")"#))
        XCTAssertTrue(readme.contains("""
            var scenario = try Scenario.load(file: "scenarios/quickstart.json")
            scenario.simulation.seed = 7
            let result = try Simulator.run(scenario)
            for row in result.results {
                print(row.strategy.label, row.stepTimeMicros, row.dispatchBytes, row.gpuLoad.maxOverMean)
            }
            print(CSVWriter.summary([result]), terminator: "")
            """), "README's library example differs from the one this test runs")
    }
}
