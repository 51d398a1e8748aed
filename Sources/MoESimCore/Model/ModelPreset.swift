/// Published MoE models a scenario can start from (`"model": {"preset": "deepseek-v3"}`) and
/// override field by field. Every shape is the model's released configuration (its Hugging Face
/// `config.json`, named in `source`); nothing here is fitted.
public struct ModelPreset: Sendable {
    /// The name a scenario uses.
    public let name: String
    /// Where the numbers come from.
    public let source: String
    /// Hidden size H (`hidden_size`, `d_model`).
    public let hiddenSize: Int
    /// A routed expert's FFN inner size F (`moe_intermediate_size`, or `intermediate_size` where every FFN is an expert).
    public let expertFFNSize: Int
    /// Routed experts per MoE layer (`n_routed_experts`, `num_experts`, `num_local_experts`).
    public let experts: Int
    /// Routed experts each token activates (`num_experts_per_tok`, `experts_per_token`, `moe_top_k`).
    public let expertsPerToken: Int
    /// MoE layers (layers minus the dense ones).
    public let moeLayers: Int
    /// Experts every token always runs on its own GPU, in routed-expert widths (`model.sharedExperts`):
    /// DeepSeek-V3's one shared expert has the routed width; Qwen1.5-MoE's one shared expert of 5632 is
    /// 4 × its routed 1408, the same FLOPs and weights as 4 shared experts of that width. 0 for none.
    public let sharedExperts: Int
    /// Most expert groups a token may reach (DeepSeek-V3's `topk_group` of `n_group` groups, which its
    /// training run maps onto nodes), or nil when routing is plain top-k.
    public let maxGroups: Int?

    /// The model's own routing first (node-limited with one copy per node, as DeepSeek-V3 trains, where
    /// the model limits groups and the cluster has more nodes than the limit; else top-k), then top-k and
    /// SAM with as many of the model's experts as one GPU of `expertsPerGPU` holds, for comparison (SAM
    /// only when a GPU holds at least 2: with one it is Switch over devices).
    public func defaultStrategies(nodes: Int, expertsPerGPU: Int) -> [RoutingStrategySpec] {
        var strategies: [RoutingStrategySpec] = []
        if let maxGroups, nodes > maxGroups {
            strategies.append(RoutingStrategySpec(kind: .nodeLimited, k: expertsPerToken, deduplication: .perNode,
                                                  maxNodes: maxGroups))
        }
        strategies.append(RoutingStrategySpec(kind: .topk, k: expertsPerToken))
        let samK = min(expertsPerToken, expertsPerGPU)
        if samK >= 2 { strategies.append(RoutingStrategySpec(kind: .sam, k: samK)) }
        return strategies
    }

    /// All presets, in the order `moesim presets` lists them.
    public static let all: [ModelPreset] = [
        ModelPreset(name: "deepseek-v3", source: "deepseek-ai/DeepSeek-V3 config.json (R1 has the same shape)",
                    hiddenSize: 7168, expertFFNSize: 2048, experts: 256, expertsPerToken: 8, moeLayers: 58,
                    sharedExperts: 1, maxGroups: 4),
        ModelPreset(name: "qwen3-235b-a22b", source: "Qwen/Qwen3-235B-A22B config.json",
                    hiddenSize: 4096, expertFFNSize: 1536, experts: 128, expertsPerToken: 8, moeLayers: 94,
                    sharedExperts: 0, maxGroups: nil),
        ModelPreset(name: "qwen3-30b-a3b", source: "Qwen/Qwen3-30B-A3B config.json",
                    hiddenSize: 2048, expertFFNSize: 768, experts: 128, expertsPerToken: 8, moeLayers: 48,
                    sharedExperts: 0, maxGroups: nil),
        ModelPreset(name: "mixtral-8x7b", source: "mistralai/Mixtral-8x7B-v0.1 config.json",
                    hiddenSize: 4096, expertFFNSize: 14336, experts: 8, expertsPerToken: 2, moeLayers: 32,
                    sharedExperts: 0, maxGroups: nil),
        ModelPreset(name: "mixtral-8x22b", source: "mistralai/Mixtral-8x22B-v0.1 config.json",
                    hiddenSize: 6144, expertFFNSize: 16384, experts: 8, expertsPerToken: 2, moeLayers: 56,
                    sharedExperts: 0, maxGroups: nil),
        ModelPreset(name: "gpt-oss-120b", source: "openai/gpt-oss-120b config.json",
                    hiddenSize: 2880, expertFFNSize: 2880, experts: 128, expertsPerToken: 4, moeLayers: 36,
                    sharedExperts: 0, maxGroups: nil),
        ModelPreset(name: "dbrx", source: "databricks/dbrx-base config.json (ffn_config)",
                    hiddenSize: 6144, expertFFNSize: 10752, experts: 16, expertsPerToken: 4, moeLayers: 40,
                    sharedExperts: 0, maxGroups: nil),
        ModelPreset(name: "qwen1.5-moe-a2.7b", source: "Qwen/Qwen1.5-MoE-A2.7B config.json",
                    hiddenSize: 2048, expertFFNSize: 1408, experts: 60, expertsPerToken: 4, moeLayers: 24,
                    sharedExperts: 4, maxGroups: nil),
    ]

    /// The preset called `name`, or nil.
    public static func named(_ name: String) -> ModelPreset? { all.first { $0.name == name } }
}
