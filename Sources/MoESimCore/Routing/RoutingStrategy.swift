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
    /// limit, and always for SAM and expert choice, which route by them (node-limited routing scores nodes by
    /// exponentials, whose order the softmax's denominator does not change).
    public func makeRouter(gpusPerNode: Int, capacityFactor: Double?) -> any RoutingStrategy {
        let probabilities = capacityFactor != nil
        switch kind {
        case .switch: return SwitchRouting(gateProbabilities: probabilities)
        case .topk: return TopKRouting(k: k, normalize: normalize, gateProbabilities: probabilities)
        case .sam: return SAMRouting(k: k, deviceScore: deviceScore)
        case .nodeLimited:
            return NodeLimitedTopKRouting(k: k, maxNodes: maxNodes, gpusPerNode: gpusPerNode, gateProbabilities: probabilities)
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

/// Writes the k highest of `row[0 ..< count]`, the scores of experts `firstExpert ..< firstExpert + count`,
/// into `topExperts/topScores` (descending, lower expert id first on ties). Scores are finite.
///
/// Vectorised for k ≤ 8 and count a multiple of 8, each pass keeping the best value and its position in
/// 8 lanes. k = 1 is one pass. For 3 ≤ k ≤ 8 (and rows of at most 256) a first pass takes the maximum
/// of each lane: eight distinct experts score at least the smallest of them, so no expert below it can
/// be among the k best; the 8-expert blocks holding a score at or above it are gathered into scratch on
/// the stack (without branching on each block, about a third of them on router logits at 256 experts),
/// and k passes over them each take the best and strike it out. k = 2, and longer rows, run k passes
/// over the whole row, each skipping the experts already taken. Other rows, and k > 8, insert expert by
/// expert.
/// - Complexity: O(count + k · gathered) vector steps for 3 ≤ k ≤ 8, O(k · count) for k = 2 and long
///   rows, O(count · k) scalar otherwise; no heap allocation.
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
    // Constant k for the common cases lets the compiler unroll the passes.
    switch k {
    case 1: selectTopByPasses(row, count: count, k: 1, firstExpert: firstExpert, topExperts: topExperts, topScores: topScores)
    case 2: selectTopByPasses(row, count: count, k: 2, firstExpert: firstExpert, topExperts: topExperts, topScores: topScores)
    case _ where count > 8 * gatheredBlocks:
        selectTopByPasses(row, count: count, k: k, firstExpert: firstExpert, topExperts: topExperts, topScores: topScores)
    case 4: selectTopOfGathered(row, count: count, k: 4, firstExpert: firstExpert, topExperts: topExperts, topScores: topScores)
    case 8: selectTopOfGathered(row, count: count, k: 8, firstExpert: firstExpert, topExperts: topExperts, topScores: topScores)
    default: selectTopOfGathered(row, count: count, k: k, firstExpert: firstExpert, topExperts: topExperts, topScores: topScores)
    }
}

/// Blocks of 8 scores the gathered selection holds on the stack (1 KiB).
let gatheredBlocks = 32

/// The largest lane of `values`, and the lowest of `positions` among the lanes holding it.
@inline(__always)
private func bestLane(_ values: SIMD8<Float>, _ positions: SIMD8<Int32>) -> (value: Float, position: Int32) {
    var top4 = values.lowHalf
    top4.replace(with: values.highHalf, where: values.highHalf .> top4)
    let best = Swift.max(Swift.max(top4[0], top4[1]), Swift.max(top4[2], top4[3]))
    let candidates = positions.replacing(with: Int32.max, where: values .!= SIMD8(repeating: best))
    var low4 = candidates.lowHalf
    low4.replace(with: candidates.highHalf, where: candidates.highHalf .< low4)
    return (best, Swift.min(Swift.min(low4[0], low4[1]), Swift.min(low4[2], low4[3])))
}

/// k passes over the whole row, each skipping the experts already taken (see `selectTop`).
@inline(__always)
private func selectTopByPasses(_ row: UnsafePointer<Float>, count: Int, k: Int, firstExpert: Int32,
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
                values.replace(with: -.infinity, where: ids .== SIMD8(repeating: topExperts[taken] - firstExpert))
            }
            // Strictly greater: within a lane, the earlier (lower) id keeps a tie.
            let better = values .> bestValues
            bestValues.replace(with: values, where: better)
            bestIDs.replace(with: ids, where: better)
            ids &+= 8
            e += 8
        }
        let (best, position) = bestLane(bestValues, bestIDs)
        topExperts[slot] = firstExpert + position
        topScores[slot] = best
    }
}

/// The k best of `row[0 ..< count]` for 3 ≤ k ≤ 8 and count a multiple of 8, at most 8 · `gatheredBlocks`
/// (see `selectTop`).
@inline(__always)
private func selectTopOfGathered(_ row: UnsafePointer<Float>, count: Int, k: Int, firstExpert: Int32,
                                 topExperts: UnsafeMutablePointer<Int32>, topScores: UnsafeMutablePointer<Float>) {
    selectTopOfBlocks(row, blockCount: count / 8, blockStart: { Int32(truncatingIfNeeded: $0 &* 8) }, k: k,
                      firstExpert: firstExpert, topExperts: topExperts, topScores: topScores)
}

