import XCTest
@testable import MoESimCore

/// `moesim plan`'s search: deterministic for any number of jobs, every skipped point counted by reason, and the
/// winner of the analytical shortcut plus flow refinement equal to the winner of an exhaustive flow search.
final class PlanTests: XCTestCase {
    static let text = """
    {"version": 1, "name": "plan-test", "cluster": {"preset": "dgx-h100", "nodes": 2},
     "model": {"hiddenSize": 512, "expertFFNSize": 1024, "experts": 32, "moeLayers": 1},
     "parallelism": {"tokensPerGPU": 64},
     "routing": {"strategies": [{"name": "topk", "k": 4}]},
     "trace": {"synthetic": {"zipf": 1.0}}, "simulation": {"seed": 3}}
    """

    func space(_ sets: [String]) throws -> PlanSpace {
        let document = try JSONParser.parse(Self.text)
        return try PlanSpace(document: document, baseDirectory: "", scenario: try Scenario.decode(document),
                             overrides: try sets.map(SweepAxis.init(parsing:)))
    }

    func testDefaultAxesFollowTheScenario() throws {
        let grid = try space([]).grid
        XCTAssertEqual(grid.axes.map(\.name), ["routing.strategies", "parallelism.placement", "routing.capacityFactor",
                                               "parallelism.microbatches", "cluster.nodes"])
        // k up to the scenario's 4; node-limited M below the 4 nodes searched at most.
        XCTAssertEqual(grid.axes[0].labels, ["switch", "top-2", "top-4", "sam-2", "sam-4", "top-2, <=1 nodes",
                                             "top-2, <=2 nodes", "top-4, <=1 nodes", "top-4, <=2 nodes"])
        // 32 experts on 16 GPUs: 2 each, one spare slot.
        XCTAssertEqual(grid.axes[1].labels, ["contiguous", "round-robin", "replicated (3 slots)"])
        XCTAssertEqual(grid.axes[4].labels, ["1", "2", "4"])
        XCTAssertEqual(grid.pointCount, 9 * 3 * 3 * 3 * 3)
        // --set replaces the axis of its path and adds others after the defaults.
        let narrowed = try space(["cluster.nodes=2", "trace.synthetic.zipf=0,1"]).grid
        XCTAssertEqual(narrowed.axes.map(\.name).suffix(2), ["cluster.nodes", "trace.synthetic.zipf"])
        XCTAssertEqual(narrowed.pointCount, 9 * 3 * 3 * 3 * 1 * 2)
    }

    func testOutputIsIdenticalForOneAndFourJobs() throws {
        let space = try space(["parallelism.microbatches=1,2", "routing.capacityFactor=null,1", "cluster.nodes=1,2"])
        let outputs = try [1, 4].map { jobs -> String in
            let outcome = try PlanSearch.run(space, options: .init(refine: 6, jobs: jobs))
            return PlanReport.render(outcome, top: 6, format: .csv) + PlanReport.notes(outcome)
        }
        XCTAssertEqual(outputs[0], outputs[1])
        XCTAssertTrue(outputs[0].hasPrefix("rank,analytical_rank,routing.strategies,"), outputs[0])
    }

