import XCTest
@testable import MoESimCore

/// Inputs at the edges that once gave wrong numbers or crashed.
final class EdgeCaseTests: XCTestCase {
    func decode(_ text: String) throws -> Scenario { try Scenario.decode(JSONParser.parse(text)) }

    func testExpertChoiceDoesNotLeaveItsSlotLayoutToTheNextStrategy() throws {
        let both = try decode("""
            {"version": 1, "cluster": {"nodes": 2}, "model": {"experts": 60}, "parallelism": {"tokensPerGPU": 250,
             "placement": "round-robin"}, "routing": {"strategies": [{"name": "expert-choice", "k": 2}, {"name": "topk", "k": 2}]},
             "trace": {"synthetic": {"zipf": 0.8}}, "simulation": {"steps": 2}}
            """)
        var alone = both
        alone.strategies = [both.strategies[1]]
        let withExpertChoice = try Simulator.run(both).results[1]
        let topkAlone = try Simulator.run(alone).results[0]
        XCTAssertEqual(withExpertChoice.dispatchBytes, topkAlone.dispatchBytes)
        XCTAssertEqual(withExpertChoice.stepTimeMicros, topkAlone.stepTimeMicros)
        XCTAssertEqual(withExpertChoice.unroutedTokens, 0)
    }

    func testCapacityIsAtLeastOneAndAtMostTheBatch() throws {
        XCTAssertEqual(CapacityLimiter.expertCapacity(capacityFactor: 1e-12, tokens: 1000, k: 2, experts: 8), 1)
        XCTAssertEqual(CapacityLimiter.expertCapacity(capacityFactor: 1e300, tokens: 1000, k: 2, experts: 8), 2000)
        XCTAssertEqual(CapacityLimiter.deviceCapacity(capacityFactor: 1e-12, tokens: 1000, devices: 8), 1)
        XCTAssertEqual(CapacityLimiter.deviceCapacity(capacityFactor: 1e300, tokens: 1000, devices: 8), 1000)
        let huge = try decode("""
            {"version": 1, "model": {"experts": 16}, "parallelism": {"tokensPerGPU": 32}, "routing": {"capacityFactor": 1e300,
             "strategies": [{"name": "topk", "k": 2}, {"name": "sam", "k": 2}, {"name": "expert-choice", "k": 2}]}}
            """)
        for result in try Simulator.run(huge).results { XCTAssertEqual(result.droppedAssignments, 0) }
    }

    func testDefaultStrategiesThatDoNotFitAreAClearError() {
        XCTAssertThrowsError(try decode(#"{"version": 1, "model": {"experts": 8}}"#)) { error in
            XCTAssertTrue(String(describing: error).hasPrefix("routing.strategies: missing, and the default [switch, top-2, SAM-2] does not fit"),
                          String(describing: error))
        }
    }

    func testSlowHardwareIsRejectedAndDurationsSaturate() {
        XCTAssertThrowsError(try decode(#"{"version": 1, "cluster": {"gpu": {"peakTFLOPs": 1e-12}}}"#)) { error in
            XCTAssertTrue(String(describing: error).contains("cluster.gpu.peakTFLOPs: must be in [0.01, 1e9]"))
        }
        XCTAssertThrowsError(try decode(#"{"version": 1, "cluster": {"nicLink": {"bandwidthGBps": 1e-20}}}"#))
        XCTAssertEqual(SimTime.duration(work: 1e30, ratePerSecond: 1), SimTime.longestDuration)
    }

    func testNodeLimitedCountsAReplicatedExpertOnceAndSplitsItsTokens() throws {
        // Expert 0 has replicas on GPUs 0 and 1 (both node 0).
        let scenario = try decode("""
            {"version": 1, "cluster": {"nodes": 2, "gpusPerNode": 2, "nicsPerNode": 2}, "model": {"experts": 4},
             "parallelism": {"tokensPerGPU": 2000, "placement": {"kind": "explicit", "gpuOfExpert": [[0, 1], 0, 2, 3]}},
             "routing": {"strategies": [{"name": "node-limited", "k": 2, "maxNodes": 1}]}}
            """)
        let detail = try Simulator.run(scenario).results[0].layers[0]
        let replicasOfExpert0 = detail.replicaTokens[0..<2]
        XCTAssertGreaterThan(replicasOfExpert0.min()!, 0, "both replicas of expert 0 get tokens")
        XCTAssertLessThanOrEqual(abs(replicasOfExpert0.first! - replicasOfExpert0.last!), 1, "split evenly")
    }

    func testNodeLimitedNeedsKExpertsOnTheUnionOfAnyMNodes() {
        XCTAssertThrowsError(try decode("""
            {"version": 1, "cluster": {"nodes": 2, "gpusPerNode": 1}, "model": {"experts": 2},
             "parallelism": {"tokensPerGPU": 8, "placement": {"kind": "explicit", "gpuOfExpert": [[0, 1], [1, 0]]}},
             "routing": {"strategies": [{"name": "node-limited", "k": 3, "maxNodes": 2}]}}
            """)) { error in
            XCTAssertTrue(String(describing: error).contains("routing.strategies[0].k: must be at most the fewest experts"),
                          String(describing: error))
        }
    }
}
