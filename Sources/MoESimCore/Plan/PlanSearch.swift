import Foundation

/// One configuration `moesim plan` scored: its grid point, its scenario and its predictions.
public struct PlanCandidate: Sendable {
    /// The point's index in the plan's grid.
    public let point: Int
    /// The point's scenario, under the flow model (its `strategies` hold the point's one strategy).
    public let scenario: Scenario
    /// Its predictions under the analytical model (one batch, no micro-batch overlap).
    public let analytical: StrategyResult
    /// Its 1-based rank by the analytical score among every scored point.
    public let analyticalRank: Int
    /// Its predictions under the flow model (set for the refined points).
    public var flow: StrategyResult?
}

/// How many points `moesim plan` left out, and why; never silent.
public struct PlanSkips: Equatable, Sendable {
    /// Points whose scenario is invalid (e.g. SAM-k with fewer than k experts on a GPU, maxNodes above nodes).
    public var invalid = 0
    /// Points whose GPUs need more memory than their HBM holds.
    public var overMemory = 0
    /// Points whose drop rate exceeds `--max-drop-rate`.
    public var overDropRate = 0
    /// The first invalid point's message, for the report.
    public var firstInvalid: String?
    /// The first over-memory point's message, for the report.
    public var firstOverMemory: String?

    /// All skipped points.
    public var total: Int { invalid + overMemory + overDropRate }
}

/// A scored point in brief, for the Pareto front of `PlanPlot`.
public struct PlanPointSummary: Equatable, Sendable {
    /// The point's index in the plan's grid.
    public let point: Int
    /// Its GPUs.
    public let gpus: Int
    /// Its drop rate under the analytical model.
    public let dropRate: Double
    /// Its step time under the analytical model, µs.
    public let analyticalStepTimeMicros: Double
}

/// The result of a plan: the refined points ranked under the flow model, and what was skipped.
public struct PlanOutcome: Sendable {
    /// The space searched.
    public let space: PlanSpace
    /// The objective ranked by.
    public let objective: PlanObjective
    /// Points scored under the analytical model.
    public let scored: Int
    /// Points left out, by reason.
    public let skips: PlanSkips
    /// The refined points, best first under the flow model (ties: the lower grid point first).
    public let ranked: [PlanCandidate]
    /// Every scored point (not skipped), in grid order.
    public let scoredPoints: [PlanPointSummary]

    /// The refined points whose place under the flow model differs from their analytical one, as
    /// (candidate, analytical place among the refined, flow place), both 1-based, in flow order.
    public var reordered: [(candidate: PlanCandidate, analyticalPlace: Int, flowPlace: Int)] {
        let byAnalytical = ranked.sorted { $0.analyticalRank < $1.analyticalRank }.map(\.point)
        return ranked.enumerated().compactMap { place, candidate in
            let before = (byAnalytical.firstIndex(of: candidate.point) ?? place) + 1
            return before == place + 1 ? nil : (candidate, before, place + 1)
        }
    }
}

/// `moesim plan`'s search: every point of a `PlanSpace` scored with the analytical model, the best `refine`
/// re-run with the flow model and ranked by that (docs/commands.md, "plan").
public enum PlanSearch {
    /// What a search is asked.
    public struct Options: Sendable {
        /// What to optimise.
        public var objective: PlanObjective
        /// Points whose drop rate exceeds this are skipped; nil for no limit.
        public var maxDropRate: Double?
        /// How many of the best analytical points are re-run under the flow model.
        public var refine: Int
        /// Points simulated at once.
        public var jobs: Int

        /// Options for a search.
        public init(objective: PlanObjective = .stepTime, maxDropRate: Double? = nil, refine: Int = 20, jobs: Int = 1) {
            self.objective = objective
            self.maxDropRate = maxDropRate
            self.refine = refine
            self.jobs = jobs
        }
    }

    /// One point's fate when its document is decoded.
    private enum Decoding: Sendable {
        case valid(Scenario)
        case invalid(String)
        case overMemory(String)
    }

