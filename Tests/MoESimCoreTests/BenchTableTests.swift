import XCTest
@testable import MoESimCore

/// The benchmarks' CSV rows: each row renders under its own header, as `moesim bench` prints it.
final class BenchTableTests: XCTestCase {
    func testRowsHaveOneFieldPerColumnAndTheirFormats() throws {
        let routing = RoutingBenchmark.Row(strategy: "top-2, <=2 nodes", gateProbabilities: true, k: 2, experts: 64,
                                           tokens: 1000, repeats: 3, wallSeconds: 0.25)
        XCTAssertEqual(routing.csvLine, "routing,\"top-2, <=2 nodes\",2,true,64,1000,0.2500,4000,3\n")

        var network = NetworkBenchmark.Row(pattern: .zipf, model: .flow, precision: 1e-4, gpus: 16, flows: 240,
                                           events: 480, finished: true, instants: 3, repairs: 3, resolvedFlows: 300,
                                           rateChanges: 250, fullSolves: 1, wallSeconds: 0.5,
                                           simulated: SimTime(nanoseconds: 123_456))
        network.repeats = 2
        network.peakResidentMegabytes = 41.6
        XCTAssertEqual(network.csvLine, "alltoall_zipf,flow,0.0001,16,240,480,3,3,300,250,1,0.5000,960,123.5,true,2,42\n")

        let trace = TraceBenchmark.Row(phase: .read, bytes: 2_000_000, wallSeconds: 0.5, peakResidentMegabytes: 10)
        XCTAssertEqual(trace.csvLine, "trace_read,2000000,0.5000,4,10\n")

        for (header, line) in [(RoutingBenchmark.csvHeader, routing.csvLine), (NetworkBenchmark.csvHeader, network.csvLine),
                               (TraceBenchmark.csvHeader, trace.csvLine)] {
            let table = try CSVTable(text: header + line, source: "bench")
            XCTAssertEqual(table.rows.count, 1, header)
        }
    }

    /// The analytical bound has no precision; each flow run is followed by one bound per traffic.
    func testNetworkRunsAreFlowPerPrecisionThenTheBound() {
        let runs = NetworkBenchmark.runs(precisions: [1e-9, 1e-3])
        XCTAssertEqual(runs.map(\.model), [.flow, .flow, .analytical])
        XCTAssertEqual(runs.map(\.precision), [1e-9, 1e-3, nil])
    }

    /// The speed-up is over the latest one-job run: empty before one, 1 for that run itself.
    func testSweepSpeedUpIsOverTheOneJobRun() {
        func row(jobs: Int, seconds: Double, oneJob: Double?) -> SweepBenchmark.Row {
            SweepBenchmark.Row(points: 500, jobs: jobs, wallSeconds: seconds, oneJobSeconds: oneJob)
        }
        XCTAssertEqual(row(jobs: 2, seconds: 4, oneJob: nil).csvLine, "sweep_64gpu_analytical,500,2,4.000,125.00,\n")
        XCTAssertEqual(row(jobs: 1, seconds: 8, oneJob: 8).csvLine, "sweep_64gpu_analytical,500,1,8.000,62.50,1.00\n")
        XCTAssertEqual(row(jobs: 4, seconds: 2.5, oneJob: 8).speedupOverOneJob, 3.2)
    }
}
