/// The bytes of one all-to-all phase, as a network model reads them: what each GPU sends each
/// other GPU, and what it sends itself through one of its links (`SelfCopies.links`).
///
/// Two forms conform: `TrafficMatrix`, bytes stored per pair (benchmarks and validation build
/// these directly), and `CopyTraffic`, a view of a layer's counted token copies at one message size
/// in one direction (what the simulation prices), so no byte matrix is built per stage.
/// Network models and byte accounting are generic over it; where a phase's bytes went (totals, per
/// node, per GPU) is counted once, by `TrafficAccount`.
public protocol PhaseTraffic {
    /// Number of GPUs G.
    var gpuCount: Int { get }
    /// Bytes from `source` to `destination`; the diagonal is local data that never touches a link.
    /// - Complexity: O(1).
    func bytes(from source: Int, to destination: Int) -> Int64
    /// Bytes `gpu` sends itself through `links` and back.
    /// - Complexity: O(1).
    func loopbackBytes(of gpu: Int, through links: TrafficMatrix.Loopback) -> Int64
}
