import XCTest
import MoESimCore

/// Model presets: shapes as released, a default routing that fits, every preset simulates.
final class ModelPresetTests: XCTestCase {
    /// The released configurations (Hugging Face config.json of each model), typed here by hand from the
    /// sources `ModelPreset.source` names: hidden, routed FFN, routed experts, experts per token, MoE layers
    /// (layers minus dense ones), shared experts in routed widths.
    func testShapesAreTheReleasedConfigurations() {
        let released: [String: [Int]] = [
            "deepseek-v3": [7168, 2048, 256, 8, 61 - 3, 1],          // first_k_dense_replace = 3, n_shared_experts = 1
            "qwen3-235b-a22b": [4096, 1536, 128, 8, 94, 0],
            "qwen3-30b-a3b": [2048, 768, 128, 8, 48, 0],
            "mixtral-8x7b": [4096, 14336, 8, 2, 32, 0],
            "mixtral-8x22b": [6144, 16384, 8, 2, 56, 0],
            "gpt-oss-120b": [2880, 2880, 128, 4, 36, 0],
            "dbrx": [6144, 10752, 16, 4, 40, 0],
            "qwen1.5-moe-a2.7b": [2048, 1408, 60, 4, 24, 5632 / 1408],  // shared_expert_intermediate_size = 5632
        ]
        XCTAssertEqual(Set(ModelPreset.all.map(\.name)), Set(released.keys))
        for preset in ModelPreset.all {
            XCTAssertEqual([preset.hiddenSize, preset.expertFFNSize, preset.experts, preset.expertsPerToken,
                            preset.moeLayers, preset.sharedExperts], released[preset.name], preset.name)
        }
        XCTAssertEqual(ModelPreset.named("deepseek-v3")?.maxGroups, 4, "topk_group = 4 of n_group = 8")
    }

    /// A scenario naming a preset gets its shape, and the model's own routing first when none is listed.
    func testDeepSeekOnEightNodesRoutesAsItTrains() throws {
        let scenario = try Scenario.decode(JSONParser.parse("""
            {"version": 1, "cluster": {"preset": "h800", "nodes": 8}, "model": {"preset": "deepseek-v3"},
             "parallelism": {"tokensPerGPU": 64}}
            """))
        XCTAssertEqual(scenario.model.hiddenSize, 7168)
        XCTAssertEqual(scenario.model.moeLayers, 58)
        XCTAssertEqual(scenario.model.sharedExperts, 1)
        XCTAssertEqual(scenario.strategies, [
            RoutingStrategySpec(kind: .nodeLimited, k: 8, deduplication: .perNode, maxNodes: 4),
            RoutingStrategySpec(kind: .topk, k: 8),
            RoutingStrategySpec(kind: .sam, k: 4),
        ])
        // Fields can still be overridden; on 4 nodes node-limited routing to 4 nodes limits nothing.
        let small = try Scenario.decode(JSONParser.parse("""
            {"version": 1, "cluster": {"preset": "h800", "nodes": 4}, "model": {"preset": "deepseek-v3", "moeLayers": 2}}
            """))
        XCTAssertEqual(small.model.moeLayers, 2)
        XCTAssertEqual(small.strategies.map(\.label), ["top-8", "sam-8"])
    }

    /// One layer of every preset runs under its default strategies on one node of 4 GPUs.
    func testEveryPresetSimulatesOneLayer() throws {
        for preset in ModelPreset.all {
            let scenario = try Scenario.decode(JSONParser.parse("""
                {"version": 1, "name": "\(preset.name)", "cluster": {"preset": "h800", "nodes": 1, "gpusPerNode": 4, "nicsPerNode": 4},
                 "model": {"preset": "\(preset.name)", "moeLayers": 1}, "parallelism": {"tokensPerGPU": 32},
                 "simulation": {"network": "analytical"}}
                """))
            let result = try Simulator.run(scenario)
            XCTAssertEqual(result.results.first?.strategy.k, preset.expertsPerToken, preset.name)
            for row in result.results { XCTAssertGreaterThan(row.stepTimeMicros, 0, "\(preset.name) \(row.strategy.label)") }
        }
    }

    func testUnknownPresetAndRoutingThatDoesNotFitAreNamed() throws {
        XCTAssertThrowsError(try Scenario.decode(JSONParser.parse("""
            {"version": 1, "model": {"preset": "deepseek-v4"}}
            """))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("model.preset"), text)
            XCTAssertTrue(text.contains("\"deepseek-v4\""), text)
            XCTAssertTrue(text.contains("\"qwen3-235b-a22b\""), "lists the known presets: \(text)")
        }
        // 256 GPUs of one expert each: no 4 nodes hold DeepSeek's 8 experts a token needs.
        XCTAssertThrowsError(try Scenario.decode(JSONParser.parse("""
            {"version": 1, "cluster": {"preset": "h800", "nodes": 256, "gpusPerNode": 1, "nicsPerNode": 1},
             "model": {"preset": "deepseek-v3"}, "parallelism": {"tokensPerGPU": 8}}
            """))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("routing.strategies: missing, and model.preset \"deepseek-v3\"'s default"), text)
            XCTAssertTrue(text.contains("maxNodes = 4 node(s) = 4 (got 8)"), text)
            if case let ScenarioError.invalid(_, keyPath, _) = error { XCTAssertEqual(keyPath, "routing.strategies") }
        }
    }
}
