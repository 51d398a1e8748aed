/// The predictions for one scenario: one result per routing strategy, in scenario order.
public struct ScenarioResult: Equatable, Sendable {
    /// The scenario simulated (with any command-line overrides applied).
    public var scenario: Scenario
    /// One result per entry of `scenario.strategies`, same order.
    public var results: [StrategyResult]
}
