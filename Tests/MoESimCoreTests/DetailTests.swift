import XCTest
@testable import MoESimCore

/// The per-GPU and per-expert detail adds up to the summary it explains.
final class DetailTests: XCTestCase {
    func testDetailIsConsistentWithTheSummary() throws {
        for (mode, cf, placement) in [("inference", "null", PlacementSpec.contiguous), ("training", "1.0", .roundRobin),
                                      ("inference", "1.25", .replicated(base: .contiguous, slotsPerGPU: 3, warmupSteps: 1))] {
            var scenario = try TestSupport.scenario(nodes: 2, experts: 32, zipf: 1.0,
                                                    strategies: #"[{"name":"switch"},{"name":"topk","k":2},{"name":"sam","k":2},{"name":"expert-choice","k":2}]"#,
                                                    capacityFactor: cf, mode: mode, layers: 2, steps: 2)
            scenario.placement = placement
            let result = try Simulator.run(scenario)
            for r in result.results {
                let label = "\(mode) \(placement.name) \(r.strategy.label)"
                XCTAssertEqual(r.layers.count, 2)
                let sent = r.layers.reduce(Int64(0)) { $0 + $1.bytesSent.reduce(0, +) }
                let received = r.layers.reduce(Int64(0)) { $0 + $1.bytesReceived.reduce(0, +) }
                XCTAssertEqual(sent, r.intraNodeBytes + r.interNodeBytes, label)
                XCTAssertEqual(received, sent, label)
                let kept = r.layers.reduce(Int64(0)) { $0 + $1.replicaTokens.reduce(0, +) }
                let dropped = r.layers.reduce(Int64(0)) { $0 + $1.expertDropped.reduce(0, +) }
                XCTAssertEqual(dropped, r.droppedAssignments, label)
                if r.strategy.kind != .expertChoice {
                    XCTAssertEqual(kept + dropped, r.offeredAssignments, "kept + dropped = offered: \(label)")
                }
                let tokensIn = r.layers.reduce(Int64(0)) { $0 + $1.tokensIn.reduce(0, +) }
                XCTAssertEqual(tokensIn * scenario.model.dispatchBytesPerToken, r.dispatchBytes / (mode == "training" ? 2 : 1),
                               "every dispatched copy arrives somewhere: \(label)")
                // Every GPU's compute + idle is the layer time of every step.
                let phases = Int64((r.stepTimeMicros * 1e3 * Double(scenario.simulation.steps)).rounded())
                for detail in r.layers {
                    for g in 0..<detail.placement.gpuCount {
                        XCTAssertGreaterThanOrEqual(detail.idleNanos[g], 0)
                    }
                }
                let perGPU = (0..<16).map { g in r.layers.reduce(Int64(0)) { $0 + $1.computeNanos[g] + $1.idleNanos[g] } }
                XCTAssertEqual(Set(perGPU), [phases], label)
            }
            let perExpert = DetailCSV.perExpert(result).split(separator: "\n")
            XCTAssertEqual(perExpert.first.map(String.init), DetailCSV.perExpertColumns.joined(separator: ","))
            let replicaRows = result.results.reduce(0) { $0 + $1.layers.reduce(0) { $0 + $1.placement.replicaCount } }
            XCTAssertEqual(perExpert.count, 1 + replicaRows)
            XCTAssertEqual(DetailCSV.perGPU(result).split(separator: "\n").count, 1 + 4 * 2 * 16)
        }
    }
}
