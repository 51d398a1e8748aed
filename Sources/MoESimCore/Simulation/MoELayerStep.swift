/// Prices one MoE layer for one batch of routed tokens with the analytical model:
/// gate → dispatch all-to-all → expert FFNs → combine all-to-all, each phase
/// ending when its slowest GPU (or link) finishes.
///
/// Dispatch sends a token's hidden state from its source GPU to the GPUs of its
/// kept experts: once per destination GPU (Switch and SAM always reach a single
/// GPU), once per expert, or once per destination node and then forwarded over
/// NVLink (see `Deduplication`). Copies to the token's own GPU stay local. Combine returns one result per copy, at the combine element
/// size. Training adds the backward pass: the gradient of the combine travels
/// the dispatch direction and that of the dispatch the combine direction, both
/// at the combine element size, with twice the forward compute.
public struct MoELayerStep {
    /// The scenario being simulated.
    public let scenario: Scenario
    private let compute: ComputeModel
    private var network: AnalyticalNetwork
    /// Dispatch bytes of the last evaluated layer, source × destination (local copies on the diagonal).
    public private(set) var dispatchTraffic: TrafficMatrix
    private var expertTokens: [Int]
    private var gpuTokens: [Int]
    /// Tokens that arrived at each GPU for its experts in the last evaluated layer (one per token and GPU).
    public private(set) var tokensArrived: [Int]
    /// Kept slots per expert replica (indexed like `placement.replicaGPUs`) in the last evaluated layer.
    public private(set) var replicaTokens: [Int] = []
    /// Forward expert FFN time of each GPU in the last evaluated layer.
    public private(set) var gpuBusy: [SimTime]

    /// Prepares scratch space for `scenario`.
    public init(scenario: Scenario) {
        self.scenario = scenario
        compute = ComputeModel(gpu: scenario.cluster.gpu, model: scenario.model)
        network = AnalyticalNetwork(cluster: scenario.cluster, transport: scenario.transport)
        dispatchTraffic = TrafficMatrix(gpuCount: scenario.cluster.gpuCount)
        expertTokens = [Int](repeating: 0, count: scenario.model.experts)
        gpuTokens = [Int](repeating: 0, count: scenario.cluster.gpuCount)
        tokensArrived = gpuTokens
        gpuBusy = [SimTime](repeating: .zero, count: scenario.cluster.gpuCount)
    }

