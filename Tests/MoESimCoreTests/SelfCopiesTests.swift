import XCTest
@testable import MoESimCore

/// `selfCopies: links` (DeepEP's normal kernels): the sender's own copies cost a link, as loopbacks
/// through its NVLink port or its NIC. Closed forms by hand, in both network models.
final class SelfCopiesTests: XCTestCase {
    /// One DGX H100 node: GPU 0 sends 3.6 MB to GPU 1 and loops 3.6 MB back through its own NVLink
    /// port; its egress (450 GB/s × 0.8 = 360 GB/s) carries 7.2 MB → 20 µs, after α = 2 µs.
    func testNVLinkLoopbackSharesTheSendersPort() {
        let cluster = FlowNetworkTests.dgxH100(nodes: 1)
        var traffic = TrafficMatrix(gpuCount: 8)
        traffic[0, 1] = 3_600_000
        traffic.addLoopback(3_600_000, gpu: 0, through: .intraNode)
        XCTAssertEqual(FlowNetworkTests.analyticalTime(cluster, traffic).nanoseconds, 22_000)
        XCTAssertEqual(FlowNetworkTests.flowTime(cluster, traffic).nanoseconds, 22_000)
        var alone = TrafficMatrix(gpuCount: 8)
        alone[0, 1] = 3_600_000
        XCTAssertEqual(FlowNetworkTests.analyticalTime(cluster, alone).nanoseconds, 12_000, "without the loopback: 10 µs")
    }

    /// Two DGX H100 nodes: GPU 0 sends 4.3 MB to GPU 8 and loops 4.3 MB through its NIC; the NIC
    /// (50 GB/s × 0.86 = 43 GB/s) carries 8.6 MB out → 200 µs, after α = 3 µs.
    func testNICLoopbackSharesTheSendersNIC() {
        let cluster = FlowNetworkTests.dgxH100(nodes: 2)
        var traffic = TrafficMatrix(gpuCount: 16)
        traffic[0, 8] = 4_300_000
        traffic.addLoopback(4_300_000, gpu: 0, through: .nic)
        XCTAssertEqual(FlowNetworkTests.analyticalTime(cluster, traffic).nanoseconds, 203_000)
        XCTAssertEqual(FlowNetworkTests.flowTime(cluster, traffic).nanoseconds, 203_000)
        // A loopback alone crosses the NIC once out and once in: 4.3 MB → 100 µs.
        var alone = TrafficMatrix(gpuCount: 16)
        alone.addLoopback(4_300_000, gpu: 5, through: .nic)
        XCTAssertEqual(FlowNetworkTests.analyticalTime(cluster, alone).nanoseconds, 103_000)
        XCTAssertEqual(TestSupport.bytes(of: alone, gpusPerNode: cluster.gpusPerNode).totalBytes, 4_300_000)
    }

    /// `dispatchScaleBlock`: FP8 with one FP32 scale per 128 elements is H + ⌈H/128⌉ · 4 bytes a token.
    func testScaleFactorsAddToTheDispatchToken() throws {
        XCTAssertEqual(MoEModelSpec(hiddenSize: 7168, expertFFNSize: 1, experts: 1, moeLayers: 1, dispatchBytesPerElement: 1,
                                    dispatchScaleBlock: 128).dispatchBytesPerToken, 7168 + 56 * 4)
        XCTAssertEqual(MoEModelSpec(hiddenSize: 100, expertFFNSize: 1, experts: 1, moeLayers: 1, dispatchBytesPerElement: 1,
                                    dispatchScaleBlock: 64).dispatchBytesPerToken, 100 + 2 * 4, "a partial block has a scale too")
        XCTAssertEqual(MoEModelSpec(hiddenSize: 100, expertFFNSize: 1, experts: 1, moeLayers: 1).dispatchBytesPerToken, 200)
        XCTAssertThrowsError(try Scenario.decode(JSONParser.parse("""
            {"version": 1, "model": {"hiddenSize": 64, "dispatchScaleBlock": 65}}
            """))) { error in
            XCTAssertTrue("\(error)".contains("model.dispatchScaleBlock"), "\(error)")
        }
    }

    /// One node of 2 GPUs, one expert each; token 0 (GPU 0) goes to both. Its copy for GPU 0 loops
    /// through GPU 0's NVLink port, or through its NIC when every intra-node byte takes the NICs.
    func testOwnGPUCopyLoopsThroughTheLinksTheOtherCopiesTake() throws {
        for (transport, loopback) in [(Transport.nvlink, [Int64(1), 0, 0, 0]), (.rdma, [0, 0, 1, 0])] {
            var scenario = try Scenario.decode(JSONParser.parse("""
                {"version": 1, "cluster": {"nodes": 1, "gpusPerNode": 2, "nicsPerNode": 2},
                 "model": {"hiddenSize": 1000, "experts": 2, "dispatchBytesPerElement": 1},
                 "parallelism": {"tokensPerGPU": 1, "selfCopies": "links"},
                 "routing": {"strategies": [{"name": "topk", "k": 2}]}}
                """))
            scenario.transport = transport
            var buffer = RoutingBuffer()
            buffer.reset(slotCounts: [2, 0], k: 2)
            buffer.experts[0] = 0
            buffer.experts[1] = 1
            TestSupport.assignGPUs(&buffer, placement: scenario.basePlacement)
            var step = MoELayerStep(scenario: scenario)
            _ = step.evaluate(buffer, placement: scenario.basePlacement, deduplication: .perGPU)
            XCTAssertEqual(step.dispatchCopies.copies, [1, 1, 0, 0], "\(transport)")
            XCTAssertEqual(step.dispatchCopies.loopback, loopback, "\(transport)")
        }
    }
}
