import Foundation
import XCTest

/// `moesim validate`: the table and CSV of measured vs predicted, and the exit status against --tolerance.
final class ValidateCommandTests: MoesimTestCase {
    var published: String { MoesimRunner.packageRoot.appendingPathComponent("scenarios/validation/published.csv").path }

    func testCSVHasTheDocumentedColumnsAndPassesAtTenPercent() throws {
        let run = try moesim("validate", published, "--format", "csv", "--jobs", "2")
        assertStatus(run, 0)
        let table = CSV.table(run.stdout)
        XCTAssertEqual(table.header, ["id", "metric", "measured", "predicted", "unit", "error_pct", "kernel_us",
                                      "counted_bytes", "scenario"])
        XCTAssertEqual(table.rows.count, 9)
        for row in table.rows {
            let measured = Double(row["measured"] ?? "") ?? 0, predicted = Double(row["predicted"] ?? "") ?? 0
            let error = Double(row["error_pct"] ?? "") ?? .infinity
            XCTAssertEqual(error, (predicted - measured) / measured * 100, accuracy: 0.01, run.brief)
            XCTAssertLessThanOrEqual(abs(error), 10, run.brief)
        }
        XCTAssertTrue(run.stderr.contains("mean |error|"), run.brief)
    }

    func testTableNamesTheRowsBeyondTheToleranceAndExitsOne() throws {
        let run = try moesim("validate", published, "--tolerance", "0.1")
        assertStatus(run, 1)
        XCTAssertTrue(run.stdout.contains("deepep-normal-intra-dispatch"), run.brief)
        XCTAssertTrue(run.stdout.contains("beyond 0.1%"), run.brief)
        XCTAssertTrue(run.stdout.contains("mean |error|"), run.brief)
    }

    func testBadFlagsAndMissingFiles() throws {
        assertFailure(try moesim("validate", published, "--tolerance", "-1"), 64, mentions: ["--tolerance"])
        assertFailure(try moesim("validate", published, "--format", "json"), 64, mentions: ["--format"])
        assertFailure(try moesim("validate", published, "--network", "exact"), 64, mentions: ["--network", "analytical, flow"])
        assertFailure(try moesim("validate", "nowhere.csv"), 66, mentions: ["nowhere.csv"])
        let help = try moesim("validate", "--help")
        assertStatus(help, 0)
        XCTAssertTrue(help.stdout.contains("EXAMPLES"), help.brief)
    }
}
