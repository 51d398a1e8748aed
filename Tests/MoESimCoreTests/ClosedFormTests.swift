import XCTest
@testable import MoESimCore

/// Every model against a closed form small enough to compute by hand, asserted to the nanosecond.
final class ClosedFormTests: XCTestCase {
    func testSingleTransferIsAlphaPlusBytesOverBandwidth() {
        let link = LinkSpec(bandwidthBytesPerSecond: 100e9, efficiency: 0.5, latencyNanos: 2_500)
        // 1 MB at 50 GB/s = 20 µs, plus α.
        XCTAssertEqual(link.transferTime(bytes: 1_000_000), SimTime(nanoseconds: 22_500))
        XCTAssertEqual(link.transferTime(bytes: 0), SimTime(nanoseconds: 2_500))
        // A byte count that does not divide evenly rounds up to the next nanosecond: 1 B at 50 GB/s = 0.02 ns.
        XCTAssertEqual(link.transferTime(bytes: 1), SimTime(nanoseconds: 2_501))
    }

    func testSingleIntraNodeFlowUsesNVLink() {
        let cluster = ClusterPreset.dgxH100.spec
        var traffic = TrafficMatrix(gpuCount: 8)
        traffic[0, 1] = 36_000_000
        var network = AnalyticalNetwork(cluster: cluster)
        let time = network.time(of: traffic)
        let cost = TestSupport.bytes(of: traffic, gpusPerNode: cluster.gpusPerNode)
        // 36 MB over 450 GB/s × 0.8 = 360 GB/s → 100 µs, plus NVLink α = 2 µs.
        XCTAssertEqual(time, SimTime(nanoseconds: 102_000))
        XCTAssertEqual(time, cluster.intraNodeLink.transferTime(bytes: 36_000_000))
        XCTAssertEqual(cost.intraNodeBytes, 36_000_000)
        XCTAssertEqual(cost.interNodeBytes, 0)
    }

    func testSingleInterNodeFlowIsBoundByTheNIC() {
        var cluster = ClusterPreset.dgxH100.spec
        cluster.nodes = 2
        var traffic = TrafficMatrix(gpuCount: 16)
        traffic[3, 11] = 43_000_000
        var network = AnalyticalNetwork(cluster: cluster)
        let time = network.time(of: traffic)
        let cost = TestSupport.bytes(of: traffic, gpusPerNode: cluster.gpusPerNode)
        // NIC: 400 Gb/s = 50 GB/s × 0.86 = 43 GB/s → 1000 µs (PCIe Gen5 at 51.2 GB/s is faster), α = 3 µs.
        XCTAssertEqual(time, SimTime(nanoseconds: 1_003_000))
        XCTAssertEqual(cost.interNodeBytes, 43_000_000)
    }

    func testUniformAllToAllOnOneNVSwitchNode() {
        let cluster = ClusterPreset.dgxH100.spec
        let n = 8
        let bytesPerGPU: Int64 = 72_000_000 // 9 MB to each of 8 GPUs, one of them itself
        var traffic = TrafficMatrix(gpuCount: n)
        for s in 0..<n { for d in 0..<n { traffic[s, d] = bytesPerGPU / Int64(n) } }
        var network = AnalyticalNetwork(cluster: cluster)
        let time = network.time(of: traffic)
        let cost = TestSupport.bytes(of: traffic, gpusPerNode: cluster.gpusPerNode)
        // α + (N−1)/N · bytesPerGPU / bandwidth = 2 µs + 63 MB / 360 GB/s = 2 µs + 175 µs.
        XCTAssertEqual(time, SimTime(nanoseconds: 177_000))
        let closedForm = SimTime(nanoseconds: cluster.intraNodeLink.latencyNanos)
            + SimTime.duration(work: Double(bytesPerGPU) * Double(n - 1) / Double(n),
                               ratePerSecond: cluster.intraNodeLink.effectiveBytesPerSecond)
        XCTAssertEqual(time, closedForm)
        XCTAssertEqual(cost.intraNodeBytes, 63_000_000 * 8)
    }

    func testPCIeNodeAddsIntraAndInterNodeBytesOnTheSameLink() {
        var cluster = ClusterPreset.pcieA100.spec
        cluster.nodes = 2
        var traffic = TrafficMatrix(gpuCount: 16)
        traffic[0, 1] = 12_800_000 // intra-node, over GPU 0's PCIe link
        traffic[0, 8] = 12_800_000 // inter-node, also over GPU 0's PCIe link
        var network = AnalyticalNetwork(cluster: cluster)
        // GPU 0's PCIe egress carries 25.6 MB at 32 GB/s × 0.8 = 25.6 GB/s → 1000 µs;
        // its NIC (25 GB/s × 0.86 = 21.5 GB/s) carries 12.8 MB → 595.3 µs. The PCIe link can start with
        // the intra-node transfer (α 2 µs; the inter-node one waits 3 µs), so the bound is 2 + 1000 µs.
        XCTAssertEqual(network.time(of: traffic), SimTime(nanoseconds: 1_002_000))
    }

