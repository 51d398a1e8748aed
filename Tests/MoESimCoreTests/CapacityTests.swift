import XCTest
@testable import MoESimCore

/// The capacity limit: no expert (or SAM device) over capacity, tokens conserved, the lowest scores dropped.
final class CapacityTests: XCTestCase {
    func testCapacityFormulas() {
        XCTAssertEqual(CapacityLimiter.expertCapacity(capacityFactor: 1.0, tokens: 1024, k: 2, experts: 64), 32)
        XCTAssertEqual(CapacityLimiter.expertCapacity(capacityFactor: 1.25, tokens: 100, k: 1, experts: 8), 16) // ⌈15.625⌉
        XCTAssertEqual(CapacityLimiter.deviceCapacity(capacityFactor: 1.0, tokens: 1000, devices: 8), 125)
        XCTAssertEqual(CapacityLimiter.deviceCapacity(capacityFactor: 1.1, tokens: 1000, devices: 8), 138) // ⌈137.5⌉
    }

    func testNoExpertOrDeviceExceedsCapacityAndSlotsAreConserved() {
        for seed in 0..<60 {
            let experts = 16, gpus = 4, tokens = 256
            let cf = [0.5, 1.0, 1.25, 2.0][seed % 4]
            var scores = TestSupport.randomScores(tokens: tokens, experts: experts, seed: UInt64(seed), ties: seed % 3 == 0)
            for t in 0..<tokens { scores[t * experts + 3] += 2 } // a hot expert forces overflow
            let placement = ExpertPlacement.contiguous(experts: experts, gpuCount: gpus)
            for (router, perDevice) in [(TopKRouting(k: 2) as any RoutingStrategy, false),
                                        (SAMRouting(k: 2) as any RoutingStrategy, true)] {
                var buffer = TestSupport.route(router, scores: scores, tokens: tokens, placement: placement)
                let capacity = perDevice
                    ? CapacityLimiter.deviceCapacity(capacityFactor: cf, tokens: tokens, devices: gpus)
                    : CapacityLimiter.expertCapacity(capacityFactor: cf, tokens: tokens, k: 2, experts: experts)
                var limiter = CapacityLimiter()
                let dropped = limiter.apply(to: &buffer, placement: placement, limit: .init(capacity: capacity, perDevice: perDevice))
                var perGroup = [Int](repeating: 0, count: perDevice ? gpus : experts)
                for slot in 0..<tokens * 2 where !buffer.dropped[slot] {
                    let expert = Int(buffer.experts[slot])
                    if perDevice {
                        if slot % 2 == 0 { perGroup[placement.primaryGPU(of: expert)] += 1 }
                    } else {
                        perGroup[expert] += 1
                    }
                }
                XCTAssertLessThanOrEqual(perGroup.max()!, capacity, "seed \(seed)")
                XCTAssertEqual(buffer.dropped.filter { $0 }.count, dropped, "seed \(seed)")
                let kept = perDevice ? perGroup.reduce(0, +) * 2 : perGroup.reduce(0, +)
                XCTAssertEqual(kept + dropped, tokens * 2, "routed + dropped must equal offered")
                if perDevice {
                    for t in 0..<tokens { XCTAssertEqual(buffer.dropped[2 * t], buffer.dropped[2 * t + 1], "SAM drops whole tokens") }
                }
            }
        }
    }

    func testLowestProbabilitiesAreDropped() {
        // Four tokens all want expert 0 with falling confidence; capacity 2 keeps the two most confident.
        let scores: [Float] = [5, 0, 4, 0, 3, 0, 6, 0]
        let placement = ExpertPlacement.contiguous(experts: 2, gpuCount: 1)
        var buffer = TestSupport.route(SwitchRouting(), scores: scores, tokens: 4, placement: placement)
        var limiter = CapacityLimiter()
        XCTAssertEqual(limiter.apply(to: &buffer, placement: placement, limit: .init(capacity: 2, perDevice: false)), 2)
        XCTAssertEqual(buffer.dropped, [false, true, true, false])
    }

    func testLargeCapacityFactorDropsNothing() throws {
        let limited = try TestSupport.scenario(zipf: 1.2, capacityFactor: "1000")
        let free = try TestSupport.scenario(zipf: 1.2)
        let a = try Simulator.run(limited), b = try Simulator.run(free)
        for (x, y) in zip(a.results, b.results) {
            XCTAssertEqual(x.droppedAssignments, 0)
            XCTAssertEqual(x.stepTimeMicros, y.stepTimeMicros)
            XCTAssertEqual(x.dispatchBytes, y.dispatchBytes)
        }
    }

    func testTightCapacityDropsAndReportsTheRate() throws {
        let scenario = try TestSupport.scenario(zipf: 1.2, capacityFactor: "1.0")
        for result in try Simulator.run(scenario).results {
            XCTAssertGreaterThan(result.droppedAssignments, 0, result.strategy.label)
            XCTAssertEqual(result.offeredAssignments, Int64(8 * 64 * result.strategy.k))
            XCTAssertEqual(result.dropRate, Double(result.droppedAssignments) / Double(result.offeredAssignments))
        }
    }
}
