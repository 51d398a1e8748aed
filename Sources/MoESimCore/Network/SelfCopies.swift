/// What a token's copy for its sender costs: the copy for the sender's own GPU, and (with
/// `Deduplication.perNode`) the copy for the sender's own node.
public enum SelfCopies: String, CaseIterable, Sendable {
    /// A local memory copy that never touches a link (NCCL, and DeepEP's low-latency kernels).
    case local
    /// The kernel pushes the sender's own copies through the same stage as every other copy, so
    /// they cost a link's rate: the copy for the own GPU loops through its intra-node port, and the
    /// copy for the own node (dedup `node`) through its NIC. DeepEP's normal kernels behave this
    /// way: their published bandwidths count these copies and stay at the link rate whatever share
    /// of the copies is the sender's own (docs/validation.md).
    case links
}
