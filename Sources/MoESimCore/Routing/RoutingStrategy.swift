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
/// - Complexity: see `selectTop(_:count:k:firstExpert:topExperts:topScores:)`.
@inline(__always)
func selectTop(_ scores: UnsafeBufferPointer<Float>, base: Int, count: Int, k: Int,
               topExperts: UnsafeMutablePointer<Int32>, topScores: UnsafeMutablePointer<Float>) {
    selectTop(scores.baseAddress! + base, count: count, k: k, firstExpert: 0, topExperts: topExperts, topScores: topScores)
}

/// Writes the k highest of `row[0 ..< count]`, the scores of experts `firstExpert ..< firstExpert + count`,
/// into `topExperts/topScores` (descending, lower expert id first on ties). Scores are finite.
///
/// k = 1 is one vectorised pass keeping the best value and its expert id in 8 lanes. For 2 ≤ k ≤ 8 a
/// first vectorised pass takes the maximum of each of the 8 lanes: eight distinct experts score at least
/// the smallest of them, so no expert below it can be among the k best. A second pass skips every
/// 8-expert block with no score at or above that threshold and inserts the others' candidates in
/// ascending id order; once k are held the threshold rises to just above the k-th best so far (a later,
/// higher id needs a strictly greater score). Rows whose length is not a multiple of 8, and k > 8, insert
/// expert by expert.
/// - Complexity: O(count) vector steps plus O(k) per candidate for k ≤ 8, else O(count · k) scalar.
@inline(__always)
func selectTop(_ row: UnsafePointer<Float>, count: Int, k: Int, firstExpert: Int32,
               topExperts: UnsafeMutablePointer<Int32>, topScores: UnsafeMutablePointer<Float>) {
    guard k <= 8, count % 8 == 0, count > 0 else {
        var filled = 0
        for e in 0..<count {
            insertTop(expert: firstExpert + Int32(e), score: row[e], k: k, count: &filled,
                      topExperts: topExperts, topScores: topScores)
        }
        return
    }
    // Constant k for the common cases lets the compiler unroll the insertions.
    switch k {
    case 1: selectBest(row, count: count, firstExpert: firstExpert, topExperts: topExperts, topScores: topScores)
    case 2: selectTopByThreshold(row, count: count, k: 2, firstExpert: firstExpert, topExperts: topExperts, topScores: topScores)
    case 4: selectTopByThreshold(row, count: count, k: 4, firstExpert: firstExpert, topExperts: topExperts, topScores: topScores)
    case 8: selectTopByThreshold(row, count: count, k: 8, firstExpert: firstExpert, topExperts: topExperts, topScores: topScores)
    default: selectTopByThreshold(row, count: count, k: k, firstExpert: firstExpert, topExperts: topExperts, topScores: topScores)
    }
}

/// The best score of `row[0 ..< count]` (count a multiple of 8) and the lowest expert id holding it.
@inline(__always)
private func selectBest(_ row: UnsafePointer<Float>, count: Int, firstExpert: Int32,
                        topExperts: UnsafeMutablePointer<Int32>, topScores: UnsafeMutablePointer<Float>) {
    // Eight lanes: values, ids and their increments then fit in SSE registers without spilling.
    var bestValues = SIMD8<Float>(repeating: -.infinity)
    var bestIDs = SIMD8<Int32>(repeating: Int32.max)
    var ids = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
    var e = 0
    while e < count {
        let values = UnsafeRawPointer(row + e).loadUnaligned(as: SIMD8<Float>.self)
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
    topExperts[0] = firstExpert + Swift.min(Swift.min(low4[0], low4[1]), Swift.min(low4[2], low4[3]))
    topScores[0] = best
}

/// The k best of `row[0 ..< count]` for 2 ≤ k ≤ 8 and count a multiple of 8 (see `selectTop`).
@inline(__always)
private func selectTopByThreshold(_ row: UnsafePointer<Float>, count: Int, k: Int, firstExpert: Int32,
                                  topExperts: UnsafeMutablePointer<Int32>, topScores: UnsafeMutablePointer<Float>) {
    var laneMaxima = UnsafeRawPointer(row).loadUnaligned(as: SIMD8<Float>.self)
    var e = 8
    while e < count {
        let values = UnsafeRawPointer(row + e).loadUnaligned(as: SIMD8<Float>.self)
        laneMaxima.replace(with: values, where: values .> laneMaxima)
        e += 8
    }
    var low4 = laneMaxima.lowHalf
    low4.replace(with: laneMaxima.highHalf, where: laneMaxima.highHalf .< low4)
    var threshold = Swift.min(Swift.min(low4[0], low4[1]), Swift.min(low4[2], low4[3]))
    var filled = 0
    e = 0
    while e < count {
        let values = UnsafeRawPointer(row + e).loadUnaligned(as: SIMD8<Float>.self)
        if any(values .>= SIMD8(repeating: threshold)) {
            for lane in 0..<8 where row[e + lane] >= threshold {
                insertTop(expert: firstExpert + Int32(e + lane), score: row[e + lane], k: k, count: &filled,
                          topExperts: topExperts, topScores: topScores)
                if filled == k { threshold = topScores[k - 1].nextUp }
            }
        }
        e += 8
    }
}

