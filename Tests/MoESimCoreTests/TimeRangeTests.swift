import Foundation
import XCTest
@testable import MoESimCore

/// Valid scenarios whose times would leave integer nanoseconds stop with a ScenarioError naming the
/// keys; nothing traps and no capped time is reported (issue 22, item 4).
final class TimeRangeTests: XCTestCase {
    private func scenario(efficiency: String, steps: Int, layers: Int = 1024, network: String = "analytical") throws -> Scenario {
        try Scenario.decode(JSONParser.parse("""
            {"version":1,"cluster":{"gpu":{"computeEfficiency":\(efficiency),"hbmGB":1e9}},"model":{"experts":8,"moeLayers":\(layers)},
             "parallelism":{"tokensPerGPU":1},"routing":{"strategies":[{"name":"switch"}]},
             "simulation":{"network":"\(network)","steps":\(steps)}}
            """))
    }

    func testDurationsBeyondTheRangeAreHeldAndMarked() {
        XCTAssertEqual(SimTime.duration(work: 1, ratePerSecond: 1e-300), SimTime.longestDuration)
        XCTAssertEqual(SimTime.duration(work: .infinity, ratePerSecond: 1), SimTime.longestDuration)
        XCTAssertTrue(SimTime.longestDuration.isOutOfRange)
        XCTAssertFalse(SimTime(nanoseconds: 999_999_999_999_999).isOutOfRange)
        // 1e6 B at 1e11 B/s is exactly 1e4 ns: in-range durations are unchanged.
        XCTAssertEqual(SimTime.duration(work: 1e6, ratePerSecond: 1e11), SimTime(nanoseconds: 10_000))
        XCTAssertEqual(SimTime.cappedSum(SimTime.longestDuration.nanoseconds, SimTime.longestDuration.nanoseconds),
                       SimTime.longestDuration.nanoseconds)
        XCTAssertEqual(SimTime.cappedSum(2, 3), 5)
    }

    /// The issue's reproducer: computeEfficiency 1e-300 over 1024 layers trapped with steps 3 and
    /// printed a capped 1000000000003 µs with steps 1; both models now refuse it, naming the key.
    func testTheIssueReproducerIsACleanErrorNamingTheKeys() throws {
        for (steps, network) in [(3, "analytical"), (1, "analytical"), (1, "flow")] {
            let layers = network == "flow" ? 2 : 1024
            XCTAssertThrowsError(try Simulator.run(try scenario(efficiency: "1e-300", steps: steps, layers: layers, network: network))) {
                guard case let .invalid(nil, keyPath, message)? = $0 as? ScenarioError else { return XCTFail("\($0)") }
                XCTAssertTrue(keyPath.hasPrefix("cluster.gpu.computeEfficiency"), keyPath)
                XCTAssertTrue(message.contains("the gate phase of layer 0 of step 0 under switch"), message)
                XCTAssertEqual(($0 as? ScenarioError)?.exitCode, 65)
            }
        }
    }

    /// Just inside the range, the same scenario runs and reports its (long) times exactly.
    func testSlowButInRangeScenariosStillRun() throws {
        let result = try Simulator.run(try scenario(efficiency: "1e-6", steps: 1, layers: 2))
        let gate = result.results[0].gateMicros
        XCTAssertGreaterThan(gate, 0)
        XCTAssertLessThan(gate * 1e3, Double(SimTime.longestDuration.nanoseconds) * 2)
    }

    func testRunTotalsPastInt64AreRefused() throws {
        var range = SimulatedTimeRange(strategies: 1)
        let load = LoadStatistics(maxOverMean: 1, coefficientOfVariation: 0, gini: 0)
        let outcome = LayerOutcome(gate: SimTime(nanoseconds: 999_999_999_999_999), dispatch: .zero, expert: .zero,
                                   combine: .zero, gpuLoad: load, expertLoad: load, unroutedTokens: 0,
                                   layerTime: SimTime(nanoseconds: 999_999_999_999_999))
        var added = 0
        XCTAssertThrowsError(try { while true { try range.add(outcome, strategy: 0, label: "switch", step: added, layer: 0,
                                                                  scenario: "s"); added += 1 } }()) {
            XCTAssertTrue("\($0)".hasPrefix("simulation.steps, model.moeLayers: scenario \"s\": the run's simulated time"), "\($0)")
        }
        // 2e15 ns per layer: the 4612th addition passes 2^63 − 1 ns.
        XCTAssertEqual(added, Int(Int64.max / 1_999_999_999_999_998))
    }
}
