/// Prices one MoE layer for one batch of routed tokens: gate → dispatch
/// all-to-all → expert FFNs → combine all-to-all, as the scenario's `LayerStage` pipeline.
///
/// It counts, once, the copies the routed tokens put on the wire (`CopyMatrix`, for the layer and
/// for each micro-batch) and the tokens each GPU, expert and replica gets; prices the kernels with
/// the `ComputeModel`; has the scenario's `LayerNetworkModel` time the pipeline (the analytical
/// bound back to back, or the flow model as events with contention and overlap); and accounts
/// where every phase's bytes went (`TrafficAccount`).
///
/// Dispatch sends a token's hidden state from its source GPU to the GPUs of its
/// kept experts: once per destination GPU (Switch and SAM always reach a single
/// GPU), once per expert, or once per destination node and then forwarded over
/// NVLink (see `Deduplication`). Copies to the token's own GPU (and, per node, to its own node) stay
/// local, or with `SelfCopies.links` loop through the sender's port or NIC (`CopyMatrix.loopback`).
/// Combine returns one result per copy, at the combine element size. Training adds the backward
/// pass: the gradient of the combine travels the dispatch direction and that of the dispatch the
/// combine direction, both at the combine element size, with twice the forward compute.
public struct MoELayerStep {
    /// The scenario being simulated.
    public let scenario: Scenario
    private let compute: ComputeModel
    /// Each GPU's compute speed as a fraction of normal (`Perturbations`; 1 when healthy).
    private let computeFactors: [Double]
    /// Whether each GPU failed (`Perturbations`): its tokens are not routed and it computes nothing.
    private let failed: [Bool]
    private let layout: TokenLayout
    /// The layer's pipeline, which the network model runs and the byte accounting reads.
    private let stages: [LayerStage]
    private var network: any LayerNetworkModel
    /// Dispatch copies of the last evaluated layer, source × destination (local copies on the diagonal).
    public private(set) var dispatchCopies: CopyMatrix
    /// The same per micro-batch (only kept when there are several).
    private var microbatchCopies: [CopyMatrix]
    /// Tokens of each GPU in each micro-batch.
    private let microbatchTokens: [Int]
    private var microbatchReplicaTokens: [Int] = []
    private var gateNanos: [Int64] = []
    private var expertNanos: [Int64] = []
    /// Scratch: one GPU's replicas' token counts in one micro-batch.
    private var groupRows: [Int] = []
    private var expertTokens: [Int]
    private var gpuTokens: [Int]
    /// Tokens that arrived at each GPU for its experts in the last evaluated layer (one per token and GPU).
    public private(set) var tokensArrived: [Int]
    /// Kept slots per expert replica (indexed like `placement.replicaGPUs`) in the last evaluated layer.
    public private(set) var replicaTokens: [Int] = []
    /// Where the last evaluated layer's bytes went, per GPU over all its phases.
    public private(set) var traffic: TrafficAccount

    /// Prepares scratch space for `scenario`.
    public init(scenario: Scenario) {
        self.scenario = scenario
        compute = ComputeModel(gpu: scenario.cluster.gpu, model: scenario.model)
        computeFactors = scenario.perturbations.computeFactors(gpuCount: scenario.cluster.gpuCount,
                                                               seed: scenario.simulation.seed)
        failed = scenario.perturbations.failed(gpuCount: scenario.cluster.gpuCount,
                                               gpusPerNode: scenario.cluster.gpusPerNode)
        layout = scenario.tokenLayout
        stages = LayerStage.pipeline(mode: scenario.simulation.mode, dispatchBytes: scenario.model.dispatchBytesPerToken,
                                     combineBytes: scenario.model.combineBytesPerToken)
        let topology = Topology(cluster: scenario.cluster, transport: scenario.transport,
                                perturbations: scenario.perturbations)
        switch scenario.simulation.network {
        case .analytical: network = AnalyticalLayerModel(topology: topology)
        case .flow: network = FlowLayerSimulation(topology: topology, precision: scenario.simulation.flowPrecision)
        }
        let gpus = scenario.cluster.gpuCount
        dispatchCopies = CopyMatrix(gpuCount: gpus)
        microbatchCopies = layout.microbatches > 1
            ? [CopyMatrix](repeating: dispatchCopies, count: layout.microbatches) : []
        microbatchTokens = layout.microbatchTokenCounts
        expertTokens = [Int](repeating: 0, count: scenario.model.experts)
        gpuTokens = [Int](repeating: 0, count: gpus)
        tokensArrived = gpuTokens
        traffic = TrafficAccount(gpuCount: gpus, gpusPerNode: scenario.cluster.gpusPerNode)
    }

