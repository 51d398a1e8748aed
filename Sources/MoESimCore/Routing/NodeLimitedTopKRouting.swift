import Foundation

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
        let nodes = (placement.gpuCount + gpusPerNode - 1) / gpusPerNode
        let perNode = (k + maxNodes - 1) / maxNodes
        let chosenCount = min(maxNodes, nodes)
        var nodeTop = [Float](repeating: 0, count: perNode)
        var nodeTopIDs = [Int32](repeating: 0, count: perNode)
        var nodeIDs = [Int32](repeating: 0, count: chosenCount)
        var nodeScores = [Float](repeating: 0, count: chosenCount)
        var chosen = [Bool](repeating: false, count: nodes)
        buffer.reset(tokenCount: tokenCount, k: k)
        for token in 0..<tokenCount {
            let base = token * experts
            let (maxLogit, sum) = Softmax.normaliser(scores, base: base, count: experts)
            // Score the nodes and keep the best M (descending, lower id first on ties).
            var kept = 0
            for node in 0..<nodes {
                var count = 0
                let hosted = placement.expertOffsets[node * gpusPerNode]
                    ..< placement.expertOffsets[min((node + 1) * gpusPerNode, placement.gpuCount)]
                for index in hosted {
                    let expert = placement.expertsByGPU[index]
                    nodeTopIDs.withUnsafeMutableBufferPointer { ids in
                        nodeTop.withUnsafeMutableBufferPointer { top in
                            insertTop(expert: expert, score: scores[base + Int(expert)], k: perNode, count: &count,
                                      topExperts: ids.baseAddress!, topScores: top.baseAddress!)
                        }
                    }
                }
                var score: Float = 0
                for i in 0..<count { score += expf(nodeTop[i] - maxLogit) }
                nodeIDs.withUnsafeMutableBufferPointer { ids in
                    nodeScores.withUnsafeMutableBufferPointer { top in
                        insertTop(expert: Int32(node), score: score, k: chosenCount, count: &kept,
                                  topExperts: ids.baseAddress!, topScores: top.baseAddress!)
                    }
                }
            }
            for node in 0..<nodes { chosen[node] = false }
            for i in 0..<kept { chosen[Int(nodeIDs[i])] = true }
            // Top-k among the experts that have a replica on a chosen node.
            let slots = token * k
            var count = 0
            buffer.experts.withUnsafeMutableBufferPointer { ids in
                buffer.probabilities.withUnsafeMutableBufferPointer { top in
                    for expert in 0..<experts where placement.replicas(of: expert).contains(where: {
                        chosen[Int($0) / gpusPerNode]
                    }) {
                        insertTop(expert: Int32(expert), score: scores[base + expert], k: k, count: &count,
                                  topExperts: ids.baseAddress! + slots, topScores: top.baseAddress! + slots)
                    }
                }
            }
            precondition(count == k, "node-limited routing needs at least k experts on the chosen nodes")
            for slot in slots..<slots + k {
                buffer.probabilities[slot] = expf(buffer.probabilities[slot] - maxLogit) / sum
                let replicas = placement.replicas(of: Int(buffer.experts[slot]))
                buffer.gpus[slot] = replicas.first { chosen[Int($0) / gpusPerNode] }!
            }
        }
    }
}
