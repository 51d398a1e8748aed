/// What one MoE layer costs for one batch of routed tokens.
public struct LayerOutcome: Equatable, Sendable {
    /// Gate GEMMs (forward, plus backward in training).
    public var gate: SimTime
    /// Dispatch-direction transfers.
    public var dispatch: PhaseCost
    /// Expert FFNs on the busiest GPU.
    public var expert: SimTime
    /// Combine-direction transfers.
    public var combine: PhaseCost
    /// Tokens per GPU (expert activations computed there).
    public var gpuLoad: LoadStatistics
    /// Tokens per expert.
    public var expertLoad: LoadStatistics
    /// Tokens that reached no expert (all slots dropped, or expert choice picked none).
    public var unroutedTokens: Int
    /// The whole layer, first kernel to last result (analytical: the phases back to back).
    public var layerTime: SimTime

    /// Dispatch-direction bytes of every token copy, including copies to the token's own GPU.
    public var dispatchBytes: Int64 { dispatch.totalBytes }
    /// Combine-direction bytes of every returned copy, including those from the token's own GPU.
    public var combineBytes: Int64 { combine.totalBytes }
    /// Communication no compute hid: dispatch + combine (the flow model's are the transfers on the
    /// layer's critical path; under the analytical model nothing overlaps).
    public var exposedCommunication: SimTime { dispatch.time + combine.time }
}
