/// Node-limited top-k routing, as in DeepSeek-V3: a token may reach at most M
/// nodes, so it crosses the inter-node fabric at most M times.
///
/// Each node is scored by the sum of the ⌈k / M⌉ highest gate probabilities
/// among the experts it hosts; the M best nodes are chosen (ties to the lower
/// node id); then the token takes its k highest-scoring experts among those
/// hosted on the chosen nodes (ties to the lower expert id). With M equal to
/// the node count this is plain top-k.
public struct NodeLimitedTopKRouting: RoutingStrategy {
    /// Experts per token.
    public let k: Int
    /// Most nodes a token may reach (M).
    public let maxNodes: Int
    /// GPUs per node, to map GPUs to nodes.
    public let gpusPerNode: Int
    /// Compute the chosen experts' gate probabilities (a softmax over all experts); when false they are left 0.
    /// Nodes are scored by exponentials whatever this says: the softmax's common denominator does not change
    /// their order.
    public let gateProbabilities: Bool
    public var expertsPerToken: Int { k }

    /// A node-limited router. - Precondition: k ≥ 1, maxNodes ≥ 1, gpusPerNode ≥ 1.
    public init(k: Int, maxNodes: Int, gpusPerNode: Int, gateProbabilities: Bool = true) {
        precondition(k >= 1 && maxNodes >= 1 && gpusPerNode >= 1, "node-limited routing needs k, M, GPUs per node >= 1")
        self.k = k
        self.maxNodes = maxNodes
        self.gpusPerNode = gpusPerNode
        self.gateProbabilities = gateProbabilities
    }

    /// Every slot's GPU is a replica of its expert on a chosen node; an expert with several replicas there
    /// deals its tokens over them in turn.
    ///
    /// Each node's experts (those with a replica on it, each once, in ascending id order) are a range of a
    /// node-ordered row: the row itself for a contiguous placement, else a gathered copy. A node's best experts
    /// come from one vectorised selection over its range; the top k from one selection over the row when every
    /// node is chosen, else from one selection over the chosen nodes' blocks of 8 when the placement is
    /// contiguous, k ≤ 8 and every node hosts a multiple of 8 experts, else from merging the chosen nodes' own
    /// top k (each expert once, lower id first on ties). Only the exponentials needed are computed, beside the
    /// vectorised sum when gate probabilities are asked for.
    /// - Complexity: O(tokenCount · (R + N · M + k · R / N)) vector steps for N nodes and R (expert, node) pairs
    ///   (E without replicas); no allocation per token.
    public func route(scores: UnsafeBufferPointer<Float>, tokenCount: Int, placement: ExpertPlacement,
                      into buffer: inout RoutingBuffer) {
        buffer.reset(tokenCount: tokenCount, k: k)
        let layout = NodeLayout(placement, gpusPerNode: gpusPerNode)
        select(scores: scores, tokenCount: tokenCount, placement: placement, layout: layout, into: &buffer)
    }

    /// Where each node's experts are in a node-ordered row: node n's experts (those with a replica on it, each
    /// once), ascending, are the first `counts[n]` of `order[starts[n] ..< starts[n + 1]]`, the rest padding (-1,
    /// read as a score of -infinity) up to a multiple of 8 so that vectorised selections apply. `order` is nil
    /// when the row itself is node-ordered: a contiguous placement without replicas whose nodes each host a
    /// multiple of 8 experts.
    private struct NodeLayout {
        let starts: [Int]
        let counts: [Int]
        let order: [Int32]?

        /// The layout of `placement`.
        /// - Complexity: O(R log R + G) for R replicas.
        init(_ placement: ExpertPlacement, gpusPerNode: Int) {
            let experts = placement.expertCount, gpus = placement.gpuCount
            let nodes = (gpus + gpusPerNode - 1) / gpusPerNode
            let hosted = (0..<nodes).map { node in
                Set(placement.expertsByGPU[placement.expertOffsets[node * gpusPerNode]..<placement.expertOffsets[min((node + 1) * gpusPerNode, gpus)]]).sorted()
            }
            counts = hosted.map(\.count)
            let identity = hosted.joined().elementsEqual((0..<experts).lazy.map(Int32.init)) && counts.allSatisfy { $0 % 8 == 0 }
            var order: [Int32] = []
            var starts = [0]
            for list in hosted {
                order += list
                if !identity { order += [Int32](repeating: -1, count: (8 - list.count % 8) % 8) }
                starts.append(order.count)
            }
            self.starts = starts
            self.order = identity ? nil : order
        }

        /// Length of the node-ordered row.
        var length: Int { starts.last ?? 0 }
    }

