/// Which GPUs hold each expert of a layer: one replica per expert, or several
/// for hot experts whose tokens are split across their replicas.
public struct ExpertPlacement: Equatable, Sendable {
    /// Number of GPUs.
    public let gpuCount: Int
    /// Expert e's replicas are `replicaGPUs[replicaStart[e] ..< replicaStart[e + 1]]` (first = primary).
    public let replicaStart: [Int]
    /// GPUs of all replicas, grouped by expert.
    public let replicaGPUs: [Int32]
    /// Experts hosted by GPU g are `expertsByGPU[expertOffsets[g] ..< expertOffsets[g + 1]]`, ascending.
    public let expertOffsets: [Int]
    /// All hosted experts grouped by GPU.
    public let expertsByGPU: [Int32]

    /// Number of experts.
    public var expertCount: Int { replicaStart.count - 1 }
    /// Total replicas (expert slots in use across all GPUs).
    public var replicaCount: Int { replicaGPUs.count }

    /// A placement from the GPUs of each expert's replicas (primary first).
    /// - Precondition: every expert has at least one replica, on distinct GPUs in range.
    /// - Complexity: O(E + G + replicas).
    public init(replicas: [[Int]], gpuCount: Int) {
        self.gpuCount = gpuCount
        var start = [0]
        var gpus: [Int32] = []
        var counts = [Int](repeating: 0, count: gpuCount + 1)
        for list in replicas {
            precondition(!list.isEmpty && Set(list).count == list.count, "each expert needs distinct replicas")
            for gpu in list {
                precondition(gpu >= 0 && gpu < gpuCount, "expert placed on a GPU out of range")
                gpus.append(Int32(gpu))
                counts[gpu + 1] += 1
            }
            start.append(gpus.count)
        }
        replicaStart = start
        replicaGPUs = gpus
        for g in 0..<gpuCount { counts[g + 1] += counts[g] }
        expertOffsets = counts
        var fill = counts
        var grouped = [Int32](repeating: 0, count: gpus.count)
        for (expert, list) in replicas.enumerated() {
            for gpu in list {
                grouped[fill[gpu]] = Int32(expert)
                fill[gpu] += 1
            }
        }
        expertsByGPU = grouped
    }

    /// A single-replica placement from the GPU of each expert.
    public init(gpuOfExpert: [Int], gpuCount: Int) {
        self.init(replicas: gpuOfExpert.map { [$0] }, gpuCount: gpuCount)
    }

    /// Contiguous placement: GPU g holds experts [g·E/G, (g+1)·E/G).
    /// - Precondition: `experts` is a multiple of `gpuCount`.
    public static func contiguous(experts: Int, gpuCount: Int) -> ExpertPlacement {
        precondition(experts % gpuCount == 0, "contiguous placement needs experts to be a multiple of GPUs")
        let perGPU = experts / gpuCount
        return ExpertPlacement(gpuOfExpert: (0..<experts).map { $0 / perGPU }, gpuCount: gpuCount)
    }

    /// Round-robin placement: expert e on GPU e mod G, so neighbouring expert ids land on different GPUs.
    public static func roundRobin(experts: Int, gpuCount: Int) -> ExpertPlacement {
        ExpertPlacement(gpuOfExpert: (0..<experts).map { $0 % gpuCount }, gpuCount: gpuCount)
    }

    /// The experts hosted on `gpu`, ascending.
    public func experts(onGPU gpu: Int) -> ArraySlice<Int32> {
        expertsByGPU[expertOffsets[gpu]..<expertOffsets[gpu + 1]]
    }

    /// The GPUs holding replicas of `expert`, primary first.
    @inline(__always) public func replicas(of expert: Int) -> ArraySlice<Int32> {
        replicaGPUs[replicaStart[expert]..<replicaStart[expert + 1]]
    }

    /// The index (into `replicaGPUs`) of `expert`'s replica on `gpu`.
    /// - Precondition: `gpu` holds a replica of `expert`.
    /// - Complexity: O(replicas of the expert).
    @inline(__always) public func replicaIndex(of expert: Int, onGPU gpu: Int) -> Int {
        var index = replicaStart[expert]
        while Int(replicaGPUs[index]) != gpu {
            index += 1
            precondition(index < replicaStart[expert + 1], "GPU \(gpu) holds no replica of expert \(expert)")
        }
        return index
    }

    /// The primary GPU of `expert`.
    @inline(__always) public func primaryGPU(of expert: Int) -> Int { Int(replicaGPUs[replicaStart[expert]]) }

    /// Experts hosted by the busiest GPU (the per-GPU slot count in use).
    public var maxExpertsPerGPU: Int { (0..<gpuCount).map { expertOffsets[$0 + 1] - expertOffsets[$0] }.max() ?? 0 }

    /// Experts hosted by the least-loaded GPU.
    public var minExpertsPerGPU: Int { (0..<gpuCount).map { expertOffsets[$0 + 1] - expertOffsets[$0] }.min() ?? 0 }
}
