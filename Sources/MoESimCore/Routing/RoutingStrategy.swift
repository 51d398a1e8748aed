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

    /// Routes as `route(scores:tokenCount:placement:into:)`, given also the device logits a trace may
    /// carry (`tokenCount × placement.gpuCount`, row-major; nil when it has none). A strategy that
    /// routes by device logits (SAM with `DeviceScore.trace`) implements this; the others ignore them.
    /// - Complexity: as `route(scores:tokenCount:placement:into:)`.
    func route(scores: UnsafeBufferPointer<Float>, deviceLogits: UnsafeBufferPointer<Float>?, tokenCount: Int,
               placement: ExpertPlacement, into buffer: inout RoutingBuffer)
}

extension RoutingStrategy {
    /// Ignores the device logits.
    public func route(scores: UnsafeBufferPointer<Float>, deviceLogits: UnsafeBufferPointer<Float>?, tokenCount: Int,
                      placement: ExpertPlacement, into buffer: inout RoutingBuffer) {
        route(scores: scores, tokenCount: tokenCount, placement: placement, into: &buffer)
    }
}

extension RoutingStrategySpec {
    /// The router this description names, for a cluster of `gpusPerNode` GPUs per node;
    /// `capacityFactor` (nil: none) sizes expert choice's per-expert capacity.
    /// Gate probabilities are computed only where the run uses them: to rank overflow under a capacity
    /// limit, and always for SAM, node-limited routing and expert choice, which route by them.
    public func makeRouter(gpusPerNode: Int, capacityFactor: Double?) -> any RoutingStrategy {
        let probabilities = capacityFactor != nil
        switch kind {
        case .switch: return SwitchRouting(gateProbabilities: probabilities)
        case .topk: return TopKRouting(k: k, normalize: normalize, gateProbabilities: probabilities)
        case .sam: return SAMRouting(k: k, deviceScore: deviceScore)
        case .nodeLimited: return NodeLimitedTopKRouting(k: k, maxNodes: maxNodes, gpusPerNode: gpusPerNode)
        case .expertChoice: return ExpertChoiceRouting(k: k, capacityFactor: capacityFactor ?? 1)
        case .hash: return HashRouting(gateProbabilities: probabilities)
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

/// Writes the k highest scores of `scores[base ..< base + count]` (descending, lower expert id
/// first on ties) into `topExperts/topScores`.
///
/// For small k it runs k vectorised passes over the row, each tracking the best value and its
/// expert id in 8 lanes and skipping the experts already taken. That beats inserting expert
/// by expert, whose branches mispredict on every new leader. Large k falls back to insertion.
/// - Complexity: O(k · count) vector steps for k ≤ 8, else O(count · k) scalar.
@inline(__always)
func selectTop(_ scores: UnsafeBufferPointer<Float>, base: Int, count: Int, k: Int,
               topExperts: UnsafeMutablePointer<Int32>, topScores: UnsafeMutablePointer<Float>) {
    let row = scores.baseAddress! + base
    guard k <= 8, count % 8 == 0 else {
        var filled = 0
        for e in 0..<count {
            insertTop(expert: Int32(e), score: row[e], k: k, count: &filled, topExperts: topExperts, topScores: topScores)
        }
        return
    }
    // Constant k for the common cases lets the compiler unroll the passes and the exclusion tests.
    switch k {
    case 1: selectTopVectorised(row, count: count, k: 1, topExperts: topExperts, topScores: topScores)
    case 2: selectTopVectorised(row, count: count, k: 2, topExperts: topExperts, topScores: topScores)
    default: selectTopVectorised(row, count: count, k: k, topExperts: topExperts, topScores: topScores)
    }
}

@inline(__always)
private func selectTopVectorised(_ row: UnsafePointer<Float>, count: Int, k: Int,
                                 topExperts: UnsafeMutablePointer<Int32>, topScores: UnsafeMutablePointer<Float>) {
    // Eight lanes: values, ids and their increments then fit in SSE registers without spilling.
    let laneOffsets = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
    for slot in 0..<k {
        var bestValues = SIMD8<Float>(repeating: -.infinity)
        var bestIDs = SIMD8<Int32>(repeating: Int32.max)
        var ids = laneOffsets
        var e = 0
        while e < count {
            var values = UnsafeRawPointer(row + e).loadUnaligned(as: SIMD8<Float>.self)
            for taken in 0..<slot {
                values.replace(with: -.infinity, where: ids .== SIMD8(repeating: topExperts[taken]))
            }
            // Strictly greater: within a lane, the earlier (lower) id keeps a tie.
            let better = values .> bestValues
            bestValues.replace(with: values, where: better)
            bestIDs.replace(with: ids, where: better)
            ids &+= 8
            e += 8
        }
        // Across lanes: the largest value, and the lowest id among lanes holding it.
        var top4 = bestValues.lowHalf
        top4.replace(with: bestValues.highHalf, where: bestValues.highHalf .> top4)
        let best = Swift.max(Swift.max(top4[0], top4[1]), Swift.max(top4[2], top4[3]))
        let candidates = bestIDs.replacing(with: Int32.max, where: bestValues .!= SIMD8(repeating: best))
        var low4 = candidates.lowHalf
        low4.replace(with: candidates.highHalf, where: candidates.highHalf .< low4)
        topExperts[slot] = Swift.min(Swift.min(low4[0], low4[1]), Swift.min(low4[2], low4[3]))
        topScores[slot] = best
    }
}