    /// The experts of every token and their GPUs (see `route`).
    private func select(scores: UnsafeBufferPointer<Float>, tokenCount: Int, placement: ExpertPlacement,
                        layout: NodeLayout, into buffer: inout RoutingBuffer) {
        let experts = placement.expertCount
        let nodeStarts = layout.starts, nodeCounts = layout.counts
        let nodes = nodeStarts.count - 1
        let perNode = (k + maxNodes - 1) / maxNodes
        let chosenCount = min(maxNodes, nodes)
        // Scratch, sized once per batch: each node's best experts (up to k), node scores, the best nodes, flags,
        // and the node-ordered row when the placement is not contiguous.
        let nodeTopScores = UnsafeMutablePointer<Float>.allocate(capacity: nodes * k + chosenCount + layout.length)
        let nodeTopIDs = UnsafeMutablePointer<Int32>.allocate(capacity: nodes * k + chosenCount + gatheredBlocks)
        let chosen = UnsafeMutablePointer<Bool>.allocate(capacity: nodes)
        defer { nodeTopScores.deallocate(); nodeTopIDs.deallocate(); chosen.deallocate() }
        let keptScores = nodeTopScores + nodes * k, keptIDs = nodeTopIDs + nodes * k
        let gathered = keptScores + chosenCount
        // The chosen nodes' experts in blocks of 8 (their first ids), when they fit one gathered selection.
        let blockStarts = keptIDs + chosenCount
        let mostBlocks = (0..<nodes).map { (nodeStarts[$0 + 1] - nodeStarts[$0]) / 8 }.max() ?? 0
        let selectsBlocks = layout.order == nil && k <= 8 && chosenCount * mostBlocks <= gatheredBlocks
            && (0..<nodes).allSatisfy { (nodeStarts[$0 + 1] - nodeStarts[$0]) % 8 == 0 }
        let gateProbabilities = self.gateProbabilities
        let hasReplicas = placement.replicaCount > experts
        var turns = [Int](repeating: 0, count: hasReplicas ? experts : 0)
        layout.order.withUnsafeBufferPointerIfPresent { order in
        buffer.gpus.withUnsafeMutableBufferPointer { gpusBuffer in
        buffer.experts.withUnsafeMutableBufferPointer { topExpertsBuffer in
        buffer.probabilities.withUnsafeMutableBufferPointer { topScoresBuffer in
            for token in 0..<tokenCount {
                let row = scores.baseAddress! + token * experts
                // The row in node order: node n's experts, ascending, at nodeStarts[n] ..< nodeStarts[n + 1].
                var nodeRow = row
                if let order {
                    for position in 0..<order.count {
                        let expert = order[position]
                        gathered[position] = expert < 0 ? -.infinity : row[Int(expert)]
                    }
                    nodeRow = UnsafePointer(gathered)
                }
                // Each node's best ⌈k/M⌉ scores (descending; which experts they are matters below only when the
                // node is chosen); the row's max among them.
                var maxLogit = -Float.infinity
                for node in 0..<nodes where nodeCounts[node] > 0 {
                    let hosted = nodeStarts[node + 1] - nodeStarts[node]  // padding included
                    if perNode == 2 && hosted % 8 == 0 {  // DeepSeek-V3's k = 8 of M = 4: only the values count
                        (nodeTopScores[node * k], nodeTopScores[node * k + 1]) = topTwoValues(nodeRow + nodeStarts[node], count: hosted)
                    } else {
                        selectTop(nodeRow + nodeStarts[node], count: hosted, k: min(perNode, nodeCounts[node]),
                                  firstExpert: Int32(nodeStarts[node]), topExperts: nodeTopIDs + node * k,
                                  topScores: nodeTopScores + node * k)
                    }
                    maxLogit = Swift.max(maxLogit, nodeTopScores[node * k])
                }
                // Score the nodes and keep the best M (descending, lower id first on ties).
                var kept = 0
                for node in 0..<nodes {
                    var score: Float = 0
                    for i in 0..<min(perNode, nodeCounts[node]) {
                        score += Softmax.exp(nodeTopScores[node * k + i] - maxLogit)
                    }
                    insertTop(expert: Int32(node), score: score, k: chosenCount, count: &kept,
                              topExperts: keptIDs, topScores: keptScores)
                }
                for node in 0..<nodes { chosen[node] = false }
                for i in 0..<kept { chosen[Int(keptIDs[i])] = true }
                // Top-k among the chosen nodes' experts: over the row when every node is chosen, else merging
                // the chosen nodes' own top k, lower expert id first on equal scores.
                let slots = token * k
                let topExperts = topExpertsBuffer.baseAddress! + slots, topScores = topScoresBuffer.baseAddress! + slots
                var count = 0
                if kept == nodes {
                    selectTop(row, count: experts, k: k, firstExpert: 0, topExperts: topExperts, topScores: topScores)
                    count = k
                } else if selectsBlocks {
                    // Ascending node order makes block starts, hence positions, ascend with expert ids.
                    var blockCount = 0
                    for node in 0..<nodes where chosen[node] {
                        for start in stride(from: nodeStarts[node], to: nodeStarts[node + 1], by: 8) {
                            blockStarts[blockCount] = Int32(start)
                            blockCount += 1
                        }
                    }
                    if blockCount > 0 {  // then at least 8 ≥ k experts
                        selectTopOfBlocks(row, blockCount: blockCount, blockStart: { blockStarts[$0] }, k: k, firstExpert: 0,
                                          topExperts: topExperts, topScores: topScores)
                        count = k
                    }
                } else {
                    for node in 0..<nodes where chosen[node] && nodeCounts[node] > 0 {
                        let hosted = nodeStarts[node + 1] - nodeStarts[node]
                        let length = min(k, nodeCounts[node])
                        selectTop(nodeRow + nodeStarts[node], count: hosted, k: length, firstExpert: Int32(nodeStarts[node]),
                                  topExperts: nodeTopIDs + node * k, topScores: nodeTopScores + node * k)
                        for i in 0..<length {
                            let position = Int(nodeTopIDs[node * k + i])
                            let expert = order.map { $0[position] } ?? Int32(position)
                            // An expert with replicas on two chosen nodes counts once.
                            if hasReplicas && (0..<count).contains(where: { topExperts[$0] == expert }) { continue }
                            insertTopLowerIDFirst(expert: expert,
                                                  score: nodeTopScores[node * k + i], k: k, count: &count,
                                                  topExperts: topExperts, topScores: topScores)
                        }
                    }
                }
                precondition(count == k, "node-limited routing needs at least k experts on the chosen nodes")
                if gateProbabilities {
                    let sum = Softmax.sumOfExponentials(row, count: experts, maxLogit: maxLogit, into: nil)
                    for slot in 0..<k { topScores[slot] = Softmax.exp(topScores[slot] - maxLogit) / sum }
                } else {
                    for slot in 0..<k { topScores[slot] = 0 }
                }
                guard hasReplicas else { continue }
                // The expert's replicas on chosen nodes take its tokens in turn.
                for slot in 0..<k {
                    let expert = Int(topExperts[slot])
                    let replicas = placement.replicaStart[expert]..<placement.replicaStart[expert + 1]
                    var onChosen = 0
                    for replica in replicas where chosen[Int(placement.replicaGPUs[replica]) / gpusPerNode] { onChosen += 1 }
                    var pick = turns[expert] % onChosen
                    turns[expert] += 1
                    for replica in replicas where chosen[Int(placement.replicaGPUs[replica]) / gpusPerNode] {
                        if pick == 0 {
                            gpusBuffer[slots + slot] = placement.replicaGPUs[replica]
                            break
                        }
                        pick -= 1
                    }
                }
            }
        }
        }
        }
        }
        guard !hasReplicas else { return }
        // One replica per expert, on a chosen node since the expert was taken from one.
        buffer.gpus.withUnsafeMutableBufferPointer { gpus in
            for slot in 0..<tokenCount * k { gpus[slot] = placement.replicaGPUs[Int(buffer.experts[slot])] }
        }
    }
}

