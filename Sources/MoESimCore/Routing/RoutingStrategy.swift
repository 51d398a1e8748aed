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
/// expert id in 16 lanes and skipping the experts already taken. That beats inserting expert
/// by expert, whose branches mispredict on every new leader. Large k falls back to insertion.
/// - Complexity: O(k · count) vector steps for k ≤ 8, else O(count · k) scalar.
@inline(__always)
func selectTop(_ scores: UnsafeBufferPointer<Float>, base: Int, count: Int, k: Int,
               topExperts: UnsafeMutablePointer<Int32>, topScores: UnsafeMutablePointer<Float>) {
    let row = scores.baseAddress! + base
    guard k <= 8, count >= 16, count % 16 == 0 else {
        var filled = 0
        for e in 0..<count {
            insertTop(expert: Int32(e), score: row[e], k: k, count: &filled, topExperts: topExperts, topScores: topScores)
        }
        return
    }
    let laneOffsets = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    for slot in 0..<k {
        var bestValues = SIMD16<Float>(repeating: -.infinity)
        var bestIDs = SIMD16<Int32>(repeating: Int32.max)
        var ids = laneOffsets
        var e = 0
        while e < count {
            var values = UnsafeRawPointer(row + e).loadUnaligned(as: SIMD16<Float>.self)
            for taken in 0..<slot {
                values.replace(with: -.infinity, where: ids .== SIMD16(repeating: topExperts[taken]))
            }
            // Strictly greater: within a lane, the earlier (lower) id keeps a tie.
            let better = values .> bestValues
            bestValues.replace(with: values, where: better)
            bestIDs.replace(with: ids, where: better)
            ids &+= 16
            e += 16
        }
        // Across lanes: the largest value, and the lowest id among lanes holding it.
        let best = Softmax.largestLane(bestValues)
        let candidates = bestIDs.replacing(with: Int32.max, where: bestValues .!= SIMD16(repeating: best))
        var half8 = candidates.lowHalf
        half8.replace(with: candidates.highHalf, where: candidates.highHalf .< half8)
        var half4 = half8.lowHalf
        half4.replace(with: half8.highHalf, where: half8.highHalf .< half4)
        topExperts[slot] = Swift.min(Swift.min(half4[0], half4[1]), Swift.min(half4[2], half4[3]))
        topScores[slot] = best
    }
}

