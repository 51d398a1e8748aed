/// An expert placement after some GPUs failed: every replica on a failed GPU is gone, so an expert's
/// tokens go to its surviving replicas. An expert with none left (an orphan) is either re-placed on
/// the surviving GPU that holds the fewest experts (lowest id on a tie; orphans in ascending order),
/// or, when `replace` is false, stays where it was so that its tokens can be found and dropped.
public struct FailoverPlacement: Equatable, Sendable {
    /// The placement before the failure.
    public let original: ExpertPlacement
    /// The placement the layer runs on: surviving replicas (primary first, in their original order), plus
    /// re-placed orphans; orphans that are not re-placed keep their failed replicas.
    public let placement: ExpertPlacement
    /// Whether each GPU failed.
    public let failed: [Bool]
    /// Whether each expert is an orphan that was not re-placed (its tokens are dropped).
    public let orphaned: [Bool]
    /// Orphans placed on a survivor.
    public let replacedExperts: Int

    /// `original` with the GPUs marked in `failed` gone.
    /// - Precondition: `failed` has one entry per GPU and at least one GPU survives.
    /// - Complexity: O(E + G + replicas) plus O(G) per orphan re-placed.
    public init(original: ExpertPlacement, failed: [Bool], replace: Bool) {
        precondition(failed.count == original.gpuCount && failed.contains(false), "a failover needs a surviving GPU")
        self.original = original
        self.failed = failed
        var hosted = (0..<original.gpuCount).map { failed[$0] ? Int.max : original.experts(onGPU: $0).count }
        var replicas: [[Int]] = []
        var orphaned = [Bool](repeating: false, count: original.expertCount)
        var replaced = 0
        for expert in 0..<original.expertCount {
            let all = original.replicas(of: expert).map(Int.init)
            let surviving = all.filter { !failed[$0] }
            if !surviving.isEmpty {
                replicas.append(surviving)
            } else if replace {
                // The least-loaded survivor; `hosted` counts the experts each GPU holds so far.
                var target = 0
                for g in hosted.indices where hosted[g] < hosted[target] { target = g }
                hosted[target] += 1
                replicas.append([target])
                replaced += 1
            } else {
                replicas.append(all)
                orphaned[expert] = true
            }
        }
        placement = ExpertPlacement(replicas: replicas, gpuCount: original.gpuCount)
        self.orphaned = orphaned
        replacedExperts = replaced
    }
}
