/// How a scenario places experts on GPUs (`parallelism.placement`).
public enum PlacementSpec: Equatable, Sendable {
    /// GPU g holds experts [g·E/G, (g+1)·E/G); needs E to be a multiple of G.
    case contiguous
    /// Expert e on GPU e mod G.
    case roundRobin
    /// The GPUs of each expert's replicas, as listed in the scenario (primary first).
    case explicit([[Int]])
    /// Start from `base`, then let the greedy balancer give hot experts extra replicas
    /// so that every GPU holds `slotsPerGPU` experts, fitted on the loads of the first
    /// `warmupSteps` warm-up steps drawn before (and apart from) the measured ones (see `ReplicationBalancer`).
    case replicated(base: BasePlacement, slotsPerGPU: Int, warmupSteps: Int)

    /// The layouts a replicated placement can start from.
    public enum BasePlacement: String, CaseIterable, Sendable {
        case contiguous
        case roundRobin = "round-robin"
    }

    /// The placement before any load balancing.
    public func basePlacement(experts: Int, gpuCount: Int) -> ExpertPlacement {
        switch self {
        case .contiguous, .replicated(base: .contiguous, _, _):
            return .contiguous(experts: experts, gpuCount: gpuCount)
        case .roundRobin, .replicated(base: .roundRobin, _, _):
            return .roundRobin(experts: experts, gpuCount: gpuCount)
        case .explicit(let replicas):
            return ExpertPlacement(replicas: replicas, gpuCount: gpuCount)
        }
    }

    /// A short name for reports: contiguous, round-robin, explicit, replicated.
    public var name: String {
        switch self {
        case .contiguous: return "contiguous"
        case .roundRobin: return "round-robin"
        case .explicit: return "explicit"
        case .replicated: return "replicated"
        }
    }
}

extension ExpertPlacement {
    /// The fewest distinct experts that any `nodes` nodes host together (node-limited routing
    /// needs at least k of them on whichever nodes it picks). Exact when no expert has replicas
    /// on two nodes, or when there are at most 20,000 node subsets to try; otherwise a lower
    /// bound (the fewest experts on any single node).
    /// - Complexity: O(replicas + N log N), or O(C(N, nodes) · replicas) when replicas span nodes.
    public func fewestExperts(onAny nodes: Int, gpusPerNode: Int) -> Int {
        let nodeCount = (gpuCount + gpusPerNode - 1) / gpusPerNode
        let chosen = min(nodes, nodeCount)
        let expertsOfNode = (0..<nodeCount).map { node -> Set<Int32> in
            Set((node * gpusPerNode..<min((node + 1) * gpusPerNode, gpuCount)).flatMap { experts(onGPU: $0) })
        }
        let spansNodes = (0..<expertCount).contains { e in Set(replicas(of: e).map { Int($0) / gpusPerNode }).count > 1 }
        guard spansNodes else { return expertsOfNode.map(\.count).sorted().prefix(chosen).reduce(0, +) }
        guard Self.subsetCount(nodeCount, chosen) <= 20_000 else { return expertsOfNode.map(\.count).min() ?? 0 }
        var fewest = Int.max
        var subset = Array(0..<chosen)
        while true {
            fewest = min(fewest, subset.reduce(into: Set<Int32>()) { $0.formUnion(expertsOfNode[$1]) }.count)
            // Next combination in lexicographic order.
            var i = chosen - 1
            while i >= 0 && subset[i] == nodeCount - chosen + i { i -= 1 }
            if i < 0 { return fewest }
            subset[i] += 1
            for j in i + 1..<chosen { subset[j] = subset[j - 1] + 1 }
        }
    }

    /// C(n, r), saturating at Int.max / 2.
    static func subsetCount(_ n: Int, _ r: Int) -> Int {
        var result = 1
        for i in 0..<r {
            result = result * (n - i) / (i + 1)
            if result > Int.max / (2 * n + 2) { return Int.max / 2 }
        }
        return result
    }
}
