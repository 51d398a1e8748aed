/// The predictions for one scenario: one result per routing strategy, in scenario order.
public struct ScenarioResult: Sendable {
    /// The scenario simulated (with any command-line overrides applied).
    public var scenario: Scenario
    /// One result per entry of `scenario.strategies`, same order.
    public var results: [StrategyResult]
    /// Every kernel and flow of the first step, when asked for (flow model only).
    public var timeline: Timeline? = nil
}
