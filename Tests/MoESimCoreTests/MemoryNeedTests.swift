import XCTest
@testable import MoESimCore

/// The per-GPU memory need (docs/model.md, "Memory"): hand-computed to the byte, and refused when it exceeds HBM.
final class MemoryNeedTests: XCTestCase {
    func decode(_ text: String) throws -> Scenario { try Scenario.decode(JSONParser.parse(text)) }

    /// 16 experts on 8 GPUs with expert 0 also on GPU 3, so GPU 3 holds 3 replicas (experts 0, 3, 11) and needs the most.
    func smallScenario(mode: String, strategy: String) -> String {
        """
        {"version": 1, "cluster": {"preset": "dgx-h100"},
         "model": {"hiddenSize": 1024, "expertFFNSize": 512, "experts": 16, "moeLayers": 2, "computeType": "fp8",
                   "sharedExperts": 1, "dispatchBytesPerElement": 1, "dispatchScaleBlock": 128, "otherMemoryGB": 0.001},
         "parallelism": {"tokensPerGPU": 100, "placement": {"kind": "explicit",
                         "gpuOfExpert": [[0, 3], 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7]}},
         "routing": {"strategies": [\(strategy)]}, "simulation": {"mode": "\(mode)"}}
        """
    }

    func testAHandComputedNeedToTheByte() throws {
        let s = try decode(smallScenario(mode: "inference", strategy: #"{"name": "topk", "k": 2}"#))
        XCTAssertEqual(s.model.weightBytesPerElement, 1, "FP8 compute stores 1-byte weights by default")
        XCTAssertEqual(s.expertReplicasPerGPU, [2, 2, 2, 3, 2, 2, 2, 2])
        let need = s.peakMemoryNeed(for: s.strategies[0])
        XCTAssertEqual(need.gpu, 3)
        // 3 replicas × 2 layers × 3 matrices × 1024 × 512 × 1 B.
        XCTAssertEqual(need.expertWeightBytes, 9_437_184)
        // 1 shared expert × 2 layers × 3 × 1024 × 512 × 1 B.
        XCTAssertEqual(need.sharedExpertWeightBytes, 3_145_728)
        // 100 tokens × 2 copies, send + receive, × (dispatch 1024 + 8 scales × 4 = 1056, combine 2048) bytes.
        XCTAssertEqual(need.tokenBufferBytes, 2 * 200 * 3_104)
        // (100 × 2 routed + 100 × 1 shared) assignments × 2 intermediates × 512 × 2 B, one layer.
        XCTAssertEqual(need.activationBytes, 614_400)
        XCTAssertEqual(need.otherBytes, 1_000_000)
        XCTAssertEqual(need.totalBytes, 15_438_912)

        // SAM sends a token once: half the copies of top-2, the same activations.
        let sam = try decode(smallScenario(mode: "inference", strategy: #"{"name": "sam", "k": 2}"#))
        XCTAssertEqual(sam.peakMemoryNeed(for: sam.strategies[0]).tokenBufferBytes, 2 * 100 * 3_104)
        // Training keeps every layer's activations for the backward pass.
        let training = try decode(smallScenario(mode: "training", strategy: #"{"name": "topk", "k": 2}"#))
        XCTAssertEqual(training.peakMemoryNeed(for: training.strategies[0]).activationBytes, 2 * 614_400)
        XCTAssertEqual(training.peakMemoryNeed(for: training.strategies[0]).totalBytes, 15_438_912 + 614_400)
    }

    func testWeightBytesAndHBMCanBeSet() throws {
        let s = try decode("""
        {"version": 1, "cluster": {"preset": "mi300x", "gpu": {"hbmGB": 100}},
         "model": {"weightBytesPerElement": 0.5, "ffnMatrices": 2}, "routing": {"strategies": [{"name": "switch"}]}}
        """)
        XCTAssertEqual(s.cluster.gpu.hbmCapacityBytes, 100e9)
        XCTAssertEqual(ClusterPreset.mi300x.spec.gpu.hbmCapacityBytes, 192e9)
        // 64 experts / 8 GPUs = 8 replicas × 1 layer × 2 matrices × 4096 × 14336 × 0.5 B.
        XCTAssertEqual(s.peakMemoryNeed(for: s.strategies[0]).expertWeightBytes, 8 * 2 * 4096 * 14336 / 2)
    }

    func testPresetCapacitiesAreTheVendorFigures() {
        let gigabytes = ClusterPreset.all.map { "\($0.name) \(Int($0.spec.gpu.hbmCapacityBytes / 1e9))" }
        XCTAssertEqual(gigabytes, ["dgx-a100 80", "dgx-h100 80", "h800 80", "pcie-a100 80", "dgx-b200 180",
                                   "gb200-nvl72 186", "mi300x 192", "h20 96"])
    }

    /// DeepSeek-V3's 256 FP8 experts on one 8-GPU H800 node: 32 per GPU × 58 layers is 81.7 GB of weights alone.
    func testAPlacementExceedingHBMIsRefusedWithItsNumbers() throws {
        let text = { (nodes: Int) in
            """
            {"version": 1, "cluster": {"preset": "h800", "nodes": \(nodes)},
             "model": {"preset": "deepseek-v3", "computeType": "fp8", "dispatchBytesPerElement": 1, "dispatchScaleBlock": 128},
             "parallelism": {"tokensPerGPU": 4096}, "routing": {"strategies": [{"name": "topk", "k": 8}]}}
            """
        }
        XCTAssertThrowsError(try decode(text(1))) { error in
            guard case let .invalid(_, keyPath, message)? = error as? ScenarioError else {
                return XCTFail("expected ScenarioError.invalid, got \(error)")
            }
            XCTAssertEqual(keyPath, "cluster.gpu.hbmGB")
            XCTAssertEqual((error as? ScenarioError)?.exitCode, 65)
            // 81,738,596,352 B of experts + 2,554,331,136 shared + 1,423,966,208 buffers + 301,989,888 activations.
            for fragment in ["GPU 0 needs 86.019 GB", "expert weights 81.739 GB for 32 replicas per layer",
                             "shared experts 2.554 GB", "token buffers 1.424 GB", "activations 0.302 GB",
                             "for top-8", "but has 80.000 GB of HBM"] {
                XCTAssertTrue(message.contains(fragment), "message \"\(message)\" lacks \"\(fragment)\"")
            }
        }
        // Two nodes halve the experts per GPU, and it fits.
        let fits = try decode(text(2))
        XCTAssertEqual(fits.peakMemoryNeed(for: fits.strategies[0]).totalBytes, 86_018_883_584 - 81_738_596_352 / 2)
    }
}