    /// When set (flow model only), every kernel and flow of the following evaluations is recorded here.
    public var recording: Timeline.Track? {
        get { network.recording }
        set { network.recording = newValue }
    }

    /// All compute (gate and experts, forward and backward, every micro-batch) of each GPU in the last evaluated layer.
    public var gpuCompute: [SimTime] { network.gpuCompute }

    /// Prices the layer for the tokens routed in `buffer` (laid out as `Scenario.tokenLayout`;
    /// every slot's GPU must be assigned).
    /// - Parameter deduplication: how a token's kept experts become copies on the wire.
    /// - Complexity: O(T · k + (S + M) · G² + E log E) for S pipeline stages and M micro-batches.
    public mutating func evaluate(_ buffer: RoutingBuffer, placement: ExpertPlacement,
                                  deduplication: Deduplication, layer: Int = 0) -> LayerOutcome {
        let unrouted = countCopies(buffer, placement: placement, deduplication: deduplication)
        let work = kernelWork(placement: placement)
        let timing = network.run(work, layer: layer)
        var dispatch = PhaseCost.zero, combine = PhaseCost.zero
        traffic.reset()
        for stage in stages {
            guard let phase = stage.traffic(of: dispatchCopies) else { continue }
            switch phase.direction {
            case .dispatch: traffic.charge(phase, to: &dispatch)
            case .combine: traffic.charge(phase, to: &combine)
            }
        }
        dispatch.time = timing.dispatchTime
        combine.time = timing.combineTime
        // Failed GPUs hold no load; the imbalance is that of the survivors.
        let survivorTokens = failed.contains(true) ? zip(gpuTokens, failed).filter { !$0.1 }.map(\.0) : gpuTokens
        return LayerOutcome(gate: timing.gateTime, dispatch: dispatch, expert: timing.expertTime, combine: combine,
                            gpuLoad: LoadStatistics(survivorTokens), expertLoad: LoadStatistics(expertTokens),
                            unroutedTokens: unrouted, layerTime: timing.layerTime)
    }

