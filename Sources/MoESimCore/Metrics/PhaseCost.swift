/// What one direction of a layer's communication cost and where its bytes went: the dispatch
/// direction (dispatch, and in training the combine's gradient) or the combine direction.
/// The time comes from the network model; the bytes from `TrafficAccount`, read off the traffic.
public struct PhaseCost: Equatable, Sendable {
    /// Time the phases of this direction took (on the layer's critical path under the flow model).
    public var time: SimTime
    /// Bytes that stayed inside a node but left their GPU (loopbacks included).
    public var intraNodeBytes: Int64
    /// Bytes that crossed from one node to another.
    public var interNodeBytes: Int64
    /// Largest number of bytes any one GPU sent in one phase.
    public var maxGPUSentBytes: Int64
    /// Largest number of bytes any one GPU received in one phase.
    public var maxGPUReceivedBytes: Int64
    /// Every byte of every copy, including those a GPU keeps for itself (the diagonal) and loopbacks.
    public var totalBytes: Int64

    /// Nothing moved yet.
    public static let zero = PhaseCost(time: .zero, intraNodeBytes: 0, interNodeBytes: 0, maxGPUSentBytes: 0,
                                       maxGPUReceivedBytes: 0, totalBytes: 0)
}
