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
    /// needs at least k of them on whichever nodes it picks).
    /// - Complexity: O(replicas + N log N).
    public func fewestExperts(onAny nodes: Int, gpusPerNode: Int) -> Int {
        let nodeCount = (gpuCount + gpusPerNode - 1) / gpusPerNode
        let perNode = (0..<nodeCount).map { node -> Int in
            let gpus = node * gpusPerNode..<min((node + 1) * gpusPerNode, gpuCount)
            return Set(gpus.flatMap { experts(onGPU: $0) }).count
        }
        return perNode.sorted().prefix(nodes).reduce(0, +)
    }
}
