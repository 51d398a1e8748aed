/// The predictions for one scenario: one result per routing strategy, in scenario order.
public struct ScenarioResult: Sendable {
    /// The scenario simulated (with any command-line overrides applied).
    public var scenario: Scenario
    /// One result per entry of `scenario.strategies`, same order.
    public var results: [StrategyResult]
    /// Every kernel and flow of the first step, when asked for (flow model only).
    public var timeline: Timeline? = nil
}

extension ScenarioResult {
    /// Sets every result's `slowdownVsHealthy` to its step time over the matching result of `healthy`, the same
    /// scenario (same strategies, same tokens) without perturbations.
    /// - Complexity: O(strategies).
    mutating func compare(withHealthy healthy: ScenarioResult) {
        for s in results.indices {
            let base = healthy.results[s].stepTimeMicros
            results[s].slowdownVsHealthy = base > 0 ? results[s].stepTimeMicros / base : 1
        }
    }
}
