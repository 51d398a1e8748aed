/// What happened when, for a Chrome trace-event timeline: compute spans per GPU
/// and one span per flow (shown on the sender's send track and the receiver's
/// receive track). Filled by the flow model when asked; times are absolute within
/// the recorded step.
public struct Timeline: Sendable {
    /// One compute kernel (gate or experts of one micro-batch) on one GPU.
    public struct ComputeSpan: Sendable, Equatable {
        /// The GPU whose compute stream ran the kernel.
        public var gpu: Int32
        /// Kernel start, ns from the start of the step.
        public var startNanos: Int64
        /// Kernel end, ns from the start of the step.
        public var endNanos: Int64
        /// MoE layer index.
        public var layer: Int32
        /// Micro-batch index.
        public var microbatch: Int32
        /// Stage name, e.g. "gate", "experts", "experts-bwd".
        public var stage: String
    }

    /// One transfer between two GPUs.
    public struct FlowSpan: Sendable, Equatable {
        /// Sending GPU.
        public var source: Int32
        /// Receiving GPU.
        public var destination: Int32
        /// When the sender started it (its route latency is part of the span).
        public var startNanos: Int64
        /// When its last byte arrived.
        public var endNanos: Int64
        /// Bytes moved.
        public var bytes: Int64
        /// MoE layer index.
        public var layer: Int32
        /// Micro-batch index.
        public var microbatch: Int32
        /// Stage name, e.g. "dispatch", "combine-bwd".
        public var stage: String
    }

    /// Spans of one strategy (a process in the trace viewer).
    public struct Track: Sendable {
        /// The strategy's label.
        public var strategy: String
        /// Every kernel, in completion order.
        public var compute: [ComputeSpan] = []
        /// Every flow, in the order started.
        public var flows: [FlowSpan] = []

        /// Appends `other`'s spans, `nanos` later (a layer recorded from zero, placed after the ones before it).
        /// - Complexity: O(spans of `other`).
        mutating func append(_ other: Track, shiftedBy nanos: Int64) {
            compute += other.compute.map { span in
                var span = span
                span.startNanos += nanos
                span.endNanos += nanos
                return span
            }
            flows += other.flows.map { span in
                var span = span
                span.startNanos += nanos
                span.endNanos += nanos
                return span
            }
        }
    }

    /// One track per strategy, in scenario order.
    public var tracks: [Track]
    /// GPUs in the cluster.
    public var gpuCount: Int

    /// An empty timeline for these strategies.
    public init(strategies: [String], gpuCount: Int) {
        tracks = strategies.map { Track(strategy: $0) }
        self.gpuCount = gpuCount
    }
}
