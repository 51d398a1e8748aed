import Foundation

/// Seeded synthetic router logits with a chosen expert popularity.
///
/// Each layer gets a popularity vector p: Zipf(s) over a seeded random
/// permutation of the experts (so hot experts are scattered over GPUs, as
/// in trained models), or uniform for s = 0. A token's logits are
/// z[e] = ln p[e] + G[e] with G[e] independent standard Gumbel noise; by the
/// Gumbel-max property the top-1 expert is then drawn exactly from p, and the
/// top-k experts are a draw without replacement weighted by p.
///
/// Every (step, layer) batch comes from its own random stream, so batches do
/// not depend on each other or on the order they are generated in.
public struct SyntheticScoreGenerator: Sendable {
    /// Log-popularity of each expert, per layer.
    public let logPopularity: [[Float]]
    private let seed: UInt64
    private let layers: Int

    /// Prepares per-layer popularity for `experts` experts and `layers` layers.
    /// - Complexity: O(layers · E).
    public init(spec: SyntheticScoresSpec, experts: Int, layers: Int, seed: UInt64) {
        self.seed = seed
        self.layers = layers
        var perLayer: [[Float]] = []
        for layer in 0..<layers {
            var rng = SplitMix64.stream(seed: seed, stream: UInt64(layer) | (1 << 63))
            var ranks = Array(0..<experts)
            ranks.shuffle(using: &rng)
            let weights = ranks.map { pow(Double($0 + 1), -spec.zipfExponent) }
            let total = weights.reduce(0, +)
            perLayer.append(weights.map { Float(log($0 / total)) })
        }
        logPopularity = perLayer
    }

    /// Writes the logits of `tokenCount` tokens (row-major, `tokenCount × E`) into `scores`,
    /// resizing it only if its size differs.
    /// - Complexity: O(tokenCount · E).
    public func fill(step: Int, layer: Int, tokenCount: Int, into scores: inout [Float]) {
        let base = logPopularity[layer]
        let experts = base.count
        if scores.count != tokenCount * experts { scores = [Float](repeating: 0, count: tokenCount * experts) }
        var rng = SplitMix64.stream(seed: seed, stream: UInt64(step * layers + layer))
        var uniforms = [Double](repeating: 0, count: experts)
        scores.withUnsafeMutableBufferPointer { out in
            base.withUnsafeBufferPointer { base in
                uniforms.withUnsafeMutableBufferPointer { uniforms in
                    for token in 0..<tokenCount {
                        GumbelNoise.add(to: base.baseAddress!, count: experts, into: out.baseAddress! + token * experts,
                                        uniforms: uniforms.baseAddress!, rng: &rng)
                    }
                }
            }
        }
    }
}
