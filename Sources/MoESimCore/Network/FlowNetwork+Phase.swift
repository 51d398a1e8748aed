extension FlowNetwork {
    /// What running one all-to-all phase on its own through the flow model took.
    public struct PhaseRun: Equatable, Sendable {
        /// When the last byte arrived (all flows start at time zero); when stopped early, the last completion before.
        public var time: SimTime
        /// Whether every flow finished (false when `shouldStop` ended the run early).
        public var finished: Bool
        /// Flows whose last byte arrived.
        public var completedFlows: Int
        /// Flows (one per ordered GPU pair with bytes, local copies excluded, plus one per GPU with loopback bytes).
        public var flows: Int
        /// Distinct instants at which flows started or finished.
        public var instants: Int
        /// Rate repairs (one per instant at which flows started, one per batch of completions).
        public var repairs: Int
        /// Flows the repairs visited, summed over all repairs (see `FlowNetwork.resolvedFlows`).
        public var resolvedFlows: Int
        /// Flows whose rate a repair changed, summed over all repairs (see `FlowNetwork.rateChanges`).
        public var rateChanges: Int
        /// Repairs that recomputed every rate from scratch (see `FlowNetwork.fullSolves`).
        public var fullSolves: Int
    }

    /// Runs `traffic` as one all-to-all phase starting at time zero, from a reset network.
    /// - Parameter shouldStop: asked after every instant; returning true ends the run early (benchmarks'
    ///   time budget). The simulation itself never depends on it.
    /// - Complexity: O(G² · P + Σ over repairs of the flows re-solved · P).
    public mutating func run(_ traffic: TrafficMatrix, shouldStop: () -> Bool = { false }) -> PhaseRun {
        precondition(traffic.gpuCount == topology.cluster.gpuCount, "traffic matrix size differs from the cluster")
        reset()
        let gpus = traffic.gpuCount
        for source in 0..<gpus {
            for destination in 0..<gpus where destination != source {
                let amount = traffic[source, destination]
                if amount > 0 { addFlow(from: source, to: destination, bytes: amount, at: .zero, tag: 0) }
            }
            for kind in TrafficMatrix.Loopback.allCases where traffic.loopback(of: source, through: kind) > 0 {
                addLoopbackFlow(gpu: source, through: kind, bytes: traffic.loopback(of: source, through: kind),
                                at: .zero, tag: 0)
            }
        }
        var completed: [FlowID] = []
        var last = SimTime.zero
        var completedFlows = 0
        var finished = true
        while let next = nextEventTime() {
            if shouldStop() {
                finished = false
                break
            }
            completed.removeAll(keepingCapacity: true)
            advance(to: next, completed: &completed)
            completedFlows += completed.count
            if !completed.isEmpty { last = next }
        }
        return PhaseRun(time: last, finished: finished, completedFlows: completedFlows, flows: flowCount,
                        instants: instants, repairs: repairs, resolvedFlows: resolvedFlows,
                        rateChanges: rateChanges, fullSolves: fullSolves)
    }
}
