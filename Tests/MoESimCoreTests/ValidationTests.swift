import Foundation
import XCTest
@testable import MoESimCore

/// The model against published measurements (scenarios/validation): every row within 10%, the
/// shared set's mean under 5%, the flow model agreeing with the analytical one, and the metric
/// formulas checked by hand. A change that breaks fidelity fails here.
final class ValidationTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scenarios/validation").path

    func run(_ file: String) throws -> ValidationReport {
        try ValidationReport(running: ValidationSet(measurementFiles: ["\(Self.directory)/\(file)"]),
                             jobs: ProcessInfo.processInfo.activeProcessorCount)
    }

    /// The rows off by more than `tolerancePercent`, each with its figures, so that a failure says by how much.
    static func failures(of report: ValidationReport, tolerancePercent: Double) -> [String] {
        report.failures(tolerancePercent: tolerancePercent).map { row in
            String(format: "%@: measured %g %@, predicted %.1f, error %+.1f%%", row.measurement.id,
                   row.measurement.measured, row.measurement.unit, row.prediction.value, row.errorPercent)
        }
    }

    func testPublishedRowsWithinTenPercentAndMeanUnderFive() throws {
        let report = try run("published.csv")
        XCTAssertEqual(report.rows.count, 9, "one scenario per row of ../shared/validation/published.csv")
        XCTAssertEqual(Self.failures(of: report, tolerancePercent: 10), [])
        XCTAssertLessThan(report.meanAbsoluteErrorPercent, 5, report.summary)
    }

    func testFurtherDeepEPRowsWithinTenPercent() throws {
        let report = try run("published-more.csv")
        XCTAssertEqual(report.rows.count, 12)
        XCTAssertEqual(Self.failures(of: report, tolerancePercent: 10), [])
    }

    /// The validation scenarios price each kernel with the analytical model (fast at 256 ranks); the
    /// flow model must give the same figures where both run quickly.
    func testFlowModelAgreesWithTheAnalyticalModel() throws {
        let set = try ValidationSet(measurementFiles: ["\(Self.directory)/published.csv"])
        for item in set.cases where item.scenario.cluster.gpuCount <= 16 {
            var flow = item.scenario
            flow.simulation.network = .flow
            let analytical = try KernelBenchmark(scenario: item.scenario).predict().value
            let flowValue = try KernelBenchmark(scenario: flow).predict().value
            XCTAssertEqual(flowValue, analytical, accuracy: analytical * 0.01, item.id)
        }
    }

    /// nccl-tests by hand: 8 ranks × 1 GiB on one DGX H100; each rank sends 7/8 GiB over its NVLink
    /// (360 GB/s) → α 2 µs + 2982616.2 ns; bus bandwidth = 1 GiB / t × 7/8.
    func testNCCLBusBandwidthClosedForm() throws {
        var scenario = try Scenario.decode(JSONParser.parse("""
            {"version": 1, "cluster": {"preset": "dgx-h100"}, "simulation": {"network": "analytical"},
             "validation": {"id": "x", "kernel": "nccl-alltoall", "bytesPerRank": 1073741824}}
            """))
        let prediction = try KernelBenchmark(scenario: scenario).predict()
        let nanos = 2_000 + Int64((Double(1 << 30) * 7 / 8 / 360e9 * 1e9).rounded(.up))
        XCTAssertEqual(prediction.kernelTime.nanoseconds, nanos)
        XCTAssertEqual(prediction.value, Double(1 << 30) / (Double(nanos) / 1e9) * 7 / 8 / 1e9, accuracy: 1e-9)
        XCTAssertEqual(prediction.metric, "bus_bandwidth")
        scenario.simulation.network = .flow
        XCTAssertEqual(try KernelBenchmark(scenario: scenario).predict().kernelTime.nanoseconds, nanos)
    }

    /// DeepEP's internode RDMA count by hand: 2 nodes × 2 GPUs; GPU 0's tokens reach nodes {0, 1}, {1}, {} and {0}.
    func testInternodeCountsTokenNodePairsOfRankZeroWithItsOwnNode() throws {
        var cluster = ClusterPreset.h800.spec
        cluster.nodes = 2
        cluster.gpusPerNode = 2
        var buffer = RoutingBuffer()
        buffer.reset(slotCounts: [2, 2, 0, 1, 1], k: 2)
        let gpus: [Int32] = [1, 3,  2, 3,  0,  0]
        for slot in gpus.indices { buffer.gpus[slot] = gpus[slot] }
        XCTAssertEqual(KernelBenchmark.nodePairsOfRankZero(buffer, layout: TokenLayout(gpuCount: cluster.gpuCount, tokensPerGPU: 4), cluster: cluster), 4)
    }

    func testMismatchedOrMissingScenariosAreClearErrors() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("moesim-validation-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let csv = "\(folder)/m.csv"
        try "id,metric,measured,unit\nrow-a,latency,100,us\n".write(toFile: csv, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ValidationSet(measurementFiles: [csv])) { error in
            XCTAssertEqual((error as? ValidationError)?.exitCode, 66)
            XCTAssertTrue("\(error)".contains("row-a.json"), "\(error)")
        }
        let scenario = """
            {"version": 1, "cluster": {"preset": "h800"}, "model": {"experts": 16},
             "validation": {"id": "row-b", "kernel": "deepep-low-latency", "phase": "dispatch"}}
            """
        try scenario.write(toFile: "\(folder)/row-a.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ValidationSet(measurementFiles: [csv])) { error in
            XCTAssertEqual((error as? ValidationError)?.exitCode, 65)
            XCTAssertTrue("\(error)".contains("validation.id") && "\(error)".contains("row-b"), "\(error)")
        }
        try scenario.replacingOccurrences(of: "row-b", with: "row-a").write(toFile: "\(folder)/row-a.json", atomically: true,
                                                                             encoding: .utf8)
        try "id,metric,measured,unit\nrow-a,bus_bandwidth,100,GB/s\n".write(toFile: csv, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ValidationSet(measurementFiles: [csv])) { error in
            XCTAssertTrue("\(error)".contains("reports latency in us"), "\(error)")
        }
        try "id,metric,measured,unit\nrow-a,latency,-3,us\n".write(toFile: csv, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ValidationSet(measurementFiles: [csv])) { error in
            XCTAssertTrue("\(error)".contains("line 2, column measured"), "\(error)")
        }
    }
}
