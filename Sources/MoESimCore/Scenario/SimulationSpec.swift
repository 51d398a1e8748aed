/// What one simulated step contains.
public enum SimulationMode: String, CaseIterable, Sendable {
    /// Forward pass only.
    case inference
    /// Forward and backward: the two all-to-alls again in reverse and about twice the compute.
    case training
}

/// Which network model prices the all-to-alls.
public enum NetworkModelKind: String, CaseIterable, Sendable {
    /// Bottleneck-link bound: α + max over links (bytes on link / effective bandwidth).
    case analytical
    /// Discrete-event flows sharing links max-min fairly (`FlowNetwork`), with per-GPU compute
    /// overlapping communication.
    case flow
}

/// The `simulation` section of a scenario.
public struct SimulationSpec: Equatable, Sendable {
    /// Forward only, or forward and backward.
    public var mode: SimulationMode
    /// Steps to simulate (each with fresh tokens); times are reported per step.
    public var steps: Int
    /// Seed of every random draw in the run; echoed in every output.
    public var seed: UInt64
    /// The network model.
    public var network: NetworkModelKind
    /// The flow model's precision (`FlowNetwork.precision`): how far, relatively, a link may run
    /// below capacity, or a flow above its share, before rates are recomputed, and for what share
    /// of the sharing flows' time a finished flow's bandwidth may wait for that. Ignored by the
    /// analytical model.
    public var flowPrecision: Double

    /// Creates a simulation description.
    public init(mode: SimulationMode, steps: Int, seed: UInt64, network: NetworkModelKind,
                flowPrecision: Double = FlowNetwork.defaultPrecision) {
        self.mode = mode
        self.steps = steps
        self.seed = seed
        self.network = network
        self.flowPrecision = flowPrecision
    }
}
