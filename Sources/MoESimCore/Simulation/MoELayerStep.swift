/// Prices one MoE layer for one batch of routed tokens: gate → dispatch
/// all-to-all → expert FFNs → combine all-to-all. Under the analytical model each
/// phase ends when its slowest GPU (or link) finishes and phases run back to back;
/// under the flow model the layer runs as events (`FlowLayerSimulation`), micro-batch
/// by micro-batch, with contention and overlap.
///
/// Dispatch sends a token's hidden state from its source GPU to the GPUs of its
/// kept experts: once per destination GPU (Switch and SAM always reach a single
/// GPU), once per expert, or once per destination node and then forwarded over
/// NVLink (see `Deduplication`). Copies to the token's own GPU (and, per node, to its own node) stay
/// local, or with `SelfCopies.links` loop through the sender's port or NIC (`TrafficMatrix.loopback`).
/// Combine returns one result per copy, at the combine element size. Training adds the backward
/// pass: the gradient of the combine travels the dispatch direction and that of the dispatch the
/// combine direction, both at the combine element size, with twice the forward compute.
public struct MoELayerStep {
    /// The scenario being simulated.
    public let scenario: Scenario
    private let compute: ComputeModel
    private var network: AnalyticalNetwork
    private var flowModel: FlowLayerSimulation?
    /// Dispatch bytes of the last evaluated layer, source × destination (local copies on the diagonal).
    public private(set) var dispatchTraffic: TrafficMatrix
    /// The same per micro-batch (only kept when there are several).
    private var microbatchTraffic: [TrafficMatrix]
    /// Tokens of each GPU in each micro-batch.
    private let microbatchTokens: [Int]
    private var microbatchReplicaTokens: [Int] = []
    private var gateNanos: [Int64] = []
    private var expertNanos: [Int64] = []
    private var expertTokens: [Int]
    private var gpuTokens: [Int]
    /// Tokens that arrived at each GPU for its experts in the last evaluated layer (one per token and GPU).
    public private(set) var tokensArrived: [Int]
    /// Kept slots per expert replica (indexed like `placement.replicaGPUs`) in the last evaluated layer.
    public private(set) var replicaTokens: [Int] = []
    /// Forward expert FFN time of each GPU in the last evaluated layer (scratch of the analytical pricing).
    private var gpuBusy: [SimTime]
    /// All compute (gate and experts, forward and backward, every micro-batch) of each GPU in the last evaluated layer.
    public private(set) var gpuCompute: [SimTime]

    /// Prepares scratch space for `scenario`.
    public init(scenario: Scenario) {
        self.scenario = scenario
        compute = ComputeModel(gpu: scenario.cluster.gpu, model: scenario.model)
        let topology = Topology(cluster: scenario.cluster, transport: scenario.transport)
        network = AnalyticalNetwork(topology: topology)
        if scenario.simulation.network == .flow {
            flowModel = FlowLayerSimulation(
                topology: topology,
                stages: LayerStage.pipeline(mode: scenario.simulation.mode,
                                            dispatchBytes: scenario.model.dispatchBytesPerToken,
                                            combineBytes: scenario.model.combineBytesPerToken),
                dispatchBytesPerToken: scenario.model.dispatchBytesPerToken,
                precision: scenario.simulation.flowPrecision)
        }
        dispatchTraffic = TrafficMatrix(gpuCount: scenario.cluster.gpuCount)
        let microbatches = scenario.microbatches
        microbatchTraffic = microbatches > 1
            ? [TrafficMatrix](repeating: dispatchTraffic, count: microbatches) : []
        var counts = [Int](repeating: 0, count: microbatches)
        for t in 0..<scenario.tokensPerGPU { counts[t * microbatches / scenario.tokensPerGPU] += 1 }
        microbatchTokens = counts
        expertTokens = [Int](repeating: 0, count: scenario.model.experts)
        gpuTokens = [Int](repeating: 0, count: scenario.cluster.gpuCount)
        tokensArrived = gpuTokens
        gpuBusy = [SimTime](repeating: .zero, count: scenario.cluster.gpuCount)
        gpuCompute = gpuBusy
    }

