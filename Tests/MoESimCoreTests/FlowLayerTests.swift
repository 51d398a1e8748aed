import Foundation
import XCTest
@testable import MoESimCore

/// The MoE layer as events on the flow network: overlap, critical path, timelines, fabrics.
final class FlowLayerTests: XCTestCase {
    /// A compute-heavy layer (1 expert of 4096 × 14336 per GPU, 2048 tokens per GPU) on `nodes` DGX H100 nodes.
    private func heavyScenario(nodes: Int = 2, seed: Int = 1, mode: String = "inference") throws -> Scenario {
        var scenario = try TestSupport.scenario(nodes: nodes, experts: 16 * nodes, tokensPerGPU: 2048, zipf: 0.5,
                                                seed: seed, mode: mode)
        scenario.model = MoEModelSpec(hiddenSize: 4096, expertFFNSize: 14336, experts: 16 * nodes, moeLayers: 1)
        return scenario
    }

    func testTwoMicrobatchesAreNeverSlowerAndHideCommunication() throws {
        for seed in 1...4 {
            for mode in ["inference", "training"] {
                var one = try heavyScenario(seed: seed, mode: mode)
                one.microbatches = 1
                var two = one
                two.microbatches = 2
                let single = try Simulator.run(one).results, split = try Simulator.run(two).results
                for (a, b) in zip(single, split) {
                    let label = "seed \(seed) \(mode) \(a.strategy.label)"
                    XCTAssertLessThanOrEqual(b.stepTimeMicros, a.stepTimeMicros, label)
                    // Compute dominates here, so a second micro-batch must hide communication.
                    XCTAssertGreaterThan(a.expertMicros, a.dispatchMicros + a.combineMicros, label)
                    XCTAssertLessThan(b.exposedCommunicationMicros, a.exposedCommunicationMicros, label)
                }
            }
        }
    }

    func testCriticalPathAddsUpToTheStep() throws {
        for microbatches in [1, 3] {
            var scenario = try TestSupport.scenario(nodes: 2, experts: 32, zipf: 1.2, mode: "training", layers: 2, steps: 2)
            scenario.microbatches = microbatches
            for r in try Simulator.run(scenario).results {
                XCTAssertEqual(r.gateMicros + r.dispatchMicros + r.expertMicros + r.combineMicros, r.stepTimeMicros,
                               accuracy: 1e-6, r.strategy.label)
                XCTAssertEqual(r.exposedCommunicationMicros, r.dispatchMicros + r.combineMicros, accuracy: 1e-6)
            }
        }
    }

    func testUniformDispatchMatchesTheAnalyticalModelAndNoBarrierHelpsAfterIt() throws {
        // Hash routing on one node: every GPU gates at once and sends the same bytes to every other,
        // so the dispatch phase equals the analytical bound exactly. Expert loads differ a little; without
        // the analytical model's barrier, GPUs that finish early send their combine early, so the
        // flow model's layer is never longer, and at least the busiest GPU's compute.
        var scenario = try TestSupport.scenario(nodes: 1, experts: 8, tokensPerGPU: 64, zipf: 0,
                                                strategies: #"[{"name":"hash"}]"#)
        let flow = try Simulator.run(scenario).results[0]
        scenario.simulation.network = .analytical
        let analytical = try Simulator.run(scenario).results[0]
        XCTAssertEqual(flow.gateMicros, analytical.gateMicros, accuracy: 1e-9)
        XCTAssertEqual(flow.dispatchMicros, analytical.dispatchMicros, accuracy: 1e-9)
        XCTAssertEqual(flow.dispatchBytes, analytical.dispatchBytes)
        XCTAssertLessThanOrEqual(flow.stepTimeMicros, analytical.stepTimeMicros)
        XCTAssertGreaterThanOrEqual(flow.stepTimeMicros, analytical.gateMicros + analytical.expertMicros)
    }

    func testOversubscriptionSlowsCrossLeafTrafficOnly() throws {
        for nodes in [1, 4] {
            let base = try heavyScenario(nodes: nodes)
            var oversubscribed = base
            oversubscribed.cluster.fabric = .fatTree(nodesPerLeaf: 1, oversubscription: 2)
            for (a, b) in zip(try Simulator.run(base).results, try Simulator.run(oversubscribed).results) {
                if nodes == 1 {
                    XCTAssertEqual(a.stepTimeMicros, b.stepTimeMicros, a.strategy.label)
                } else {
                    XCTAssertGreaterThan(b.dispatchMicros, a.dispatchMicros, a.strategy.label)
                    XCTAssertGreaterThan(b.stepTimeMicros, a.stepTimeMicros, a.strategy.label)
                }
            }
        }
    }

    func testTimelineParsesAndComputeSpansNeverOverlap() throws {
        var scenario = try TestSupport.scenario(nodes: 2, experts: 32, zipf: 1.0, mode: "training", layers: 2, steps: 2)
        scenario.microbatches = 2
        let result = try Simulator.run(scenario, timeline: true)
        let timeline = try XCTUnwrap(result.timeline)
        XCTAssertEqual(timeline.tracks.count, scenario.strategies.count)
        let json = TimelineWriter.render(timeline)
        let parsed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let events = try XCTUnwrap(parsed["traceEvents"] as? [[String: Any]])
        let spans = events.filter { $0["ph"] as? String == "X" }
        // 16 GPUs × 2 layers × 2 micro-batches × 4 kernels (gate, experts, experts-bwd, gate-bwd) per strategy.
        XCTAssertEqual(spans.count, scenario.strategies.count * 16 * 2 * 2 * 4)
        XCTAssertEqual(events.filter { $0["ph"] as? String == "b" }.count,
                       events.filter { $0["ph"] as? String == "e" }.count)
        for track in timeline.tracks {
            XCTAssertFalse(track.flows.isEmpty)
            for g in 0..<16 {
                let kernels = track.compute.filter { $0.gpu == g }.sorted { ($0.startNanos, $0.endNanos) < ($1.startNanos, $1.endNanos) }
                for (earlier, later) in zip(kernels, kernels.dropFirst()) {
                    XCTAssertLessThanOrEqual(earlier.endNanos, later.startNanos, "GPU \(g) compute spans overlap")
                }
            }
            // Every flow ends after it starts, and the layers follow each other.
            XCTAssertTrue(track.flows.allSatisfy { $0.endNanos > $0.startNanos })
            let layer0End = track.compute.filter { $0.layer == 0 }.map(\.endNanos).max() ?? 0
            let layer1Start = track.compute.filter { $0.layer == 1 }.map(\.startNanos).min() ?? 0
            XCTAssertLessThanOrEqual(layer0End, layer1Start)
        }
        XCTAssertTrue(spans.contains { ($0["name"] as? String) == "L1 experts-bwd mb1" })
    }

    func testEnginesRunSideBySideWithIdenticalResults() throws {
        let scenario = try TestSupport.scenario(nodes: 2, experts: 32, zipf: 1.0, layers: 2)
        let reference = CSVWriter.summary([try Simulator.run(scenario)])
        let outputs = UnsafeMutableBufferPointer<String>.allocate(capacity: 4)
        outputs.initialize(repeating: "")
        defer { outputs.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            outputs[i] = (try? Simulator.run(scenario)).map { CSVWriter.summary([$0]) } ?? "failed"
        }
        XCTAssertEqual(Set(outputs), [reference])
    }
}
