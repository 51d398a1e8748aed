import Foundation

/// Expert load per MoE layer over a whole trace: for a choices trace the recorded experts, for
/// a scores trace the experts top-K routing picks. Read streaming, so any size works.
public struct TraceStatistics: Sendable {
    /// One layer's load, with its summary statistics computed once, in O(E log E).
    public struct Layer: Sendable {
        /// The layer index.
        public let layer: Int
        /// Token-to-expert assignments of each expert, summed over all steps.
        public let loads: [Int]
        /// Assignments in total (tokens × k × steps).
        public let total: Int
        /// Smallest load.
        public let minLoad: Int
        /// Largest load.
        public let maxLoad: Int
        /// Mean load per expert.
        public let meanLoad: Double
        /// Max over mean, coefficient of variation and Gini coefficient, as `simulate` computes them.
        public let imbalance: LoadStatistics
        /// Shannon entropy of the load distribution, bits (log2 E when balanced).
        public let entropyBits: Double

        /// Summarises `loads`. - Complexity: O(E log E) for E experts (the Gini coefficient sorts).
        public init(layer: Int, loads: [Int]) {
            self.layer = layer
            self.loads = loads
            total = loads.reduce(0, +)
            minLoad = loads.min() ?? 0
            maxLoad = loads.max() ?? 0
            meanLoad = Double(total) / Double(max(loads.count, 1))
            imbalance = LoadStatistics(loads)
            let sum = Double(total)
            entropyBits = sum > 0 ? loads.reduce(0.0) { entropy, load in
                load == 0 ? entropy : entropy - Double(load) / sum * log2(Double(load) / sum)
            } : 0
        }

        /// Largest over mean load (1 = perfectly balanced).
        public var maxOverMean: Double { imbalance.maxOverMean }
        /// Coefficient of variation: population standard deviation over mean.
        public var coefficientOfVariation: Double { imbalance.coefficientOfVariation }
        /// Gini coefficient of the expert loads (0 = balanced).
        public var gini: Double { imbalance.gini }
    }

    /// The trace's header.
    public let header: TraceHeader
    /// Experts counted per token (the recorded k, or the top-K asked for).
    public let k: Int
    /// Tokens per layer over all steps.
    public let tokens: Int
    /// One entry per layer, in order.
    public let layers: [Layer]

    /// Counts the load of every expert of every layer; `topK` applies to a scores trace.
    /// - Throws: `TraceError` from the reader.
    /// - Complexity: O(trace size + steps · layers · T · E · K) for a scores trace.
    public init(source: TraceSource, topK: Int, progress: ((Int, Int) -> Void)? = nil) throws {
        let header = source.header
        self.header = header
        k = header.payload == .choices ? header.k : topK
        tokens = header.tokensPerStep * header.steps
        var loads = [[Int]](repeating: [Int](repeating: 0, count: header.experts), count: header.layers)
        let router = TopKRouting(k: k, normalize: false, gateProbabilities: false)
        let placement = ExpertPlacement.contiguous(experts: header.experts, gpuCount: 1)
        var batch = TraceBatch()
        var buffer = RoutingBuffer()
        var index = 0
        while try source.nextBatch(into: &batch) {
            let layer = index % header.layers
            if header.payload == .choices {
                for expert in batch.experts { loads[layer][Int(expert)] += 1 }
            } else {
                batch.scores.withUnsafeBufferPointer {
                    router.route(scores: $0, tokenCount: header.tokensPerStep, placement: placement, into: &buffer)
                }
                for expert in buffer.experts { loads[layer][Int(expert)] += 1 }
            }
            index += 1
            progress?(index, header.batchCount)
        }
        layers = loads.enumerated().map { Layer(layer: $0, loads: $1) }
    }
}