    /// When set (flow model only), every kernel and flow of the following evaluations is recorded here.
    public var recording: Timeline.Track? {
        get { flowModel?.recording }
        set { flowModel?.recording = newValue }
    }

    /// Prices the layer for the tokens routed in `buffer` (token t comes from GPU t / tokensPerGPU;
    /// every slot's GPU must be assigned).
    /// - Parameter deduplication: how a token's kept experts become copies on the wire.
    /// - Complexity: O(T · k² + G² + E log E).
    public mutating func evaluate(_ buffer: RoutingBuffer, placement: ExpertPlacement,
                                  deduplication: Deduplication, layer: Int = 0, timeOffset: SimTime = .zero) -> LayerOutcome {
        let bytesPerToken = scenario.model.dispatchBytesPerToken
        let gpusPerNode = scenario.cluster.gpusPerNode
        let microbatches = scenario.microbatches
        let tokensPerGPU = scenario.tokensPerGPU
        dispatchTraffic.clear()
        for m in microbatchTraffic.indices { microbatchTraffic[m].clear() }
        let replicas = placement.replicaCount
        if microbatchReplicaTokens.count != microbatches * replicas {
            microbatchReplicaTokens = [Int](repeating: 0, count: microbatches * replicas)
        } else {
            for i in microbatchReplicaTokens.indices { microbatchReplicaTokens[i] = 0 }
        }
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

        let throughLinks = scenario.selfCopies == .links
        // A GPU's copy for itself takes the links its copies for its node's GPUs take.
        let ownPort: TrafficMatrix.Loopback = scenario.transport == .rdma ? .nic : .intraNode
        var unrouted = 0
        for token in 0..<buffer.tokenCount {
            let source = token / tokensPerGPU
            let sourceNode = source / gpusPerNode
            let microbatch = token % tokensPerGPU * microbatches / tokensPerGPU
            // Adds dispatch bytes to the whole layer's matrix and to the micro-batch's.
            func send(from sender: Int, to receiver: Int) {
                dispatchTraffic.add(bytesPerToken, from: sender, to: receiver)
                if microbatches > 1 { microbatchTraffic[microbatch].add(bytesPerToken, from: sender, to: receiver) }
            }
            // A copy through a loopback, when the sender's own copies cost a link (`SelfCopies.links`).
            func loopback(_ gpu: Int, through links: TrafficMatrix.Loopback) {
                guard throughLinks else { return }
                dispatchTraffic.addLoopback(bytesPerToken, gpu: gpu, through: links)
                if microbatches > 1 { microbatchTraffic[microbatch].addLoopback(bytesPerToken, gpu: gpu, through: links) }
            }
            // One copy from `sender` to `receiver`: over the links, or looped back when they are the same GPU.
            func copy(from sender: Int, to receiver: Int) {
                send(from: sender, to: receiver)
                if sender == receiver { loopback(sender, through: ownPort) }
            }
            var reached = false
            for slot in buffer.slots(of: token) where !buffer.dropped[slot] {
                reached = true
                let gpu = Int(buffer.gpus[slot])
                let expert = Int(buffer.experts[slot])
                expertTokens[expert] += 1
                let replica = placement.replicaIndex(of: expert, onGPU: gpu)
                replicaTokens[replica] += 1
                microbatchReplicaTokens[microbatch * replicas + replica] += 1
                gpuTokens[gpu] += 1
                let firstToGPU = !sendsEarlier(buffer, token: token, before: slot, toGPU: gpu)
                if firstToGPU { tokensArrived[gpu] += 1 }
                switch deduplication {
                case .none:
                    copy(from: source, to: gpu)
                case .perGPU:
                    if firstToGPU { copy(from: source, to: gpu) }
                case .perNode:
                    // One network copy per node, to the sender's rail peer there, which forwards it over NVLink.
                    // On the sender's own node the sender is that peer: when self copies cost links, the copy
                    // passes its NIC (loopback) like the others, and the peer's copy for itself its NVLink port.
                    let node = gpu / gpusPerNode
                    let forwarder = node * gpusPerNode + source % gpusPerNode
                    if node == sourceNode {
                        if throughLinks && !sendsEarlier(buffer, token: token, before: slot, toNode: node) {
                            loopback(source, through: .nic)
                        }
                        if firstToGPU { copy(from: source, to: gpu) }
                    } else {
                        if !sendsEarlier(buffer, token: token, before: slot, toNode: node) { send(from: source, to: forwarder) }
                        if firstToGPU {
                            if forwarder != gpu { send(from: forwarder, to: gpu) } else { loopback(gpu, through: ownPort) }
                        }
                    }
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

        let training = scenario.simulation.mode == .training
        if training {
            let backwardDispatch = network.cost(of: combineTraffic.transposed(scaledBy: 1, over: 1))
            dispatch = dispatch.adding(backwardDispatch)
            combine = combine.adding(combine)
            gate = gate + gate + gate
            expert = expert + expert + expert
            dispatchBytes += combineSent
            combineSent += combineSent
        }
        var layerTime = gate + dispatch.time + expert + combine.time
        let computeFactor: Int64 = training ? 3 : 1
        for g in gpuCompute.indices {
            gpuCompute[g] = gate + SimTime(nanoseconds: gpuBusy[g].nanoseconds * computeFactor)
        }
        if var flow = flowModel {
            flowModel = nil   // keeps `flow` uniquely referenced while it runs
            let run = runFlowModel(&flow, placement: placement, layer: layer, offset: timeOffset)
            flowModel = flow
            gate = run.gateTime
            expert = run.expertTime
            dispatch.time = run.dispatchTime
            combine.time = run.combineTime
            layerTime = run.layerTime
            gpuCompute = flow.gpuCompute
        }
        return LayerOutcome(gate: gate, dispatch: dispatch, expert: expert, combine: combine,
                            gpuLoad: LoadStatistics(gpuTokens), expertLoad: LoadStatistics(expertTokens),
                            dispatchBytes: dispatchBytes, unroutedTokens: unrouted, combineBytes: combineSent,
                            layerTime: layerTime)
    }

    /// Runs the layer through the flow model: per-micro-batch kernel times from the roofline, traffic
    /// from the matrices just built.
    private mutating func runFlowModel(_ flow: inout FlowLayerSimulation, placement: ExpertPlacement,
                                       layer: Int, offset: SimTime) -> FlowLayerSimulation.Run {
        let gpus = scenario.cluster.gpuCount
        let microbatches = scenario.microbatches
        let replicas = placement.replicaCount
        if gateNanos.count != microbatches * gpus {
            gateNanos = [Int64](repeating: 0, count: microbatches * gpus)
            expertNanos = gateNanos
        } else {
            for i in expertNanos.indices { expertNanos[i] = 0 }
        }
        for m in 0..<microbatches {
            let gateTime = compute.gateTime(tokens: microbatchTokens[m]).nanoseconds
            for g in 0..<gpus { gateNanos[m * gpus + g] = gateTime }
            for replica in 0..<replicas {
                let g = Int(placement.replicaGPUs[replica])
                expertNanos[m * gpus + g] += compute.expertTime(tokens: microbatchReplicaTokens[m * replicas + replica]).nanoseconds
            }
        }
        return flow.run(traffic: microbatches > 1 ? microbatchTraffic : [dispatchTraffic], gateNanos: gateNanos,
                        expertNanos: expertNanos, layer: layer, offset: offset.nanoseconds)
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
