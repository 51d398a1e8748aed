/// Chooses the GPU of every slot whose router left it open.
///
/// An expert with one replica runs where it lives. A replicated expert's kept
/// slots go to its replicas in turn (the i-th kept slot of the batch to
/// replica i mod r), an even split of its tokens, as production expert-parallel
/// load balancers do. Dropped slots are attributed to the primary replica.
public struct ReplicaAssigner {
    private var nextReplica: [Int] = []

    /// An assigner with empty counters.
    public init() {}

    /// Fills `buffer.gpus` for every unassigned slot.
    /// - Complexity: O(slots + E); allocates nothing once sized.
    public mutating func assign(_ buffer: inout RoutingBuffer, placement: ExpertPlacement) {
        if nextReplica.count != placement.expertCount {
            nextReplica = [Int](repeating: 0, count: placement.expertCount)
        } else {
            for e in nextReplica.indices { nextReplica[e] = 0 }
        }
        for slot in 0..<buffer.slotCount where buffer.gpus[slot] == RoutingBuffer.unassigned {
            let expert = Int(buffer.experts[slot])
            let replicas = placement.replicas(of: expert)
            if replicas.count == 1 || buffer.dropped[slot] {
                buffer.gpus[slot] = replicas.first!
            } else {
                buffer.gpus[slot] = replicas[replicas.startIndex + nextReplica[expert] % replicas.count]
                nextReplica[expert] += 1
            }
        }
    }
}
