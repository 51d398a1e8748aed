import Foundation

/// Seeded synthetic router logits with a chosen expert popularity.
///
/// Each layer gets a popularity vector p: Zipf(s) over a seeded random
/// permutation of the experts (so hot experts are scattered over GPUs, as
/// in trained models), or uniform for s = 0; optionally a few hot experts take a fixed
/// share of the load, layers share part of their ranking (`layerCorrelation`) and the
/// ranking rotates over the steps (`driftExpertsPerStep`). A token's logits are
/// z[e] = ln p[e] + G[e] with G[e] independent standard Gumbel noise; by the
/// Gumbel-max property the top-1 expert is then drawn exactly from p, and the
/// top-k experts are a draw without replacement weighted by p.
///
/// Every (step, layer) batch comes from its own random stream, so batches do
/// not depend on each other or on the order they are generated in.
public struct SyntheticScoreGenerator: Sendable {
    /// Log-popularity of each expert at step 0, per layer.
    public let logPopularity: [[Float]]
    /// Popularity rank of each expert (0 = most popular) at step 0, per layer.
    private let ranks: [[Int]]
    /// The expert holding each rank at step 0, per layer.
    private let expertOfRank: [[Int]]
    private let drift: Double
    private let seed: UInt64
    private let layers: Int

    /// Prepares per-layer popularity for `experts` experts and `layers` layers.
    /// - Complexity: O(layers · E).
    public init(spec: SyntheticScoresSpec, experts: Int, layers: Int, seed: UInt64) {
        self.seed = seed
        self.layers = layers
        drift = spec.driftExpertsPerStep
        var perLayer: [[Float]] = []
        var allRanks: [[Int]] = []
        for layer in 0..<layers {
            var rng = SplitMix64.stream(seed: seed, stream: UInt64(layer) | (1 << 63))
            var ranks: [Int]
            if layer > 0 && spec.layerCorrelation > 0 {
                ranks = allRanks[0]
                let moving = (0..<experts).filter { _ in rng.nextOpenUnitDouble() >= spec.layerCorrelation }
                var movingRanks = moving.map { ranks[$0] }
                movingRanks.shuffle(using: &rng)
                for (expert, rank) in zip(moving, movingRanks) { ranks[expert] = rank }
            } else {
                ranks = Array(0..<experts)
                ranks.shuffle(using: &rng)
            }
            let weights = SyntheticScoreGenerator.weights(ranks: ranks, spec: spec)
            let total = weights.reduce(0, +)
            perLayer.append(weights.map { Float(log($0 / total)) })
            allRanks.append(ranks)
        }
        logPopularity = perLayer
        ranks = allRanks
        expertOfRank = allRanks.map { ranks in
            var inverse = [Int](repeating: 0, count: ranks.count)
            for (expert, rank) in ranks.enumerated() { inverse[rank] = expert }
            return inverse
        }
    }

    /// Unnormalised popularity of each expert from its rank: Zipf(s), with hot experts if any.
    private static func weights(ranks: [Int], spec: SyntheticScoresSpec) -> [Double] {
        let zipf = ranks.map { pow(Double($0 + 1), -spec.zipfExponent) }
        guard let hot = spec.hotExperts, ranks.count > 1 else { return zipf }
        let hotCount = hot.count(experts: ranks.count)
        let coldTotal = zip(ranks, zipf).reduce(0.0) { $0 + ($1.0 >= hotCount ? $1.1 : 0) }
        return zip(ranks, zipf).map { rank, weight in
            rank < hotCount ? hot.loadFraction / Double(hotCount) : (1 - hot.loadFraction) * weight / coldTotal
        }
    }

    /// Log-popularity of each expert of `layer` at `step` (the step-0 vector rotated by the drift).
    /// - Complexity: O(E); allocates only when there is drift.
    public func logPopularity(step: Int, layer: Int) -> [Float] {
        let base = logPopularity[layer]
        let experts = base.count
        let shift = drift > 0 ? Int((Double(step) * drift).rounded(.down).truncatingRemainder(dividingBy: Double(experts))) : 0
        guard shift != 0 else { return base }
        return ranks[layer].map { base[expertOfRank[layer][($0 + shift) % experts]] }
    }

    /// Writes the logits of `tokenCount` tokens (row-major, `tokenCount × E`) into `scores`,
    /// resizing it only if its size differs.
    /// - Complexity: O(tokenCount · E).
    public func fill(step: Int, layer: Int, tokenCount: Int, into scores: inout [Float]) {
        let base = logPopularity(step: step, layer: layer)
        let experts = base.count
        if scores.count != tokenCount * experts { scores = [Float](repeating: 0, count: tokenCount * experts) }
        var rng = SplitMix64.stream(seed: seed, stream: UInt64(step * layers + layer))
        scores.withUnsafeMutableBufferPointer { out in
            base.withUnsafeBufferPointer { base in
                for token in 0..<tokenCount {
                    GumbelNoise.add(to: base.baseAddress!, count: experts, into: out.baseAddress! + token * experts, rng: &rng)
                }
            }
        }
    }

    /// Device logits for SAM: for each token, the log-sum-exp of its logits over each GPU's
    /// `expertsPerGPU` contiguous experts (so that, under contiguous placement, the argmax
    /// device is the one with the largest summed softmax probability).
    /// - Complexity: O(tokenCount · E).
    public static func deviceLogits(scores: [Float], tokenCount: Int, experts: Int, gpus: Int, into logits: inout [Float]) {
        if logits.count != tokenCount * gpus { logits = [Float](repeating: 0, count: tokenCount * gpus) }
        let perGPU = experts / gpus
        for token in 0..<tokenCount {
            for gpu in 0..<gpus {
                let row = scores[(token * experts + gpu * perGPU)..<(token * experts + (gpu + 1) * perGPU)]
                let peak = row.max() ?? 0
                logits[token * gpus + gpu] = peak + log(row.reduce(Float(0)) { $0 + exp($1 - peak) })
            }
        }
    }
}