    /// Points whose analytical runs share their tokens: the same scenario but for the strategy (and the
    /// micro-batches, which the analytical model does not see), run once with all their strategies.
    private struct AnalyticalGroup: Sendable {
        /// The analytical scenario of every member, with the group's distinct strategies in first-seen order.
        var scenario: Scenario
        /// The members, in point order, each with the index of its strategy in `scenario.strategies`.
        var members: [(point: Int, strategy: Int)] = []

        /// The group's share of the work, for scheduling: token routings per batch.
        var work: Int { scenario.cluster.gpuCount * scenario.tokensPerGPU * scenario.strategies.count }
    }

    /// Runs the search. `progress` is called on the calling thread with (phase, done, total); phase is
    /// "analytical" or "flow".
    ///
    /// Points that differ only in their strategy or micro-batches are scored by one analytical run of all their
    /// strategies: the strategies of one run see the same tokens, so each strategy's result is the one its own
    /// run would give (`PlanTests` checks it), while the scores are generated once instead of once per point.
    /// - Throws: `TraceError` when a trace file turns out corrupt while it is replayed.
    /// - Complexity: one decode per point, one analytical run per group of points sharing all but their strategy
    ///   and micro-batches, and one flow run per refined point, over `jobs` threads; the output does not depend
    ///   on `jobs`.
    public static func run(_ space: PlanSpace, options: Options,
                           progress: (String, Int, Int) -> Void = { _, _, _ in }) throws -> PlanOutcome {
        let grid = space.grid
        var skips = PlanSkips()
        var groups: [AnalyticalGroup] = []
        var scenarios = [Scenario?](repeating: nil, count: grid.pointCount)
        try OrderedParallelMap.run(count: grid.pointCount, jobs: options.jobs, work: { point in
            decode(grid, point)
        }, deliver: { point, decoding in
            switch decoding {
            case .valid(let scenario):
                scenarios[point] = scenario
                add(point: point, scenario: scenario, to: &groups)
            case .invalid(let message):
                skips.invalid += 1
                if skips.firstInvalid == nil { skips.firstInvalid = "point \(point) (\(describe(grid, point))): \(message)" }
            case .overMemory(let message):
                skips.overMemory += 1
                if skips.firstOverMemory == nil { skips.firstOverMemory = "point \(point) (\(describe(grid, point))): \(message)" }
            }
        })

        var analytical = [StrategyResult?](repeating: nil, count: grid.pointCount)
        let validPoints = groups.reduce(0) { $0 + $1.members.count }
        var pointsDone = 0
        // Longest first (tokens × strategies), so that no long group starts last and leaves the other threads idle.
        let frozenGroups = groups.enumerated().sorted { a, b in
            let (x, y) = (a.element.work, b.element.work)
            return x != y ? x > y : a.offset < b.offset
        }.map(\.element)
        try OrderedParallelMap.run(count: groups.count, jobs: options.jobs, work: { index in
            try results(of: frozenGroups[index])
        }, deliver: { index, outcomes in
            for (member, outcome) in zip(frozenGroups[index].members, outcomes) {
                switch outcome {
                case .success(let result): analytical[member.point] = result
                case .failure(let failure):
                    scenarios[member.point] = nil
                    skips.invalid += 1
                    if skips.firstInvalid == nil {
                        skips.firstInvalid = "point \(member.point) (\(describe(grid, member.point))): \(failure.message)"
                    }
                }
            }
            pointsDone += frozenGroups[index].members.count
            progress("analytical", pointsDone, validPoints)
        })

        var scored: [(point: Int, scenario: Scenario, result: StrategyResult, score: Double)] = []
        for point in 0..<grid.pointCount {
            guard let scenario = scenarios[point], let result = analytical[point] else { continue }
            if let limit = options.maxDropRate, result.dropRate > limit {
                skips.overDropRate += 1
            } else {
                scored.append((point, scenario, result, options.objective.score(scenario, result)))
            }
        }
        scored.sort { ($0.score, $0.point) < ($1.score, $1.point) }
        let best = scored.prefix(max(options.refine, 0)).enumerated().map { rank, entry in
            PlanCandidate(point: entry.point, scenario: entry.scenario, analytical: entry.result, analyticalRank: rank + 1)
        }
        var refined = best
        try OrderedParallelMap.run(count: best.count, jobs: options.jobs, work: { index in
            try Simulator.run(best[index].scenario).results[0]
        }, deliver: { index, result in
            refined[index].flow = result
            progress("flow", index + 1, best.count)
        })
        let objective = options.objective
        refined.sort { a, b in
            let (x, y) = (objective.score(a.scenario, a.flow ?? a.analytical), objective.score(b.scenario, b.flow ?? b.analytical))
            return (x, a.point) < (y, b.point)
        }
        let summaries = scored.sorted { $0.point < $1.point }.map {
            PlanPointSummary(point: $0.point, gpus: $0.scenario.cluster.gpuCount, dropRate: $0.result.dropRate,
                             analyticalStepTimeMicros: $0.result.stepTimeMicros)
        }
        return PlanOutcome(space: space, objective: objective, scored: scored.count, skips: skips, ranked: refined,
                           scoredPoints: summaries)
    }