    /// A layer routed by hand on 8 GPUs with one expert each: token t of every GPU goes to expert
    /// t mod 8, so every GPU sends one token to every GPU (one of them itself): a uniform all-to-all.
    func uniformHandRoutedLayer() -> (placement: ExpertPlacement, buffer: RoutingBuffer) {
        let placement = ExpertPlacement.contiguous(experts: 8, gpuCount: 8)
        var buffer = RoutingBuffer()
        buffer.reset(tokenCount: 64, k: 1)
        for t in 0..<64 { buffer.experts[t] = Int32(t % 8) }
        TestSupport.assignGPUs(&buffer, placement: placement)
        return (placement, buffer)
    }

    func testHandRoutedLayerMatchesTheClosedForm() throws {
        let scenario = try TestSupport.scenario(experts: 8, tokensPerGPU: 8, strategies: #"[{"name":"switch"}]"#)
        let (placement, buffer) = uniformHandRoutedLayer()
        var step = MoELayerStep(scenario: scenario)
        let outcome = step.evaluate(buffer, placement: placement, deduplication: .perGPU)

        let cluster = scenario.cluster
        let tokenBytes: Int64 = 512 * 2
        let a2a = SimTime(nanoseconds: cluster.intraNodeLink.latencyNanos)
            + SimTime.duration(work: Double(7 * tokenBytes), ratePerSecond: cluster.intraNodeLink.effectiveBytesPerSecond)
        let compute = ComputeModel(gpu: cluster.gpu, model: scenario.model)
        XCTAssertEqual(outcome.dispatch.time, a2a)
        XCTAssertEqual(outcome.combine.time, a2a)
        XCTAssertEqual(outcome.expert, compute.expertTime(tokens: 8))
        XCTAssertEqual(outcome.gate, compute.gateTime(tokens: 8))
        XCTAssertEqual(outcome.dispatchBytes, 64 * tokenBytes)
        XCTAssertEqual(outcome.dispatch.intraNodeBytes, 56 * tokenBytes)
        XCTAssertEqual(outcome.gpuLoad.maxOverMean, 1)
        XCTAssertEqual(outcome.gpuLoad.gini, 0)
        XCTAssertEqual(outcome.expertLoad.gini, 0)
    }

    func testTrainingAddsTheBackwardPass() throws {
        let inference = try TestSupport.scenario(experts: 8, tokensPerGPU: 8, strategies: #"[{"name":"switch"}]"#)
        var training = inference
        training.simulation.mode = .training
        let (placement, buffer) = uniformHandRoutedLayer()
        var forwardStep = MoELayerStep(scenario: inference)
        var trainingStep = MoELayerStep(scenario: training)
        let forward = forwardStep.evaluate(buffer, placement: placement, deduplication: .perGPU)
        let both = trainingStep.evaluate(buffer, placement: placement, deduplication: .perGPU)
        // Backward compute is twice the forward; the all-to-alls run once more each (same element size here).
        XCTAssertEqual(both.gate, forward.gate + forward.gate + forward.gate)
        XCTAssertEqual(both.expert, forward.expert + forward.expert + forward.expert)
        XCTAssertEqual(both.dispatch.time, forward.dispatch.time + forward.dispatch.time)
        XCTAssertEqual(both.combine.time, forward.combine.time + forward.combine.time)
        XCTAssertEqual(both.dispatchBytes, 2 * forward.dispatchBytes)
    }
}

/// Each way of sending a token's copies, on a case small enough to follow byte by byte.
final class DeduplicationTests: XCTestCase {
    /// 2 nodes × 2 GPUs, one expert per GPU except GPU 2 (experts 2 and 3); GPU 3 holds expert 4.
    /// Token 0 (on GPU 0) goes to experts 1, 2, 3 and 4: GPUs 1, 2, 2 and 3.
    func layer(_ deduplication: Deduplication, transport: Transport = .nvlink,
               selfCopies: SelfCopies = .local) throws -> (MoELayerStep, LayerOutcome) {
        var scenario = try Scenario.decode(JSONParser.parse("""
            {"version": 1, "cluster": {"nodes": 2, "gpusPerNode": 2, "nicsPerNode": 2},
             "model": {"hiddenSize": 1000, "experts": 5, "dispatchBytesPerElement": 1, "combineBytesPerElement": 2},
             "parallelism": {"tokensPerGPU": 1, "placement": {"kind": "explicit", "gpuOfExpert": [0, 1, 2, 2, 3]}},
             "routing": {"strategies": [{"name": "topk", "k": 4}]}}
            """))
        scenario.transport = transport
        scenario.selfCopies = selfCopies
        let placement = scenario.basePlacement
        var buffer = RoutingBuffer()
        buffer.reset(slotCounts: [4, 0, 0, 0], k: 4)
        for (slot, expert) in [1, 2, 3, 4].enumerated() { buffer.experts[slot] = Int32(expert) }
        TestSupport.assignGPUs(&buffer, placement: placement)
        var step = MoELayerStep(scenario: scenario)
        let outcome = step.evaluate(buffer, placement: placement, deduplication: deduplication)
        return (step, outcome)
    }

    func testPerGPUSendsOneCopyPerDestinationGPU() throws {
        let (step, outcome) = try layer(.perGPU)
        XCTAssertEqual(step.dispatchCopies.copies, [0, 1, 1, 1,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0])
        XCTAssertEqual(outcome.dispatch.intraNodeBytes, 1000)
        XCTAssertEqual(outcome.dispatch.interNodeBytes, 2000)
        XCTAssertEqual(outcome.combine.interNodeBytes, 4000, "combine returns the same copies at 2 bytes/element")
        XCTAssertEqual(outcome.dispatch.maxGPUSentBytes, 3000)
        XCTAssertEqual(outcome.dispatch.maxGPUReceivedBytes, 1000)
        XCTAssertEqual(outcome.combine.maxGPUReceivedBytes, 6000, "GPU 0 gets all three results back")
        XCTAssertEqual(outcome.dispatchBytes, 3000)
    }

    func testNoDedupSendsOneCopyPerExpert() throws {
        let (step, outcome) = try layer(.none)
        XCTAssertEqual(step.dispatchCopies.copies, [0, 1, 2, 1,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0])
        XCTAssertEqual(outcome.dispatch.interNodeBytes, 3000)
        XCTAssertEqual(outcome.dispatchBytes, 4000)
    }

    func testPerNodeCrossesTheNetworkOnceThenForwardsOverNVLink() throws {
        let (step, outcome) = try layer(.perNode)
        // GPU 0 → GPU 1 over NVLink; GPU 0 → GPU 2 (its rail peer on node 1) once over RDMA;
        // GPU 2 keeps that copy for its own experts (no extra hop) and forwards one to GPU 3 over NVLink.
        XCTAssertEqual(step.dispatchCopies.copies, [0, 1, 1, 0,  0, 0, 0, 0,  0, 0, 0, 1,  0, 0, 0, 0])
        XCTAssertEqual(step.tokensArrived, [0, 1, 1, 1], "the token arrives once at each GPU with its experts")
        XCTAssertEqual(outcome.dispatch.interNodeBytes, 1000)
        XCTAssertEqual(outcome.dispatch.intraNodeBytes, 2000)
        // Time: the NIC carries 1000 B at 43 GB/s (23.3 ns, rounded up to 24); α = 3 µs (RDMA).
        XCTAssertEqual(outcome.dispatch.time, SimTime(nanoseconds: 3_000 + 24))
    }

    /// The same layer (2 nodes × 2 GPUs; token 0 on GPU 0 to GPUs 1, 2, 2, 3) with
    /// dedup `node` and self copies on links: the own node gets a NIC loopback of GPU 0 (then NVLink
    /// 0 → 1), node 1 its copy at the rail peer GPU 2, which has experts itself (an NVLink loopback)
    /// and forwards to GPU 3.
    func testPerNodeWithSelfCopiesOnLinks() throws {
        let (step, outcome) = try layer(.perNode, selfCopies: .links)
        XCTAssertEqual(step.dispatchCopies.copies, [0, 1, 1, 0,  0, 0, 0, 0,  0, 0, 0, 1,  0, 0, 0, 0])
        XCTAssertEqual(step.dispatchCopies.loopback, [0, 0, 1, 0,  1, 0, 0, 0], "intra-node GPU 2; NIC GPU 0")
        // GPU 0's NIC carries 1000 B to node 1 and 1000 B of loopback: 2000 B / 43 GB/s = 46.5 → 47 ns, α = 3 µs.
        XCTAssertEqual(outcome.dispatch.time, SimTime(nanoseconds: 3_000 + 47))
        XCTAssertEqual(outcome.dispatchBytes, 5000, "three copies over links and two loopbacks")
        let (local, _) = try layer(.perNode)
        XCTAssertEqual(local.dispatchCopies.loopback, [0, 0, 0, 0,  0, 0, 0, 0], "local self copies cost nothing")
    }

    func testRDMATransportSendsIntraNodeBytesThroughTheNIC() throws {
        let (_, nvlink) = try layer(.perGPU)
        let (_, rdma) = try layer(.perGPU, transport: .rdma)
        XCTAssertEqual(rdma.dispatch.intraNodeBytes, nvlink.dispatch.intraNodeBytes, "bytes are counted by where they go")
        // GPU 0's NIC now carries all 3000 B: 3000 / 43e9 s = 69.8 ns → 70 ns, after α = 3 µs.
        XCTAssertEqual(rdma.dispatch.time, SimTime(nanoseconds: 3_000 + 70))
        var alone = TrafficMatrix(gpuCount: 4)
        alone[0, 1] = 43_000
        var network = AnalyticalNetwork(cluster: rdmaCluster(), transport: .rdma)
        XCTAssertEqual(network.time(of: alone), SimTime(nanoseconds: 3_000 + 1_000), "one intra-node flow at NIC speed")
    }

    func rdmaCluster() -> ClusterSpec {
        var cluster = ClusterPreset.dgxH100.spec
        cluster.gpusPerNode = 2
        cluster.nicsPerNode = 2
        cluster.nodes = 2
        return cluster
    }
}
