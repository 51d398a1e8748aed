@testable import MoESimCore

/// Small scenarios and helpers shared by the unit tests.
enum TestSupport {
    /// A scenario on `nodes` DGX H100 nodes, built from JSON so that tests also exercise decoding.
    static func scenario(nodes: Int = 1, experts: Int = 16, tokensPerGPU: Int = 64, zipf: Double = 0.8,
                         strategies: String = #"[{"name":"switch"},{"name":"topk","k":2},{"name":"sam","k":2}]"#,
                         capacityFactor: String = "null", seed: Int = 1, mode: String = "inference",
                         preset: String = "dgx-h100", layers: Int = 1, steps: Int = 1) throws -> Scenario {
        let text = """
        {"version": 1, "name": "test",
         "cluster": {"preset": "\(preset)", "nodes": \(nodes)},
         "model": {"hiddenSize": 512, "expertFFNSize": 1024, "experts": \(experts), "moeLayers": \(layers)},
         "parallelism": {"tokensPerGPU": \(tokensPerGPU)},
         "routing": {"strategies": \(strategies), "capacityFactor": \(capacityFactor)},
         "trace": {"synthetic": {"zipf": \(zipf)}},
         "simulation": {"mode": "\(mode)", "steps": \(steps), "seed": \(seed)}}
        """
        return try Scenario.decode(JSONParser.parse(text))
    }

    /// Random logits for `tokens × experts`; with `ties`, values come from a tiny set so ties are common.
    static func randomScores(tokens: Int, experts: Int, seed: UInt64, ties: Bool) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<tokens * experts).map { _ in
            ties ? Float(rng.next() % 4) : Float(rng.nextOpenUnitDouble() * 8 - 4)
        }
    }

    /// Routes `scores` with `router` and returns the buffer, every slot's GPU assigned.
    static func route(_ router: any RoutingStrategy, scores: [Float], tokens: Int,
                      placement: ExpertPlacement) -> RoutingBuffer {
        var buffer = RoutingBuffer()
        scores.withUnsafeBufferPointer {
            router.route(scores: $0, tokenCount: tokens, placement: placement, into: &buffer)
        }
        assignGPUs(&buffer, placement: placement)
        return buffer
    }

    /// Chooses the GPU of every unassigned slot (hand-built buffers).
    static func assignGPUs(_ buffer: inout RoutingBuffer, placement: ExpertPlacement) {
        var assigner = ReplicaAssigner()
        assigner.assign(&buffer, placement: placement)
    }

    /// Where `traffic`'s bytes went, accounted as the simulation accounts a phase.
    static func bytes(of traffic: some PhaseTraffic, gpusPerNode: Int) -> PhaseCost {
        var account = TrafficAccount(gpuCount: traffic.gpuCount, gpusPerNode: gpusPerNode)
        var cost = PhaseCost.zero
        account.charge(traffic, to: &cost)
        return cost
    }
}
