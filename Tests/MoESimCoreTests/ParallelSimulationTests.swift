import Foundation
import XCTest
import MoESimCore

/// Pricing batches on several threads changes nothing: summaries, per-GPU and per-expert detail and
/// timelines are byte-identical to one thread's, for synthetic tokens and for a trace read in order.
final class ParallelSimulationTests: XCTestCase {
    private static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Everything a run writes, as text.
    private func outputs(_ scenario: Scenario, jobs: Int, timeline: Bool = false) throws -> [String] {
        var batches: [Int] = []
        let result = try Simulator.run(scenario, jobs: jobs, timeline: timeline) { done, _ in batches.append(done) }
        // A replicated placement's warm-up batches are reported first.
        var warmupSteps = 0
        if case let .replicated(_, _, warmup) = scenario.placement { warmupSteps = warmup }
        XCTAssertEqual(batches, Array(1...((warmupSteps + scenario.simulation.steps) * scenario.model.moeLayers)),
                       "progress reports each batch once, in order")
        return [CSVWriter.summary([result]), DetailCSV.perGPU(result), DetailCSV.perExpert(result)]
            + (result.timeline.map { [TimelineWriter.render($0)] } ?? [])
    }

    /// Several steps and layers, five strategies, a capacity limit, two micro-batches on the flow model, training.
    func testSyntheticRunIsIdenticalOnOneAndFourThreads() throws {
        let scenario = try Scenario.decode(JSONParser.parse("""
            {"version": 1, "name": "parallel",
             "cluster": {"preset": "dgx-h100", "nodes": 2},
             "model": {"hiddenSize": 512, "expertFFNSize": 1024, "experts": 32, "moeLayers": 3},
             "parallelism": {"tokensPerGPU": 96, "microbatches": 2},
             "routing": {"capacityFactor": 1.25, "strategies": [{"name": "switch"}, {"name": "topk", "k": 2},
                         {"name": "sam", "k": 2}, {"name": "node-limited", "k": 4, "maxNodes": 1},
                         {"name": "expert-choice", "k": 2}]},
             "trace": {"synthetic": {"zipf": 0.8}},
             "simulation": {"mode": "training", "steps": 3, "seed": 5}}
            """))
        let one = try outputs(scenario, jobs: 1, timeline: true)
        XCTAssertEqual(one.count, 4, "summary, two detail files and the timeline")
        XCTAssertEqual(try outputs(scenario, jobs: 4, timeline: true), one)
    }

    /// Replicas fitted on warm-up steps, then measured steps, on the analytical model.
    func testReplicatedPlacementIsIdenticalOnOneAndThreeThreads() throws {
        var scenario = try Scenario.load(file: Self.packageRoot.appendingPathComponent("scenarios/hot-experts-replicated.json").path)
        scenario.simulation.steps = 4
        XCTAssertEqual(try outputs(scenario, jobs: 3), try outputs(scenario, jobs: 1))
    }

    /// A trace is read front to back whichever thread asks for a batch.
    func testTraceReplayIsIdenticalOnOneAndThreeThreads() throws {
        let scenario = try Scenario.load(file: Self.packageRoot.appendingPathComponent("scenarios/trace-replay.json").path)
        XCTAssertEqual(try outputs(scenario, jobs: 3), try outputs(scenario, jobs: 1))
    }
}
