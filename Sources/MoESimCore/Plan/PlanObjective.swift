/// What `moesim plan` optimises.
public enum PlanObjective: String, CaseIterable, Sendable {
    /// The shortest step.
    case stepTime = "step_time"
    /// The most tokens per second per GPU: tokensPerGPU / step time (differs from `stepTime` only when
    /// tokensPerGPU is searched).
    case tokensPerSecondPerGPU = "tokens_per_s_per_gpu"

    /// The point's score, lower is better: the step time in µs, or minus the tokens per second per GPU.
    /// - Complexity: O(1).
    public func score(_ scenario: Scenario, _ result: StrategyResult) -> Double {
        switch self {
        case .stepTime: return result.stepTimeMicros
        case .tokensPerSecondPerGPU: return -PlanObjective.tokensPerSecondPerGPU(scenario, result)
        }
    }

    /// Tokens each GPU routes per second: tokensPerGPU per step time.
    public static func tokensPerSecondPerGPU(_ scenario: Scenario, _ result: StrategyResult) -> Double {
        result.stepTimeMicros > 0 ? Double(scenario.tokensPerGPU) / (result.stepTimeMicros * 1e-6) : 0
    }
}
