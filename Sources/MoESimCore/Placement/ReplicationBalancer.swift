/// A greedy expert-replication balancer, in the spirit of the expert-parallel
/// load balancers that production MoE serving and training systems run.
///
/// Given each expert's observed load (tokens over a warm-up window) and a
/// budget of `slotsPerGPU` experts per GPU, it
/// 1. hands the spare slots (slotsPerGPU · G − E) out one at a time to the
///    expert with the highest load per replica (ties: lower expert id), at most
///    one replica per GPU;
/// 2. places the replicas, heaviest first, each on the least-loaded GPU that
///    has a free slot and no replica of that expert yet (ties: lower GPU id),
///    assuming an expert's tokens split evenly over its replicas.
/// If the result does not lower the busiest GPU's load on the fitted window
/// (or, when asked, leaves some M nodes with fewer than k experts), the base
/// placement is kept: the balancer never makes the fitted window worse.
public struct ReplicationBalancer {
    /// Slots (expert replicas) each GPU holds after balancing.
    public let slotsPerGPU: Int

    /// A balancer with a per-GPU slot budget.
    public init(slotsPerGPU: Int) { self.slotsPerGPU = slotsPerGPU }

    /// The outcome of one fit.
    public struct Fit: Equatable, Sendable {
        /// The placement to use.
        public var placement: ExpertPlacement
        /// Busiest GPU load / mean GPU load on the window, under the base placement.
        public var maxOverMeanBefore: Double
        /// The same under `placement`.
        public var maxOverMeanAfter: Double
        /// Replicas added beyond one per expert (0 when the base placement was kept).
        public var extraReplicas: Int
    }

    /// Per-GPU load of `placement` when each expert's load splits evenly over its replicas.
    /// - Complexity: O(replicas).
    public static func gpuLoads(_ placement: ExpertPlacement, expertLoads: [Double]) -> [Double] {
        var loads = [Double](repeating: 0, count: placement.gpuCount)
        for expert in 0..<placement.expertCount {
            let replicas = placement.replicas(of: expert)
            for gpu in replicas { loads[Int(gpu)] += expertLoads[expert] / Double(replicas.count) }
        }
        return loads
    }

    static func maxOverMean(_ loads: [Double]) -> Double {
        let mean = loads.reduce(0, +) / Double(loads.count)
        return mean > 0 ? loads.max()! / mean : 0
    }

    /// A constraint node-limited routing puts on a placement: any `maxNodes` nodes of `gpusPerNode`
    /// GPUs must host at least `k` experts.
    public struct NodeLimit: Equatable, Sendable {
        /// Most nodes a token may reach (M).
        public var maxNodes: Int
        /// Experts a token activates.
        public var k: Int
        /// GPUs per node.
        public var gpusPerNode: Int

        /// The constraint of top-`k` routing within `maxNodes` nodes of `gpusPerNode` GPUs.
        public init(maxNodes: Int, k: Int, gpusPerNode: Int) {
            self.maxNodes = maxNodes
            self.k = k
            self.gpusPerNode = gpusPerNode
        }
    }

    /// Fits replicas to `expertLoads` starting from `base`.
    /// - Parameter nodeLimit: a placement the fit may not break (node-limited routing); nil for none.
    /// - Complexity: O(S · E + R · G) for S spare slots and R replicas.
    public func fit(base: ExpertPlacement, expertLoads: [Double], nodeLimit: NodeLimit? = nil) -> Fit {
        let experts = base.expertCount, gpus = base.gpuCount
        let before = ReplicationBalancer.maxOverMean(ReplicationBalancer.gpuLoads(base, expertLoads: expertLoads))
        let keep = Fit(placement: base, maxOverMeanBefore: before, maxOverMeanAfter: before, extraReplicas: 0)
        let spare = slotsPerGPU * gpus - experts
        guard spare > 0, slotsPerGPU <= experts else { return keep }

        var replicaCounts = [Int](repeating: 1, count: experts)
        for _ in 0..<spare {
            var best = -1
            for e in 0..<experts where replicaCounts[e] < gpus {
                if best < 0 || expertLoads[e] / Double(replicaCounts[e]) > expertLoads[best] / Double(replicaCounts[best]) {
                    best = e
                }
            }
            guard best >= 0 else { return keep }
            replicaCounts[best] += 1
        }

        var replicas: [(expert: Int, load: Double)] = []
        for e in 0..<experts {
            for _ in 0..<replicaCounts[e] { replicas.append((e, expertLoads[e] / Double(replicaCounts[e]))) }
        }
        replicas.sort { $0.load != $1.load ? $0.load > $1.load : $0.expert < $1.expert }
        var gpuLoad = [Double](repeating: 0, count: gpus)
        var used = [Int](repeating: 0, count: gpus)
        var hosts = [[Int]](repeating: [], count: experts)
        for replica in replicas {
            var target = -1
            for g in 0..<gpus where used[g] < slotsPerGPU && !hosts[replica.expert].contains(g) {
                if target < 0 || gpuLoad[g] < gpuLoad[target] { target = g }
            }
            guard target >= 0 else { return keep }
            hosts[replica.expert].append(target)
            used[target] += 1
            gpuLoad[target] += replica.load
        }
        let placement = ExpertPlacement(replicas: hosts, gpuCount: gpus)
        let after = ReplicationBalancer.maxOverMean(ReplicationBalancer.gpuLoads(placement, expertLoads: expertLoads))
        if let limit = nodeLimit,
           placement.fewestExperts(onAny: limit.maxNodes, gpusPerNode: limit.gpusPerNode) < limit.k {
            return keep
        }
        guard after < before else { return keep }
        return Fit(placement: placement, maxOverMeanBefore: before, maxOverMeanAfter: after, extraReplicas: spare)
    }
}
