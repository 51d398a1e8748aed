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
    public var expertsPerToken: Int { k }

    /// A node-limited router. - Precondition: k ≥ 1, maxNodes ≥ 1, gpusPerNode ≥ 1.
    public init(k: Int, maxNodes: Int, gpusPerNode: Int) {
        precondition(k >= 1 && maxNodes >= 1 && gpusPerNode >= 1, "node-limited routing needs k, M, GPUs per node >= 1")
        self.k = k
        self.maxNodes = maxNodes
        self.gpusPerNode = gpusPerNode
    }

    /// Every slot's GPU is a replica of its expert on a chosen node.
    /// - Complexity: O(tokenCount · (replicas · ⌈k/M⌉ + N · M + E · k)) for N nodes; no allocation per token.
    public func route(scores: UnsafeBufferPointer<Float>, tokenCount: Int, placement: ExpertPlacement,
                      into buffer: inout RoutingBuffer) {
        let experts = placement.expertCount
        let gpus = placement.gpuCount
        let nodes = (gpus + gpusPerNode - 1) / gpusPerNode
        let perNode = (k + maxNodes - 1) / maxNodes
        let chosenCount = min(maxNodes, nodes)
        // Scratch, sized once per batch: exponentials, a node's best experts, the best nodes, chosen-node flags.
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: experts + perNode + chosenCount)
        let ids = UnsafeMutablePointer<Int32>.allocate(capacity: perNode + chosenCount)
        let chosen = UnsafeMutablePointer<Bool>.allocate(capacity: nodes)
        defer { scratch.deallocate(); ids.deallocate(); chosen.deallocate() }
        let exps = scratch, nodeTop = scratch + experts, nodeScores = scratch + experts + perNode
        let nodeTopIDs = ids, nodeIDs = ids + perNode
        var turns = [Int](repeating: 0, count: experts)
        buffer.reset(tokenCount: tokenCount, k: k)
        for token in 0..<tokenCount {
            let base = token * experts
            let (_, sum) = Softmax.exponentials(scores, base: base, count: experts, into: exps)
            // Score the nodes and keep the best M (descending, lower id first on ties).
            var kept = 0
            for node in 0..<nodes {
                var count = 0
                let hosted = placement.expertOffsets[node * gpusPerNode]..<placement.expertOffsets[min((node + 1) * gpusPerNode, gpus)]
                for index in hosted {
                    let expert = placement.expertsByGPU[index]
                    // An expert with two replicas on the node counts once.
                    if (0..<count).contains(where: { nodeTopIDs[$0] == expert }) { continue }
                    insertTop(expert: expert, score: scores[base + Int(expert)], k: perNode, count: &count,
                              topExperts: nodeTopIDs, topScores: nodeTop)
                }
                var score: Float = 0
                for i in 0..<count { score += exps[Int(nodeTopIDs[i])] }
                insertTop(expert: Int32(node), score: score, k: chosenCount, count: &kept,
                          topExperts: nodeIDs, topScores: nodeScores)
            }
            for node in 0..<nodes { chosen[node] = false }
            for i in 0..<kept { chosen[Int(nodeIDs[i])] = true }
            // Top-k among the experts that have a replica on a chosen node.
            let slots = token * k
            var count = 0
            buffer.experts.withUnsafeMutableBufferPointer { topExperts in
                buffer.probabilities.withUnsafeMutableBufferPointer { topScores in
                    for expert in 0..<experts where reachable(expert, placement, chosen) {
                        insertTop(expert: Int32(expert), score: scores[base + expert], k: k, count: &count,
                                  topExperts: topExperts.baseAddress! + slots, topScores: topScores.baseAddress! + slots)
                    }
                }
            }
            precondition(count == k, "node-limited routing needs at least k experts on the chosen nodes")
            for slot in slots..<slots + k {
                let expert = Int(buffer.experts[slot])
                buffer.probabilities[slot] = exps[expert] / sum
                // The expert's replicas on chosen nodes take its tokens in turn.
                let replicas = placement.replicaStart[expert]..<placement.replicaStart[expert + 1]
                var onChosen = 0
                for replica in replicas where chosen[Int(placement.replicaGPUs[replica]) / gpusPerNode] { onChosen += 1 }
                var pick = turns[expert] % onChosen
                turns[expert] += 1
                for replica in replicas where chosen[Int(placement.replicaGPUs[replica]) / gpusPerNode] {
                    if pick == 0 {
                        buffer.gpus[slot] = placement.replicaGPUs[replica]
                        break
                    }
                    pick -= 1
                }
            }
        }
    }

    /// Whether `expert` has a replica on a chosen node.
    @inline(__always)
    private func reachable(_ expert: Int, _ placement: ExpertPlacement, _ chosen: UnsafeMutablePointer<Bool>) -> Bool {
        for replica in placement.replicaStart[expert]..<placement.replicaStart[expert + 1]
        where chosen[Int(placement.replicaGPUs[replica]) / gpusPerNode] {
            return true
        }
        return false
    }
}