    /// The point's axis values, "routing.strategies=top-2, cluster.nodes=4".
    static func describe(_ grid: SweepGrid, _ point: Int) -> String {
        zip(grid.axes, grid.labels(of: point)).map { "\($0.name)=\($1)" }.joined(separator: ", ")
    }

    /// Decodes point `point` (under the flow model, as the refinement runs it).
    private static func decode(_ grid: SweepGrid, _ point: Int) -> Decoding {
        do {
            return .valid(try Scenario.decode(try grid.document(at: point), baseDirectory: grid.baseDirectory))
        } catch let error as ScenarioError {
            if case let .invalid(_, keyPath, message) = error, keyPath == GPUMemoryNeed.capacityKeyPath {
                return .overMemory(message)
            }
            return .invalid(error.description)
        } catch {
            return .invalid("\(error)")
        }
    }

    /// Adds point `point` to the group of points whose analytical scenario equals its own but for the strategy,
    /// or to a new group.
    /// - Complexity: O(groups) scenario comparisons.
    private static func add(point: Int, scenario: Scenario, to groups: inout [AnalyticalGroup]) {
        var key = scenario
        key.simulation.network = .analytical
        key.microbatches = 1
        let strategy = key.strategies[0]
        key.strategies = []
        var index = groups.firstIndex { group in
            var other = group.scenario
            other.strategies = []
            return other == key
        }
        if index == nil {
            groups.append(AnalyticalGroup(scenario: key))
            index = groups.count - 1
        }
        let g = index!
        if let s = groups[g].scenario.strategies.firstIndex(of: strategy) {
            groups[g].members.append((point, s))
        } else {
            groups[g].scenario.strategies.append(strategy)
            groups[g].members.append((point, groups[g].scenario.strategies.count - 1))
        }
    }

    /// Each member's analytical result, or why it could not be run. The group runs as one scenario; if that
    /// fails (a `ScenarioError`: a simulated time out of range, too little memory for all strategies at
    /// once), each strategy runs alone, so that one bad strategy does not take the others with it.
    private static func results(of group: AnalyticalGroup) throws -> [Result<StrategyResult, RunFailure>] {
        let byStrategy: [Result<StrategyResult, RunFailure>]
        do {
            byStrategy = try Simulator.run(group.scenario).results.map { .success($0) }
        } catch is ScenarioError {
            byStrategy = try group.scenario.strategies.map { strategy in
                var alone = group.scenario
                alone.strategies = [strategy]
                do {
                    return .success(try Simulator.run(alone).results[0])
                } catch let error as ScenarioError {
                    return .failure(RunFailure(message: error.description))
                }
            }
        }
        return group.members.map { byStrategy[$0.strategy] }
    }

    /// Why a point's analytical run failed.
    private struct RunFailure: Error, Sendable {
        let message: String
    }
}
