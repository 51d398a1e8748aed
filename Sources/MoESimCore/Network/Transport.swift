/// Which links GPU-to-GPU bytes inside a node take.
public enum Transport: String, CaseIterable, Sendable {
    /// The intra-node fabric (NVLink or PCIe) inside a node, the NICs between nodes (the default).
    case nvlink
    /// Every byte that leaves its GPU goes through the NICs (RDMA), even to a GPU of the same node,
    /// as DeepEP's low-latency kernels do.
    case rdma
}