    /// Counts the copies every kept slot of `buffer` puts on the wire (whole layer and per micro-batch)
    /// and the tokens each GPU, expert and replica gets; returns the tokens that reached no expert.
    ///
    /// One pass over the slots counts each micro-batch's copies and replica tokens into scratch reached
    /// through pointers (no copy-on-write check per slot); whether a token already reached a GPU or node
    /// is read off the last token stamped there. Expert, replica and GPU totals follow from the replica
    /// counts, and the layer's matrix is the micro-batches' sum.
    /// - Complexity: O(T · k + M · (G² + replicas)); two allocations per batch.
    private mutating func countCopies(_ buffer: RoutingBuffer, placement: ExpertPlacement,
                                      deduplication: Deduplication) -> Int {
        let gpus = scenario.cluster.gpuCount
        let gpusPerNode = scenario.cluster.gpusPerNode
        let nodes = (gpus + gpusPerNode - 1) / gpusPerNode
        let microbatches = layout.microbatches
        let replicas = placement.replicaCount
        let loopbackCount = TrafficMatrix.Loopback.allCases.count * gpus
        // Per micro-batch: the copies (G × G) then the loopbacks, as `CopyMatrix` lays them out.
        let copyStride = gpus * gpus + loopbackCount
        var copyCounts = [Int64](repeating: 0, count: microbatches * copyStride)
        // Per micro-batch its replicas' tokens, then the tokens arrived per GPU, then the last token
        // stamped on each GPU and on each node (−1: none yet).
        let arrivedStart = microbatches * replicas, gpuStampStart = arrivedStart + gpus
        let nodeStampStart = gpuStampStart + gpus
        var tokenCounts = [Int](repeating: 0, count: nodeStampStart + nodes)
        for i in gpuStampStart..<tokenCounts.count { tokenCounts[i] = -1 }

        let throughLinks = scenario.selfCopies == .links
        // A GPU's copy for itself takes the links its copies for its node's GPUs take.
        let ownPort: TrafficMatrix.Loopback = scenario.transport == .rdma ? .nic : .intraNode
        let layout = layout, failed = failed
        var unrouted = 0
        copyCounts.withUnsafeMutableBufferPointer { copyCounts in
        tokenCounts.withUnsafeMutableBufferPointer { tokenCounts in
        buffer.gpus.withUnsafeBufferPointer { slotGPUs in
        buffer.experts.withUnsafeBufferPointer { slotExperts in
        buffer.dropped.withUnsafeBufferPointer { dropped in
            let counts = tokenCounts.baseAddress!
            let arrived = counts + arrivedStart, gpuStamps = counts + gpuStampStart, nodeStamps = counts + nodeStampStart
            for token in 0..<buffer.tokenCount {
                let source = layout.sourceGPU(of: token)
                if failed[source] { continue }   // a failed GPU's tokens are not routed
                let sourceNode = source / gpusPerNode
                let microbatch = layout.microbatch(of: token)
                let copies = copyCounts.baseAddress! + microbatch * copyStride
                let loopbacks = copies + gpus * gpus
                let replicaTokens = counts + microbatch * replicas
                // A copy through a loopback, when the sender's own copies cost a link (`SelfCopies.links`).
                @inline(__always) func loopback(_ gpu: Int, through links: TrafficMatrix.Loopback) {
                    if throughLinks { loopbacks[links.rawValue * gpus + gpu] += 1 }
                }
                // One copy from `sender` to `receiver`: over the links, or looped back when they are the same GPU.
                @inline(__always) func copy(from sender: Int, to receiver: Int) {
                    copies[sender * gpus + receiver] += 1
                    if sender == receiver { loopback(sender, through: ownPort) }
                }
                var reached = false
                for slot in buffer.slots(of: token) where !dropped[slot] {
                    reached = true
                    let gpu = Int(slotGPUs[slot])
                    replicaTokens[placement.replicaIndex(of: Int(slotExperts[slot]), onGPU: gpu)] += 1
                    // Whether no earlier kept slot of the token goes to this GPU (else this copy is deduplicated).
                    let firstToGPU = gpuStamps[gpu] != token
                    gpuStamps[gpu] = token
                    if firstToGPU { arrived[gpu] += 1 }
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
                        let firstToNode = nodeStamps[node] != token
                        nodeStamps[node] = token
                        let forwarder = node * gpusPerNode + source % gpusPerNode
                        if node == sourceNode {
                            if firstToNode { loopback(source, through: .nic) }
                            if firstToGPU { copy(from: source, to: gpu) }
                        } else {
                            if firstToNode { copies[source * gpus + forwarder] += 1 }
                            if firstToGPU {
                                if forwarder != gpu { copies[forwarder * gpus + gpu] += 1 } else { loopback(gpu, through: ownPort) }
                            }
                        }
                    }
                }
                if !reached { unrouted += 1 }
            }
        }
        }
        }
        }
        }

