/// What one communication phase costs and where its bytes went.
public struct PhaseCost: Equatable, Sendable {
    /// Time from the start of the phase until the last byte arrives.
    public var time: SimTime
    /// Bytes that stayed inside a node but left their GPU.
    public var intraNodeBytes: Int64
    /// Bytes that crossed from one node to another.
    public var interNodeBytes: Int64
    /// Largest number of bytes any one GPU sent in the phase.
    public var maxGPUSentBytes: Int64
    /// Largest number of bytes any one GPU received in the phase.
    public var maxGPUReceivedBytes: Int64
}
