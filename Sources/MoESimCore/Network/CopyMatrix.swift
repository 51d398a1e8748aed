/// Token copies from every GPU to every GPU in one layer (or one micro-batch of it): how many
/// hidden states each GPU sends each other GPU on the dispatch path, counted once while tokens are
/// priced. Every phase of the layer moves these copies, forward or reversed, at its own message
/// size; `traffic(bytesPerCopy:direction:)` is the one place a count becomes bytes.
public struct CopyMatrix: Equatable, Sendable {
    /// Number of GPUs G.
    public let gpuCount: Int
    /// `copies[src · G + dst]`; the diagonal counts copies a GPU keeps for itself (no link).
    public private(set) var copies: [Int64]
    /// Copies each GPU sends itself through one of its links, `loopback[kind · G + gpu]` (see `SelfCopies.links`).
    public private(set) var loopback: [Int64]

    /// Which way a phase moves the copies.
    public enum Direction: Sendable {
        /// From the tokens' GPUs to their experts' GPUs (dispatch, and the combine's gradient).
        case dispatch
        /// Back from the experts' GPUs to the tokens' GPUs (combine, and the dispatch's gradient).
        case combine
    }

    /// No copies, for `gpuCount` GPUs.
    public init(gpuCount: Int) {
        self.gpuCount = gpuCount
        copies = [Int64](repeating: 0, count: gpuCount * gpuCount)
        loopback = [Int64](repeating: 0, count: TrafficMatrix.Loopback.allCases.count * gpuCount)
    }

    /// Copies from `source` to `destination`.
    @inline(__always) public subscript(source: Int, destination: Int) -> Int64 {
        copies[source * gpuCount + destination]
    }

    /// Copies `gpu` sends itself through `links`.
    @inline(__always) public func loopback(of gpu: Int, through links: TrafficMatrix.Loopback) -> Int64 {
        loopback[links.rawValue * gpuCount + gpu]
    }

    /// Counts one copy from `source` to `destination`.
    @inline(__always) public mutating func add(from source: Int, to destination: Int) {
        copies[source * gpuCount + destination] += 1
    }

    /// Counts one copy that `gpu` sends itself through `links`.
    @inline(__always) public mutating func addLoopback(gpu: Int, through links: TrafficMatrix.Loopback) {
        loopback[links.rawValue * gpuCount + gpu] += 1
    }

    /// Adds counts laid out as this matrix's own: `copies[src · G + dst]` and `loopback[kind · G + gpu]`
    /// (counted elsewhere without a uniqueness check per copy).
    /// - Complexity: O(G²).
    public mutating func add(copies counts: UnsafeBufferPointer<Int64>, loopback loopbackCounts: UnsafeBufferPointer<Int64>) {
        precondition(counts.count == copies.count && loopbackCounts.count == loopback.count, "counts of another shape")
        for i in copies.indices { copies[i] += counts[i] }
        for i in loopback.indices { loopback[i] += loopbackCounts[i] }
    }

    /// Sets every count to zero, keeping storage.
    /// - Complexity: O(G²).
    public mutating func clear() {
        for i in copies.indices { copies[i] = 0 }
        for i in loopback.indices { loopback[i] = 0 }
    }

    /// The bytes of a phase that moves every copy `direction`-wise at `bytesPerCopy` each.
    /// - Complexity: O(1); the view shares this matrix's storage.
    public func traffic(bytesPerCopy: Int64, direction: Direction) -> CopyTraffic {
        CopyTraffic(copies: self, bytesPerCopy: bytesPerCopy, direction: direction)
    }
}

/// One phase's bytes read off a `CopyMatrix`: `bytesPerCopy` per copy, reversed for the combine direction.
public struct CopyTraffic: PhaseTraffic, Sendable {
    /// The counted copies.
    public let copies: CopyMatrix
    /// Bytes of one copy in this phase (dispatch and combine element sizes may differ).
    public let bytesPerCopy: Int64
    /// Whether the phase moves copies towards the experts or back.
    public let direction: CopyMatrix.Direction

    public var gpuCount: Int { copies.gpuCount }

    @inline(__always) public func bytes(from source: Int, to destination: Int) -> Int64 {
        switch direction {
        case .dispatch: return copies[source, destination] * bytesPerCopy
        case .combine: return copies[destination, source] * bytesPerCopy
        }
    }

    @inline(__always) public func loopbackBytes(of gpu: Int, through links: TrafficMatrix.Loopback) -> Int64 {
        copies.loopback(of: gpu, through: links) * bytesPerCopy
    }
}