        // Fresh arrays rather than zeroed in place: the last batch's went into its LayerObservation,
        // which another thread may be reading.
        microbatchReplicaTokens = Array(tokenCounts[0..<arrivedStart])
        tokensArrived = Array(tokenCounts[arrivedStart..<gpuStampStart])
        replicaTokens = [Int](repeating: 0, count: replicas)
        for m in 0..<microbatches {
            for replica in 0..<replicas { replicaTokens[replica] += microbatchReplicaTokens[m * replicas + replica] }
        }
        for e in expertTokens.indices { expertTokens[e] = 0 }
        for g in gpuTokens.indices { gpuTokens[g] = 0 }
        for expert in 0..<placement.expertCount {
            for replica in placement.replicaStart[expert]..<placement.replicaStart[expert + 1] {
                expertTokens[expert] += replicaTokens[replica]
                gpuTokens[Int(placement.replicaGPUs[replica])] += replicaTokens[replica]
            }
        }
        dispatchCopies.clear()
        copyCounts.withUnsafeBufferPointer { copyCounts in
            for m in 0..<microbatches {
                let copies = UnsafeBufferPointer(rebasing: copyCounts[m * copyStride..<m * copyStride + gpus * gpus])
                let loopbacks = UnsafeBufferPointer(rebasing: copyCounts[m * copyStride + gpus * gpus..<(m + 1) * copyStride])
                dispatchCopies.add(copies: copies, loopback: loopbacks)
                if microbatches > 1 {
                    microbatchCopies[m].clear()
                    microbatchCopies[m].add(copies: copies, loopback: loopbacks)
                }
            }
        }
        return unrouted
    }

    /// The kernel times of the counted tokens, per micro-batch: the gate on each GPU's tokens; on each GPU
    /// its replicas' FFNs (two grouped GEMMs over them, or two GEMMs per replica with tokens) and its shared
    /// experts on its own tokens; a slow GPU's kernels take ⌈time / its factor⌉.
    /// - Complexity: O(M · (G + replicas)).
    private mutating func kernelWork(placement: ExpertPlacement) -> LayerWork {
        let gpus = scenario.cluster.gpuCount
        let microbatches = layout.microbatches
        let replicas = placement.replicaCount
        if gateNanos.count != microbatches * gpus {
            gateNanos = [Int64](repeating: 0, count: microbatches * gpus)
            expertNanos = gateNanos
        } else {
            for i in expertNanos.indices { expertNanos[i] = 0 }
        }
        let grouped = scenario.model.expertKernel == .grouped
        if grouped {
            let mostHosted = placement.maxExpertsPerGPU
            if groupRows.count < mostHosted { groupRows = [Int](repeating: 0, count: mostHosted) }
        }
        for m in 0..<microbatches {
            let gateTime = compute.gateTime(tokens: microbatchTokens[m]).nanoseconds
            let sharedTime = compute.sharedExpertTime(tokens: microbatchTokens[m]).nanoseconds
            for g in 0..<gpus {
                gateNanos[m * gpus + g] = failed[g] ? 0 : gateTime
                expertNanos[m * gpus + g] = failed[g] ? 0 : sharedTime
            }
            if grouped {
                for g in 0..<gpus {
                    // GPU g's replicas, in ascending expert order (the placement's own grouping).
                    let hosted = placement.experts(onGPU: g)
                    for (group, expert) in hosted.enumerated() {
                        let replica = placement.replicaIndex(of: Int(expert), onGPU: g)
                        groupRows[group] = microbatchReplicaTokens[m * replicas + replica]
                    }
                    expertNanos[m * gpus + g] = SimTime.cappedSum(expertNanos[m * gpus + g],
                                                                  compute.groupedExpertTime(rows: groupRows[0..<hosted.count]).nanoseconds)
                }
            } else {
                for replica in 0..<replicas {
                    let g = Int(placement.replicaGPUs[replica])
                    expertNanos[m * gpus + g] = SimTime.cappedSum(expertNanos[m * gpus + g],
                        compute.expertTime(tokens: microbatchReplicaTokens[m * replicas + replica]).nanoseconds)
                }
            }
            for g in 0..<gpus where computeFactors[g] != 1 {
                gateNanos[m * gpus + g] = Perturbations.slowed(gateNanos[m * gpus + g], by: computeFactors[g])
                expertNanos[m * gpus + g] = Perturbations.slowed(expertNanos[m * gpus + g], by: computeFactors[g])
            }
        }
        return LayerWork(stages: stages, microbatchCopies: microbatches > 1 ? microbatchCopies : [dispatchCopies],
                         gateNanos: gateNanos, expertNanos: expertNanos)
    }
}
