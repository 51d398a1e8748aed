/// Routes one (step, layer) batch of tokens under each strategy, reusing every buffer from batch
/// to batch. One per thread; the batches come from a shared `BatchSource`.
struct BatchRouter {
    /// The scenario being simulated.
    let scenario: Scenario
    /// Tokens of a batch.
    let tokens: Int
    private let source: BatchSource
    private let routers: [any RoutingStrategy]
    private var batch = TraceBatch()
    private(set) var buffer = RoutingBuffer()
    private var limiter = CapacityLimiter()
    private var assigner = ReplicaAssigner()
    /// What the failure step did to the last batch routed with a failover (zero otherwise).
    private(set) var failures = FailureCounts()
    /// Scratch: kept slots per expert so far, to deal them over the original replicas as `ReplicaAssigner` would.
    private var dealt: [Int] = []

    /// A router of `source`'s batches.
    init(source: BatchSource) {
        let scenario = source.scenario
        self.scenario = scenario
        self.source = source
        tokens = scenario.tokenLayout.tokenCount
        routers = scenario.strategies.map {
            $0.makeRouter(gpusPerNode: scenario.cluster.gpusPerNode, capacityFactor: scenario.capacityFactor)
        }
    }

    /// A router with a source of its own.
    /// - Throws: `TraceError` as `BatchSource.init`.
    init(scenario: Scenario) throws {
        self.init(source: try BatchSource(scenario: scenario))
    }

    /// Makes batch (step, layer), the run's `order`-th, current (see `BatchSource.fill`).
    mutating func generate(step: Int, layer: Int, order: Int) throws {
        try source.fill(&batch, step: step, layer: layer, order: order)
    }

    /// Routes the current batch under strategy `index` on `placement`, applies the capacity
    /// limit and chooses replicas; returns the number of dropped slots. A choices trace's
    /// recorded experts are replayed as they are. With a `failover` (whose `placement` must be `placement`),
    /// the failed GPUs' own tokens are then taken out (not routed, not counted as dropped) and an orphaned
    /// expert's slots dropped (`failures`).
    /// - Complexity: that of the strategy's router, plus O(slots) for the limit and the replicas.
    mutating func route(strategy index: Int, placement: ExpertPlacement, failover: FailoverPlacement? = nil) -> Int {
        let spec = scenario.strategies[index]
        if let k = source.recordedK {
            buffer.replay(experts: batch.experts, weights: batch.weights, tokenCount: tokens, k: k)
        } else {
            let router = routers[index]
            batch.scores.withUnsafeBufferPointer { scores in
                batch.deviceLogits.withUnsafeBufferPointer { logits in
                    router.route(scores: scores, deviceLogits: logits.isEmpty ? nil : logits, tokenCount: tokens,
                                 placement: placement, into: &buffer)
                }
            }
        }
        var dropped = 0
        if let factor = scenario.capacityFactor,
           let limit = spec.capacityLimit(factor: factor, tokens: tokens, placement: placement) {
            dropped = limiter.apply(to: &buffer, placement: placement, limit: limit)
        }
        if let failover {
            applyFailures(failover)
            dropped = failures.droppedSlots
        }
        assigner.assign(&buffer, placement: placement)
        return dropped
    }

    /// Adds the dropped slots of each expert in the last routed batch to `counts`, leaving out the tokens of
    /// failed GPUs (`failover`), which were never routed.
    /// - Complexity: O(slots).
    func countDropped(byExpert counts: inout [Int], failover: FailoverPlacement?) {
        for token in 0..<buffer.tokenCount where !(failover?.failed[scenario.tokenLayout.sourceGPU(of: token)] ?? false) {
            for slot in buffer.slots(of: token) where buffer.dropped[slot] { counts[Int(buffer.experts[slot])] += 1 }
        }
    }

    /// Takes the failed GPUs' tokens out of the routed batch, drops the kept slots of orphaned experts, and
    /// counts the kept slots the original placement would have dealt to a failed replica (`failures`).
    /// - Complexity: O(slots + E).
    private mutating func applyFailures(_ failover: FailoverPlacement) {
        let layout = scenario.tokenLayout
        failures = FailureCounts()
        if dealt.count != failover.original.expertCount {
            dealt = [Int](repeating: 0, count: failover.original.expertCount)
        } else {
            for e in dealt.indices { dealt[e] = 0 }
        }
        for token in 0..<buffer.tokenCount {
            if failover.failed[layout.sourceGPU(of: token)] {
                failures.absentTokens += 1
                for slot in buffer.slots(of: token) { buffer.dropped[slot] = true }
                continue
            }
            for slot in buffer.slots(of: token) {
                let expert = Int(buffer.experts[slot])
                if buffer.dropped[slot] {
                    failures.droppedSlots += 1
                } else if failover.orphaned[expert] {
                    buffer.dropped[slot] = true
                    failures.droppedSlots += 1
                    failures.orphanDroppedSlots += 1
                } else {
                    let replicas = failover.original.replicas(of: expert)
                    let before = replicas[replicas.startIndex + dealt[expert] % replicas.count]
                    dealt[expert] += 1
                    if failover.failed[Int(before)] { failures.reroutedSlots += 1 }
                }
            }
        }
    }

    /// What taking failed GPUs out did to one routed batch.
    struct FailureCounts: Equatable {
        /// Dropped slots of surviving GPUs' tokens: by the capacity limit, or for an orphaned expert.
        var droppedSlots = 0
        /// Of those, the slots of orphaned experts.
        var orphanDroppedSlots = 0
        /// Kept slots the original placement would have dealt to a replica on a failed GPU (now served elsewhere).
        var reroutedSlots = 0
        /// Tokens of failed GPUs (not routed).
        var absentTokens = 0
    }
}
