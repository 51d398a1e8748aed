/// SAM (Switch and Mixture) routing, Jiang et al. 2021 (arXiv 2110.07431).
///
/// A switch router picks one device per token by its device score — the sum
/// (or the max) of the softmax probabilities of the experts on that device —
/// then a mixture router activates the k highest-scoring experts on that
/// device. The token crosses the network once, as under Switch, yet gets k
/// experts. Gate probabilities are the experts' softmax over all experts, not
/// renormalised (as in the Hetu re-implementation).
public struct SAMRouting: RoutingStrategy {
    /// Experts per token, all on one device.
    public let k: Int
    /// How a device is scored.
    public let deviceScore: DeviceScore
    public var expertsPerToken: Int { k }

    /// A SAM router. - Precondition: k ≥ 1 (and ≤ experts per GPU when routing).
    public init(k: Int, deviceScore: DeviceScore = .sum) {
        precondition(k >= 1, "SAM needs k >= 1")
        self.k = k
        self.deviceScore = deviceScore
    }

    /// Every slot's GPU is the chosen device (which hosts a replica of each chosen expert).
    /// - Complexity: O(tokenCount · (replicas + E_device · k)) worst case.
    public func route(scores: UnsafeBufferPointer<Float>, tokenCount: Int, placement: ExpertPlacement,
                      into buffer: inout RoutingBuffer) {
        route(scores: scores, deviceLogits: nil, tokenCount: tokenCount, placement: placement, into: &buffer)
    }

    /// Routes with the device logits of a trace (`tokenCount × gpuCount`, row-major), which
    /// `deviceScore == .trace` uses to pick each token's device; other device scores ignore them.
    /// - Precondition: `deviceLogits` is given when `deviceScore == .trace` (scenario validation ensures it).
    /// - Complexity: O(tokenCount · (replicas + E_device · k)) worst case.
    public func route(scores: UnsafeBufferPointer<Float>, deviceLogits: UnsafeBufferPointer<Float>?, tokenCount: Int,
                      placement: ExpertPlacement, into buffer: inout RoutingBuffer) {
        precondition(deviceScore != .trace || deviceLogits?.count == tokenCount * placement.gpuCount,
                     "SAM with deviceScore trace needs tokenCount × GPUs device logits")
        let experts = placement.expertCount
        let gpus = placement.gpuCount
        let k = self.k
        buffer.reset(tokenCount: tokenCount, k: k)
        let exps = UnsafeMutablePointer<Float>.allocate(capacity: experts)
        defer { exps.deallocate() }
        placement.expertsByGPU.withUnsafeBufferPointer { grouped in
        placement.expertOffsets.withUnsafeBufferPointer { offsets in
        buffer.experts.withUnsafeMutableBufferPointer { chosen in
        buffer.gpus.withUnsafeMutableBufferPointer { slotGPUs in
        buffer.probabilities.withUnsafeMutableBufferPointer { probabilities in
            for token in 0..<tokenCount {
                let base = token * experts
                let (_, sum) = Softmax.exponentials(scores, base: base, count: experts, into: exps)
                // Switch router over devices; ties go to the lower GPU id.
                var bestGPU = 0
                var bestScore = -Float.infinity
                for gpu in 0..<gpus {
                    var score: Float = 0
                    switch deviceScore {
                    case .trace: score = deviceLogits![token * gpus + gpu]
                    case .sum: for index in offsets[gpu]..<offsets[gpu + 1] { score += exps[Int(grouped[index])] }
                    case .max: for index in offsets[gpu]..<offsets[gpu + 1] { score = Swift.max(score, exps[Int(grouped[index])]) }
                    }
                    if score > bestScore {
                        bestScore = score
                        bestGPU = gpu
                    }
                }
                // Mixture router: top-k of the chosen device's experts (ascending ids), vectorised when they
                // are consecutive ids.
                let topExperts = chosen.baseAddress! + token * k
                let topScores = probabilities.baseAddress! + token * k
                let hosted = offsets[bestGPU]..<offsets[bestGPU + 1]
                precondition(hosted.count >= k, "SAM needs at least k experts on every GPU")
                let first = grouped[hosted.lowerBound]
                if Int(grouped[hosted.upperBound - 1] - first) == hosted.count - 1 {
                    selectTop(scores.baseAddress! + base + Int(first), count: hosted.count, k: k, firstExpert: first,
                              topExperts: topExperts, topScores: topScores)
                } else {
                    var count = 0
                    for index in hosted {
                        let expert = grouped[index]
                        insertTop(expert: expert, score: scores[base + Int(expert)], k: k, count: &count,
                                  topExperts: topExperts, topScores: topScores)
                    }
                }
                for slot in 0..<k {
                    topScores[slot] = exps[Int(topExperts[slot])] / sum
                    slotGPUs[token * k + slot] = Int32(bestGPU)
                }
            }
        }
        }
        }
        }
        }
    }
}
