/// Which GPU holds each expert of a layer (one replica per expert).
public struct ExpertPlacement: Equatable, Sendable {
    /// GPU of each expert, indexed by expert id.
    public let gpuOfExpert: [Int32]
    /// Experts of GPU g are `expertsByGPU[expertOffsets[g] ..< expertOffsets[g + 1]]`, ascending.
    public let expertOffsets: [Int]
    /// All experts grouped by GPU.
    public let expertsByGPU: [Int32]
    /// Number of GPUs.
    public var gpuCount: Int { expertOffsets.count - 1 }
    /// Number of experts.
    public var expertCount: Int { gpuOfExpert.count }

    /// Builds a placement from the GPU of each expert.
    /// - Complexity: O(E + G).
    public init(gpuOfExpert: [Int32], gpuCount: Int) {
        precondition(gpuOfExpert.allSatisfy { $0 >= 0 && Int($0) < gpuCount }, "expert placed on a GPU out of range")
        self.gpuOfExpert = gpuOfExpert
        var counts = [Int](repeating: 0, count: gpuCount + 1)
        for g in gpuOfExpert { counts[Int(g) + 1] += 1 }
        for g in 0..<gpuCount { counts[g + 1] += counts[g] }
        expertOffsets = counts
        var fill = counts
        var grouped = [Int32](repeating: 0, count: gpuOfExpert.count)
        for (expert, g) in gpuOfExpert.enumerated() {
            grouped[fill[Int(g)]] = Int32(expert)
            fill[Int(g)] += 1
        }
        expertsByGPU = grouped
    }

    /// Contiguous placement: GPU g holds experts [g·E/G, (g+1)·E/G).
    /// - Precondition: `experts` is a multiple of `gpuCount`.
    public static func contiguous(experts: Int, gpuCount: Int) -> ExpertPlacement {
        precondition(experts % gpuCount == 0, "contiguous placement needs experts to be a multiple of GPUs")
        let perGPU = experts / gpuCount
        return ExpertPlacement(gpuOfExpert: (0..<experts).map { Int32($0 / perGPU) }, gpuCount: gpuCount)
    }

    /// The experts on `gpu`, ascending.
    public func experts(onGPU gpu: Int) -> ArraySlice<Int32> {
        expertsByGPU[expertOffsets[gpu]..<expertOffsets[gpu + 1]]
    }
}
