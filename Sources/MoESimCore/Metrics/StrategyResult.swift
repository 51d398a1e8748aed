/// The predictions for one routing strategy of one scenario: one row of the summary CSV.
///
/// Times are means per step; imbalance statistics are means over every
/// (step, MoE layer) batch; bytes and drop counts are totals over the whole run.
public struct StrategyResult: Equatable, Sendable {
    /// The strategy.
    public var strategy: RoutingStrategySpec
    /// Mean step time (all MoE layers, forward or forward + backward).
    public var stepTimeMicros: Double
    /// Gate GEMMs per step.
    public var gateMicros: Double
    /// Dispatch all-to-alls per step (training: plus the backward transfer in the same direction).
    public var dispatchMicros: Double
    /// Expert FFNs on the busiest GPU per step.
    public var expertMicros: Double
    /// Combine all-to-alls per step (training: plus the backward transfer in the same direction).
    public var combineMicros: Double
    /// Communication per step that no compute hid: the transfers on each layer's critical path
    /// (= dispatch + combine; under the analytical model nothing overlaps, so all of them).
    public var exposedCommunicationMicros: Double { dispatchMicros + combineMicros }
    /// Imbalance of tokens per GPU (expert activations a GPU computes).
    public var gpuLoad: LoadStatistics
    /// Imbalance of tokens per expert.
    public var expertLoad: LoadStatistics
    /// Bytes of every dispatch-direction token copy (including copies that stay on their GPU).
    public var dispatchBytes: Int64
    /// Bytes of every combine-direction copy (including copies that stay on their GPU).
    public var combineBytes: Int64
    /// Bytes between GPUs of one node.
    public var intraNodeBytes: Int64
    /// Bytes between nodes.
    public var interNodeBytes: Int64
    /// Most bytes one GPU sent in any single phase.
    public var maxGPUSentBytes: Int64
    /// Most bytes one GPU received in any single phase.
    public var maxGPUReceivedBytes: Int64
    /// Token-to-expert assignments dropped by the capacity limit.
    public var droppedAssignments: Int64
    /// Tokens that reached no expert in some layer, summed over layers and steps.
    public var unroutedTokens: Int64
    /// Token-to-expert assignments offered to the router (tokens × k).
    public var offeredAssignments: Int64

    /// What the replication balancer did, when the placement is replicated.
    public var replication: ReplicationSummary?
    /// With perturbations: this step time over the same scenario's on a healthy cluster (same tokens); nil without.
    public var slowdownVsHealthy: Double?
    /// With failed GPUs: kept assignments the placement before the failure would have sent to a failed GPU's
    /// replica, served by a surviving or re-placed one instead.
    public var reroutedAssignments: Int64 = 0
    /// With failed GPUs: assignments dropped because every replica of their expert failed (`onFailure: drop`;
    /// included in `droppedAssignments`).
    public var orphanDroppedAssignments: Int64 = 0
    /// With failed GPUs: experts re-placed on a survivor, summed over layers; nil without failures.
    public var replacedExperts: Int?
    /// Per-GPU and per-expert detail of each MoE layer.
    public var layers: [LayerDetail]

    /// dropped / offered assignments.
    public var dropRate: Double { offeredAssignments == 0 ? 0 : Double(droppedAssignments) / Double(offeredAssignments) }
}

/// The replication balancer's effect for one strategy, over all MoE layers.
public struct ReplicationSummary: Equatable, Sendable {
    /// Replicas added beyond one per expert, summed over layers.
    public var extraReplicas: Int
    /// GPU load max/mean on the warm-up window before balancing, mean over layers.
    public var maxOverMeanBefore: Double
    /// The same after balancing.
    public var maxOverMeanAfter: Double

    /// Summarises one fit per layer.
    public init(_ fits: [ReplicationBalancer.Fit]) {
        let n = Double(max(fits.count, 1))
        extraReplicas = fits.reduce(0) { $0 + $1.extraReplicas }
        maxOverMeanBefore = fits.reduce(0) { $0 + $1.maxOverMeanBefore } / n
        maxOverMeanAfter = fits.reduce(0) { $0 + $1.maxOverMeanAfter } / n
    }
}