/// The k best (k ≤ 8) of the scores in `blockCount` blocks of 8, block b being `row[blockStart(b) ..< blockStart(b) + 8]`,
/// the scores of experts `firstExpert + blockStart(b) + 0 ..< 8`, written as `selectTop` writes them. Block starts ascend
/// and 1 ≤ blockCount ≤ `gatheredBlocks`: the blocks holding a score at or above the smallest lane maximum are
/// gathered on the stack and k passes over them each take the best and strike it out (see `selectTop`).
/// - Complexity: O(blockCount + k · gathered) vector steps; no heap allocation.
@inline(__always)
func selectTopOfBlocks(_ row: UnsafePointer<Float>, blockCount: Int, blockStart: (Int) -> Int32, k: Int, firstExpert: Int32,
                       topExperts: UnsafeMutablePointer<Int32>, topScores: UnsafeMutablePointer<Float>) {
    var laneMaxima = UnsafeRawPointer(row + Int(blockStart(0))).loadUnaligned(as: SIMD8<Float>.self)
    for block in 1..<blockCount {
        let values = UnsafeRawPointer(row + Int(blockStart(block))).loadUnaligned(as: SIMD8<Float>.self)
        laneMaxima.replace(with: values, where: values .> laneMaxima)
    }
    var low4 = laneMaxima.lowHalf
    low4.replace(with: laneMaxima.highHalf, where: low4 .> laneMaxima.highHalf)
    // A block is gathered when a score in it is above `bar`, i.e. at least the smallest lane maximum.
    let bar = SIMD8<Float>(repeating: Swift.min(Swift.min(low4[0], low4[1]), Swift.min(low4[2], low4[3])).nextDown)
    withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: gatheredBlocks) { blocks in
    withUnsafeTemporaryAllocation(of: Int32.self, capacity: gatheredBlocks) { blockStarts in
        var gathered = 0
        for block in 0..<blockCount {
            let start = blockStart(block)
            let values = UnsafeRawPointer(row + Int(start)).loadUnaligned(as: SIMD8<Float>.self)
            blocks[gathered] = values
            blockStarts[gathered] = start
            gathered += anyLane(of: values, above: bar) ? 1 : 0
        }
        // Positions in the gathered blocks ascend with expert ids, so the lowest position breaks ties.
        let laneOffsets = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
        for slot in 0..<k {
            var bestValues = blocks[0]
            var bestPositions = laneOffsets
            var positions = laneOffsets
            for block in 1..<gathered {
                positions &+= 8
                let values = blocks[block]
                let better = values .> bestValues
                bestValues.replace(with: values, where: better)
                bestPositions.replace(with: positions, where: better)
            }
            let (best, position) = bestLane(bestValues, bestPositions)
            let block = Int(position) / 8, lane = Int(position) % 8
            topExperts[slot] = firstExpert + blockStarts[block] + Int32(lane)
            topScores[slot] = best
            blocks[block][lane] = -.infinity  // struck out: at least 8 gathered scores beat every other
        }
    }
    }
}

/// The two highest values of `row[0 ..< count]`, highest first, for count a positive multiple of 8 (the values
/// `selectTop` would write for k = 2, without the experts): each lane keeps its two best, then halving.
/// - Complexity: O(count) vector steps; no heap allocation.
@inline(__always)
func topTwoValues(_ row: UnsafePointer<Float>, count: Int) -> (first: Float, second: Float) {
    var best = UnsafeRawPointer(row).loadUnaligned(as: SIMD8<Float>.self)
    var runnerUp = SIMD8<Float>(repeating: -.infinity)
    var e = 8
    while e < count {
        let values = UnsafeRawPointer(row + e).loadUnaligned(as: SIMD8<Float>.self)
        let lower = best.replacing(with: values, where: values .< best)
        runnerUp.replace(with: lower, where: lower .> runnerUp)
        best.replace(with: values, where: values .> best)
        e += 8
    }
    // The two best of two lanes' pairs: the larger best, and the larger of the smaller best and both runners-up.
    @inline(__always) func merge(_ best1: Float, _ second1: Float, _ best2: Float, _ second2: Float) -> (Float, Float) {
        (Swift.max(best1, best2), Swift.max(Swift.min(best1, best2), Swift.max(second1, second2)))
    }
    var best4 = best.lowHalf, runnerUp4 = runnerUp.lowHalf
    let highBest4 = best.highHalf, highRunnerUp4 = runnerUp.highHalf
    let lower4 = best4.replacing(with: highBest4, where: highBest4 .< best4)
    best4.replace(with: highBest4, where: highBest4 .> best4)
    runnerUp4.replace(with: highRunnerUp4, where: highRunnerUp4 .> runnerUp4)
    runnerUp4.replace(with: lower4, where: lower4 .> runnerUp4)
    let (a, b) = merge(best4[0], runnerUp4[0], best4[1], runnerUp4[1])
    let (c, d) = merge(best4[2], runnerUp4[2], best4[3], runnerUp4[3])
    return merge(a, b, c, d)
}

/// Whether some lane of `values` is above the same lane of `bars` (finite, no NaN). `bars − values` is
/// negative exactly there (a difference of distinct floats is never zero), so one integer minimum of the
/// sign bits answers; `any(values .> bars)` builds its mask lane by lane through memory.
@inline(__always)
func anyLane(of values: SIMD8<Float>, above bars: SIMD8<Float>) -> Bool {
    unsafeBitCast(bars - values, to: SIMD8<Int32>.self).min() < 0
}
