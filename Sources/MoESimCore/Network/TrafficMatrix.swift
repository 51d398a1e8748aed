/// Bytes to move from every GPU to every GPU in one all-to-all phase, stored per pair: what benchmarks
/// and validation build directly (the simulation reads its phases off a `CopyMatrix` instead).
public struct TrafficMatrix: PhaseTraffic, Equatable, Sendable {
    /// Number of GPUs G.
    public let gpuCount: Int
    /// `bytes[src · G + dst]`; the diagonal is local data that never touches a link.
    public private(set) var bytes: [Int64]
    /// Bytes each GPU sends itself through one of its links and back, `loopback[kind · G + gpu]`
    /// (see `SelfCopies.links`): kernels that push the sender's own copy through the same stage as
    /// the others pay a link's rate for it.
    public private(set) var loopback: [Int64]

    /// The links a loopback crosses.
    public enum Loopback: Int, CaseIterable, Sendable {
        /// The GPU's intra-node port out and back in (NVLink, or PCIe on PCIe nodes).
        case intraNode = 0
        /// To the GPU's NIC, out of it and back in (RDMA loopback).
        case nic = 1
    }

    /// An all-zero matrix for `gpuCount` GPUs.
    public init(gpuCount: Int) {
        self.gpuCount = gpuCount
        bytes = [Int64](repeating: 0, count: gpuCount * gpuCount)
        loopback = [Int64](repeating: 0, count: 2 * gpuCount)
    }

    /// Bytes `gpu` sends itself through `links`.
    @inline(__always) public func loopback(of gpu: Int, through links: Loopback) -> Int64 {
        loopback[links.rawValue * gpuCount + gpu]
    }

    /// Bytes from `source` to `destination`.
    public subscript(source: Int, destination: Int) -> Int64 {
        get { bytes[source * gpuCount + destination] }
        set { bytes[source * gpuCount + destination] = newValue }
    }

    /// Adds `amount` bytes from `source` to `destination`.
    @inline(__always) public mutating func add(_ amount: Int64, from source: Int, to destination: Int) {
        bytes[source * gpuCount + destination] += amount
    }

    /// Adds `amount` bytes that `gpu` sends itself through `links`.
    @inline(__always) public mutating func addLoopback(_ amount: Int64, gpu: Int, through links: Loopback) {
        loopback[links.rawValue * gpuCount + gpu] += amount
    }

    /// Sets every entry to zero, keeping storage.
    public mutating func clear() {
        for i in bytes.indices { bytes[i] = 0 }
        for i in loopback.indices { loopback[i] = 0 }
    }

    /// The bytes of `phase`, stored per pair.
    /// - Complexity: O(G²).
    public init(_ phase: some PhaseTraffic) {
        self.init(gpuCount: phase.gpuCount)
        for source in 0..<gpuCount {
            for destination in 0..<gpuCount { self[source, destination] = phase.bytes(from: source, to: destination) }
            for kind in Loopback.allCases {
                loopback[kind.rawValue * gpuCount + source] = phase.loopbackBytes(of: source, through: kind)
            }
        }
    }

    @inline(__always) public func bytes(from source: Int, to destination: Int) -> Int64 { self[source, destination] }

    @inline(__always) public func loopbackBytes(of gpu: Int, through links: Loopback) -> Int64 { loopback(of: gpu, through: links) }
}
