import Foundation

/// A router: turns each token's expert scores (logits) into k expert choices.
///
/// Implementations are small value types; routing is a pure function of the
/// scores and the placement (no time, no randomness). Ties between equal
/// scores go to the lower expert id, so results never depend on iteration order.
public protocol RoutingStrategy {
    /// Experts each token activates (slots per token in the buffer).
    var expertsPerToken: Int { get }

    /// Routes `tokenCount` tokens whose logits are the rows of `scores`
    /// (`tokenCount × placement.expertCount`, row-major) into `buffer`.
    /// - Complexity: O(tokenCount · E · k) at worst; no allocation per token.
    func route(scores: UnsafeBufferPointer<Float>, tokenCount: Int, placement: ExpertPlacement,
               into buffer: inout RoutingBuffer)
}

extension RoutingStrategySpec {
    /// The router this description names, for a cluster of `gpusPerNode` GPUs per node;
    /// `capacityFactor` (nil: none) sizes expert choice's per-expert capacity.
    public func makeRouter(gpusPerNode: Int, capacityFactor: Double?) -> any RoutingStrategy {
        switch kind {
        case .switch: return SwitchRouting()
        case .topk: return TopKRouting(k: k, normalize: normalize)
        case .sam: return SAMRouting(k: k, deviceScore: deviceScore)
        case .nodeLimited: return NodeLimitedTopKRouting(k: k, maxNodes: maxNodes, gpusPerNode: gpusPerNode)
        case .expertChoice: return ExpertChoiceRouting(k: k, capacityFactor: capacityFactor ?? 1)
        case .hash: return HashRouting()
        }
    }
}

/// Inserts `(expert, score)` into the descending top list `topExperts/topScores`
/// of current length `count` (capacity `k`). Strictly-greater comparisons keep the
/// earlier (lower) expert on ties when experts arrive in ascending order.
@inline(__always)
func insertTop(expert: Int32, score: Float, k: Int, count: inout Int,
               topExperts: UnsafeMutablePointer<Int32>, topScores: UnsafeMutablePointer<Float>) {
    if count == k && !(score > topScores[k - 1]) { return }
    var position = count == k ? k - 1 : count
    if count < k { count += 1 }
    while position > 0 && score > topScores[position - 1] {
        topExperts[position] = topExperts[position - 1]
        topScores[position] = topScores[position - 1]
        position -= 1
    }
    topExperts[position] = expert
    topScores[position] = score
}
