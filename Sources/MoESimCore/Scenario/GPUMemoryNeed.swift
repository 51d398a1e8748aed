import Foundation

/// What one GPU's HBM must hold to run one routing strategy of a scenario, in bytes (docs/model.md, "Memory").
///
/// - Expert weights: every expert replica the GPU holds (a replicated placement reserves all its
///   `slotsPerGPU`), in every MoE layer: replicas × layers × `ffnMatrices` × H × F × weight bytes per element.
/// - Shared experts: the same for `sharedExperts` experts, on every GPU.
/// - Token buffers, for one layer at a time: the balanced load, where a GPU receives as many token copies as
///   it sends, C = tokensPerGPU × copies per token (1 for Switch, hash and SAM, which send a token to one GPU;
///   k otherwise, before deduplication); a send and a receive buffer in each direction:
///   2 · C · (dispatch bytes per token + combine bytes per token).
/// - Activations: the FFN's intermediate outputs (`ffnMatrices` − 1 of F columns in BF16) of the balanced
///   tokensPerGPU × k routed assignments plus tokensPerGPU × `sharedExperts` shared ones, for one layer at
///   inference and for every MoE layer in training (the backward pass needs them).
/// - Other: `model.otherMemoryGB`, the user's reserve for everything else.
///
/// A hot GPU receives more than the balanced load; the estimate leaves that, and failed GPUs' re-placed experts,
/// out (docs/model.md says so).
public struct GPUMemoryNeed: Equatable, Sendable {
    /// The GPU.
    public var gpu: Int
    /// Expert replicas it holds per MoE layer.
    public var expertReplicas: Int
    /// Its routed experts' weights, all layers.
    public var expertWeightBytes: Double
    /// Shared experts' weights, all layers.
    public var sharedExpertWeightBytes: Double
    /// Dispatch and combine send and receive buffers.
    public var tokenBufferBytes: Double
    /// FFN intermediate activations.
    public var activationBytes: Double
    /// The user's reserve (`model.otherMemoryGB`).
    public var otherBytes: Double

    /// The key path a scenario that does not fit is refused at.
    public static let capacityKeyPath = "cluster.gpu.hbmGB"

    /// Everything the GPU must hold.
    public var totalBytes: Double {
        expertWeightBytes + sharedExpertWeightBytes + tokenBufferBytes + activationBytes + otherBytes
    }

    /// One line for messages: "GPU 3 needs 85.300 GB (expert weights 80.100 GB for 4 replicas per layer, …)".
    public var summary: String {
        func gb(_ bytes: Double) -> String { String(format: "%.3f GB", bytes / 1e9) }
        return "GPU \(gpu) needs \(gb(totalBytes)) (expert weights \(gb(expertWeightBytes)) for \(expertReplicas) "
            + "replicas per layer, shared experts \(gb(sharedExpertWeightBytes)), token buffers \(gb(tokenBufferBytes)), "
            + "activations \(gb(activationBytes)), model.otherMemoryGB \(gb(otherBytes)))"
    }
}

extension Scenario {
    /// Expert replicas per MoE layer on each GPU: a replicated placement reserves `slotsPerGPU` on every GPU.
    /// - Complexity: O(E + G).
    public var expertReplicasPerGPU: [Int] {
        if case let .replicated(_, slots, _) = placement {
            return [Int](repeating: slots, count: cluster.gpuCount)
        }
        let base = basePlacement
        return (0..<cluster.gpuCount).map { base.experts(onGPU: $0).count }
    }

    /// The memory need of the GPU that needs the most for `strategy` (the lowest index among equals).
    /// - Complexity: O(E + G).
    public func peakMemoryNeed(for strategy: RoutingStrategySpec) -> GPUMemoryNeed {
        let replicas = expertReplicasPerGPU
        var gpu = 0
        for g in replicas.indices where replicas[g] > replicas[gpu] { gpu = g }
        return memoryNeed(ofGPU: gpu, replicas: replicas.isEmpty ? 0 : replicas[gpu], for: strategy)
    }

    /// The memory need of `gpu` holding `replicas` expert replicas per layer, for `strategy`.
    /// - Complexity: O(1).
    func memoryNeed(ofGPU gpu: Int, replicas: Int, for strategy: RoutingStrategySpec) -> GPUMemoryNeed {
        let h = Double(model.hiddenSize), f = Double(model.expertFFNSize), layers = Double(model.moeLayers)
        let tokens = Double(tokensPerGPU)
        let expertBytes = Double(model.ffnMatrices) * h * f * model.weightBytesPerElement
        let copiesPerToken = strategy.kind == .switch || strategy.kind == .hash || strategy.kind == .sam ? 1 : strategy.k
        let copies = tokens * Double(copiesPerToken)
        let perTokenWire = Double(model.dispatchBytesPerToken + model.combineBytesPerToken)
        let assignments = tokens * Double(strategy.k) + tokens * Double(model.sharedExperts)
        let intermediateBytes = Double(model.ffnMatrices - 1) * f * Double(ComputeType.outputBytesPerElement)
        let activationLayers = simulation.mode == .training ? layers : 1
        return GPUMemoryNeed(
            gpu: gpu, expertReplicas: replicas,
            expertWeightBytes: Double(replicas) * layers * expertBytes,
            sharedExpertWeightBytes: Double(model.sharedExperts) * layers * expertBytes,
            tokenBufferBytes: 2 * copies * perTokenWire,
            activationBytes: assignments * intermediateBytes * activationLayers,
            otherBytes: model.otherMemoryBytes)
    }

    /// Checks that every strategy fits the GPUs' HBM.
    /// - Throws: `ScenarioError.invalid` at `cluster.gpu.hbmGB`, naming the GPU, what it needs and what it has.
    /// - Complexity: O(E + G + strategies).
    func checkMemoryFits() throws {
        let capacity = cluster.gpu.hbmCapacityBytes
        for strategy in strategies {
            let need = peakMemoryNeed(for: strategy)
            guard need.totalBytes <= capacity else {
                throw ScenarioError.invalid(file: nil, keyPath: GPUMemoryNeed.capacityKeyPath, message: "\(need.summary) for "
                    + "\(strategy.label), but has \(String(format: "%.3f GB", capacity / 1e9)) of HBM; spread the experts "
                    + "over more GPUs (cluster.nodes), reserve fewer replica slots, store weights in fewer bytes "
                    + "(model.weightBytesPerElement), or raise cluster.gpu.hbmGB")
            }
        }
    }
}