/// Inserts `(expert, score)` into the descending top list `topExperts/topScores` of current length `count`
/// (capacity `k`), the lower expert id first on equal scores whatever order experts arrive in.
@inline(__always)
private func insertTopLowerIDFirst(expert: Int32, score: Float, k: Int, count: inout Int,
                                   topExperts: UnsafeMutablePointer<Int32>, topScores: UnsafeMutablePointer<Float>) {
    @inline(__always) func before(_ position: Int) -> Bool {
        score > topScores[position] || (score == topScores[position] && expert < topExperts[position])
    }
    if count == k && !before(k - 1) { return }
    var position = count == k ? k - 1 : count
    if count < k { count += 1 }
    while position > 0 && before(position - 1) {
        topExperts[position] = topExperts[position - 1]
        topScores[position] = topScores[position - 1]
        position -= 1
    }
    topExperts[position] = expert
    topScores[position] = score
}

extension Optional where Wrapped == [Int32] {
    /// Calls `body` with the array's buffer, or with nil.
    @inline(__always)
    fileprivate func withUnsafeBufferPointerIfPresent<R>(_ body: (UnsafeBufferPointer<Int32>?) throws -> R) rethrows -> R {
        guard let array = self else { return try body(nil) }
        return try array.withUnsafeBufferPointer { try body($0) }
    }
}
