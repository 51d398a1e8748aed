extension FlowNetwork {
    /// What running one all-to-all phase on its own through the flow model took.
    public struct PhaseRun: Equatable, Sendable {
        /// When the last byte arrived (all flows start at time zero).
        public var time: SimTime
        /// Flows (one per ordered GPU pair with bytes, local copies excluded).
        public var flows: Int
        /// Distinct instants at which flows started or finished.
        public var instants: Int
        /// Rate repairs (one per instant at which flows started or finished).
        public var repairs: Int
        /// Flows re-solved, summed over all repairs (the work the repairs did).
        public var resolvedFlows: Int
    }

    /// Runs `traffic` as one all-to-all phase starting at time zero, from a reset network.
    /// - Complexity: O(G² · P + Σ over repairs of the flows re-solved · P).
    public mutating func run(_ traffic: TrafficMatrix) -> PhaseRun {
        precondition(traffic.gpuCount == topology.cluster.gpuCount, "traffic matrix size differs from the cluster")
        reset()
        let gpus = traffic.gpuCount
        for source in 0..<gpus {
            for destination in 0..<gpus where destination != source {
                let amount = traffic[source, destination]
                if amount > 0 { addFlow(from: source, to: destination, bytes: amount, at: .zero, tag: 0) }
            }
        }
        var completed: [Int32] = []
        var last = SimTime.zero
        var instants = 0
        while let next = nextEventTime() {
            completed.removeAll(keepingCapacity: true)
            advance(to: next, completed: &completed)
            last = next
            instants += 1
        }
        return PhaseRun(time: last, flows: flowCount, instants: instants, repairs: repairs, resolvedFlows: resolvedFlows)
    }
}