    /// Prices the layer for the tokens routed in `buffer` (token t comes from GPU t / tokensPerGPU;
    /// every slot's GPU must be assigned).
    /// - Parameter deduplication: how a token's kept experts become copies on the wire.
    /// - Complexity: O(T · k² + G² + E log E).
    public mutating func evaluate(_ buffer: RoutingBuffer, placement: ExpertPlacement,
                                  deduplication: Deduplication) -> LayerOutcome {
        let bytesPerToken = scenario.model.dispatchBytesPerToken
        let gpusPerNode = scenario.cluster.gpusPerNode
        dispatchTraffic.clear()
        for e in expertTokens.indices { expertTokens[e] = 0 }
        if replicaTokens.count != placement.replicaCount {
            replicaTokens = [Int](repeating: 0, count: placement.replicaCount)
        } else {
            for r in replicaTokens.indices { replicaTokens[r] = 0 }
        }
        for g in gpuTokens.indices {
            gpuTokens[g] = 0
            tokensArrived[g] = 0
        }

        var unrouted = 0
        for token in 0..<buffer.tokenCount {
            let source = token / scenario.tokensPerGPU
            let sourceNode = source / gpusPerNode
            var reached = false
            for slot in buffer.slots(of: token) where !buffer.dropped[slot] {
                reached = true
                let gpu = Int(buffer.gpus[slot])
                let expert = Int(buffer.experts[slot])
                expertTokens[expert] += 1
                replicaTokens[placement.replicaIndex(of: expert, onGPU: gpu)] += 1
                gpuTokens[gpu] += 1
                let firstToGPU = !sendsEarlier(buffer, token: token, before: slot, toGPU: gpu)
                if firstToGPU { tokensArrived[gpu] += 1 }
                switch deduplication {
                case .none:
                    dispatchTraffic.add(bytesPerToken, from: source, to: gpu)
                case .perGPU:
                    if firstToGPU { dispatchTraffic.add(bytesPerToken, from: source, to: gpu) }
                case .perNode:
                    let node = gpu / gpusPerNode
                    if node == sourceNode {
                        if firstToGPU { dispatchTraffic.add(bytesPerToken, from: source, to: gpu) }
                        continue
                    }
                    // One network copy per node, to the sender's rail peer there, which forwards over NVLink.
                    let forwarder = node * gpusPerNode + source % gpusPerNode
                    if !sendsEarlier(buffer, token: token, before: slot, toNode: node) {
                        dispatchTraffic.add(bytesPerToken, from: source, to: forwarder)
                    }
                    if firstToGPU && forwarder != gpu { dispatchTraffic.add(bytesPerToken, from: forwarder, to: gpu) }
                }
            }
            if !reached { unrouted += 1 }
        }

        let combineBytes = scenario.model.combineBytesPerToken
        let combineTraffic = dispatchTraffic.transposed(scaledBy: combineBytes, over: bytesPerToken)
        var dispatch = network.cost(of: dispatchTraffic)
        var combine = network.cost(of: combineTraffic)
        var gate = compute.gateTime(tokens: scenario.tokensPerGPU)
        for g in gpuBusy.indices { gpuBusy[g] = .zero }
        for replica in 0..<placement.replicaCount {
            gpuBusy[Int(placement.replicaGPUs[replica])] += compute.expertTime(tokens: replicaTokens[replica])
        }
        var expert = gpuBusy.max() ?? .zero
        var dispatchBytes = dispatchTraffic.totalBytes
        var combineSent = combineTraffic.totalBytes

        if scenario.simulation.mode == .training {
            let backwardDispatch = network.cost(of: combineTraffic.transposed(scaledBy: 1, over: 1))
            dispatch = dispatch.adding(backwardDispatch)
            combine = combine.adding(combine)
            gate = gate + gate + gate
            expert = expert + expert + expert
            dispatchBytes += combineSent
            combineSent += combineSent
        }
        return LayerOutcome(gate: gate, dispatch: dispatch, expert: expert, combine: combine,
                            gpuLoad: LoadStatistics(gpuTokens), expertLoad: LoadStatistics(expertTokens),
                            dispatchBytes: dispatchBytes, unroutedTokens: unrouted, combineBytes: combineSent)
    }

    /// Whether an earlier kept slot of `token` already goes to `gpu` (so this copy is deduplicated).
    @inline(__always)
    private func sendsEarlier(_ buffer: RoutingBuffer, token: Int, before slot: Int, toGPU gpu: Int) -> Bool {
        var earlier = buffer.slotStart[token]
        while earlier < slot {
            if !buffer.dropped[earlier] && Int(buffer.gpus[earlier]) == gpu { return true }
            earlier += 1
        }
        return false
    }

    /// Whether an earlier kept slot of `token` already goes to a GPU of `node`.
    @inline(__always)
    private func sendsEarlier(_ buffer: RoutingBuffer, token: Int, before slot: Int, toNode node: Int) -> Bool {
        var earlier = buffer.slotStart[token]
        while earlier < slot {
            if !buffer.dropped[earlier] && Int(buffer.gpus[earlier]) / scenario.cluster.gpusPerNode == node { return true }
            earlier += 1
        }
        return false
    }
}

extension PhaseCost {
    /// Two phases run back to back: times and bytes add, per-GPU maxima take the larger.
    func adding(_ other: PhaseCost) -> PhaseCost {
        PhaseCost(time: time + other.time, intraNodeBytes: intraNodeBytes + other.intraNodeBytes,
                  interNodeBytes: interNodeBytes + other.interNodeBytes,
                  maxGPUSentBytes: max(maxGPUSentBytes, other.maxGPUSentBytes),
                  maxGPUReceivedBytes: max(maxGPUReceivedBytes, other.maxGPUReceivedBytes))
    }
}