    func testSkippedPointsAreCountedByReason() throws {
        // SAM-4 needs 4 experts per GPU: invalid with 2 per GPU (2 nodes), valid with 4 (1 node); with a 10 GB
        // reserve, 8 GB of HBM is too little (the experts, 3 × 512 × 1024 × 2 B each, are tiny).
        let space = try space(["routing.strategies[0].name=sam", "routing.strategies[0].k=4", "parallelism.placement=contiguous",
                               "routing.capacityFactor=null,0.5", "parallelism.microbatches=1", "cluster.nodes=1,2",
                               "model.otherMemoryGB=10", "cluster.gpu.hbmGB=8,80"])
        XCTAssertEqual(space.grid.pointCount, 9 * 2 * 2 * 2)
        let outcome = try PlanSearch.run(space, options: .init(maxDropRate: 0.2, refine: 3, jobs: 2))
        // Every default strategy becomes SAM-4 ({"name": "sam", "k": 4}), which fits 1 node (4 experts per GPU) only;
        // the 4 node-limited ones keep their maxNodes, a key SAM does not take, so they are invalid everywhere.
        // Per (cf, HBM): 4 invalid node-limited points on each node count, 5 SAM-4 ones on 2 nodes: 2 × 2 × (8 + 5) = 52.
        // On 1 node the 5 SAM-4 points need over 10 GB (the reserve): over 8 GB of HBM for both cf (10); with 80 GB,
        // cf 0.5 drops over half the tokens, above the 20% limit (5), and the 5 without a limit are scored.
        XCTAssertEqual(outcome.skips.invalid, 52)
        XCTAssertEqual(outcome.skips.overMemory, 10)
        XCTAssertEqual(outcome.skips.overDropRate, 5)
        XCTAssertEqual(outcome.scored, 5)
        XCTAssertEqual(outcome.skips.total + outcome.scored, space.grid.pointCount)
        XCTAssertTrue(outcome.skips.firstInvalid?.contains("routing.strategies[0].k") ?? false, "\(outcome.skips)")
        XCTAssertTrue(outcome.skips.firstOverMemory?.contains("but has 8.000 GB of HBM") ?? false, "\(outcome.skips)")
        XCTAssertTrue(PlanReport.notes(outcome).contains("67 skipped (52 invalid, 10 over HBM, 5 over the drop-rate limit)"),
                      PlanReport.notes(outcome))
    }

    func testTheWinnerEqualsTheExhaustiveFlowWinner() throws {
        let space = try space(["parallelism.microbatches=1,2", "routing.capacityFactor=null", "cluster.nodes=1,2"])
        let outcome = try PlanSearch.run(space, options: .init(refine: 8, jobs: 2))
        var best: (time: Double, point: Int)?
        for point in 0..<space.grid.pointCount {
            guard let scenario = try? space.grid.scenario(at: point) else { continue }
            let time = try Simulator.run(scenario).results[0].stepTimeMicros
            if let current = best, (current.time, current.point) <= (time, point) { continue }
            best = (time, point)
        }
        XCTAssertEqual(outcome.ranked.first?.point, best?.point)
        XCTAssertEqual(outcome.ranked.first?.flow?.stepTimeMicros, best?.time)
        XCTAssertLessThan(outcome.ranked.count, outcome.scored, "the test must exercise the analytical shortcut")
    }

    func testGroupedAnalyticalRunsEqualEachPointRunAlone() throws {
        // The search scores points that differ only in strategy (or micro-batches) in one run; each point's result
        // must be what its own analytical run gives, with the replicated placement's warm-up fit included.
        let space = try space(["routing.capacityFactor=null,1", "cluster.nodes=1,2", "parallelism.microbatches=1,2"])
        let outcome = try PlanSearch.run(space, options: .init(refine: space.grid.pointCount, jobs: 2))
        XCTAssertGreaterThan(outcome.ranked.count, 100)
        for candidate in outcome.ranked {
            var alone = candidate.scenario
            alone.simulation.network = .analytical
            alone.microbatches = 1
            XCTAssertEqual(candidate.analytical, try Simulator.run(alone).results[0],
                           PlanSearch.describe(space.grid, candidate.point))
        }
    }

    func testParetoFrontKeepsTheConfigurationsNothingBeatsOnBothAxes() {
        typealias Entry = PlanPlot.Entry
        let entries = [Entry(x: 16, stepTimeMicros: 900), Entry(x: 8, stepTimeMicros: 1000), Entry(x: 16, stepTimeMicros: 700),
                       Entry(x: 32, stepTimeMicros: 800), Entry(x: 8, stepTimeMicros: 1200), Entry(x: 64, stepTimeMicros: 650),
                       Entry(x: 64, stepTimeMicros: 650)]
        // (32, 800) is beaten by (16, 700); the duplicate (64, 650) appears once; at each x the fastest.
        XCTAssertEqual(PlanPlot.front(entries), [Entry(x: 8, stepTimeMicros: 1000), Entry(x: 16, stepTimeMicros: 700),
                                                 Entry(x: 64, stepTimeMicros: 650)])
    }
}
