import Foundation

/// The configurations `moesim plan` searches: a scenario document as the fixed part and a grid over what a user may
/// change (docs/commands.md, "plan"). The default axes, outermost first:
/// - `routing.strategies`: one strategy per point: Switch; top-k and SAM-k for k = 2, 4, … up to the largest k
///   the scenario lists (and that k); node-limited top-k with M = 1, 2, 4, … nodes, M below the most nodes searched;
/// - `parallelism.placement`: contiguous, round-robin, and replicated with one spare slot per GPU beyond what the
///   scenario's GPUs hold;
/// - `routing.capacityFactor`: none, 1, 1.5;
/// - `parallelism.microbatches`: 1, 2, 4;
/// - `cluster.nodes`: half, the same as and twice the scenario's (at least 1).
///
/// A `--set` axis replaces the default axis of the same key path or, for another path, is added after them (so
/// `--set routing.strategies[0].k=2,4` overrides the strategies' k). The document is run under the flow model
/// (`simulation.network` is set to "flow"), so that a point's micro-batches are valid.
public struct PlanSpace: Sendable {
    /// The grid of points.
    public let grid: SweepGrid
    /// The scenario's name.
    public let name: String

    /// The space over `document` (whose decoded form is `scenario`), with `overrides` from `--set`.
    /// - Throws: `SweepError.usage` when two `--set` axes share a key path or the grid is too large.
    /// - Complexity: O(size of the document + axis values).
    public init(document: JSONValue, baseDirectory: String, scenario: Scenario, overrides: [SweepAxis]) throws {
        name = scenario.name
        var axes = try PlanSpace.defaultAxes(for: scenario)
        for axis in overrides {
            if let index = axes.firstIndex(where: { $0.keyPaths == axis.keyPaths }) {
                axes[index] = axis
            } else {
                axes.append(axis)
            }
        }
        let flow: JSONValue
        do {
            flow = try ScenarioKeyPath("simulation.network").setting(.string(NetworkModelKind.flow.rawValue), in: document)
        } catch let problem as ScenarioKeyPath.Problem {
            throw SweepError.usage(problem.description)
        }
        grid = try SweepGrid(base: flow, baseDirectory: baseDirectory, axes: axes)
    }

    /// The default axes for `scenario` (see the type's documentation).
    /// - Complexity: O(E + G).
    static func defaultAxes(for scenario: Scenario) throws -> [SweepAxis] {
        let nodes = Array(Set([max(scenario.cluster.nodes / 2, 1), scenario.cluster.nodes, scenario.cluster.nodes * 2])).sorted()
        let largestK = scenario.strategies.map(\.k).max() ?? 1
        var ks: [Int] = []
        var k = 2
        while k < largestK { ks.append(k); k *= 2 }
        if largestK >= 2 { ks.append(largestK) }
        var maxNodes: [Int] = []
        var m = 1
        while m < nodes.last ?? 1 { maxNodes.append(m); m *= 2 }
        var strategies = [RoutingStrategySpec(kind: .switch, k: 1)]
        strategies += ks.map { RoutingStrategySpec(kind: .topk, k: $0) }
        strategies += ks.map { RoutingStrategySpec(kind: .sam, k: $0) }
        strategies += ks.flatMap { k in maxNodes.map { RoutingStrategySpec(kind: .nodeLimited, k: k, maxNodes: $0) } }

        let spare = scenario.basePlacement.maxExpertsPerGPU + 1
        let replicated = JSONValue.object([("kind", .string("replicated")), ("slotsPerGPU", .number(Double(spare)))])
        return [
            SweepAxis(keyPath: try ScenarioKeyPath("routing.strategies"), values: strategies.map { .array([Scenario.strategyDocument($0)]) },
                      labels: strategies.map(\.label)),
            SweepAxis(keyPath: try ScenarioKeyPath("parallelism.placement"),
                      values: [.string("contiguous"), .string("round-robin"), replicated],
                      labels: ["contiguous", "round-robin", "replicated (\(spare) slots)"]),
            try SweepAxis(parsing: "routing.capacityFactor=null,1,1.5"),
            try SweepAxis(parsing: "parallelism.microbatches=1,2,4"),
            try SweepAxis(parsing: "cluster.nodes=" + nodes.map(String.init).joined(separator: ",")),
        ]
    }
}
