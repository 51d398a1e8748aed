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
    /// recorded experts are replayed as they are.
    /// - Complexity: that of the strategy's router, plus O(slots) for the limit and the replicas.
    mutating func route(strategy index: Int, placement: ExpertPlacement) -> Int {
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
        assigner.assign(&buffer, placement: placement)
        return dropped
    }
}
