import Foundation

/// Expert load per MoE layer over a whole trace: for a choices trace the recorded experts, for
/// a scores trace the experts top-K routing picks. Read streaming, so any size works.
public struct TraceStatistics: Sendable {
    /// One layer's load.
    public struct Layer: Sendable {
        /// The layer index.
        public let layer: Int
        /// Token-to-expert assignments of each expert, summed over all steps.
        public let loads: [Int]

        /// Assignments in total (tokens × k × steps).
        public var total: Int { loads.reduce(0, +) }
        /// Largest load.
        public var maxLoad: Int { loads.max() ?? 0 }
        /// Mean load per expert.
        public var meanLoad: Double { Double(total) / Double(max(loads.count, 1)) }
        /// Largest over mean load (1 = perfectly balanced).
        public var maxOverMean: Double { meanLoad > 0 ? Double(maxLoad) / meanLoad : 0 }
        /// Coefficient of variation: population standard deviation over mean.
        public var coefficientOfVariation: Double {
            guard meanLoad > 0 else { return 0 }
            let variance = loads.reduce(0.0) { $0 + (Double($1) - meanLoad) * (Double($1) - meanLoad) } / Double(loads.count)
            return variance.squareRoot() / meanLoad
        }
        /// Shannon entropy of the load distribution, bits (log2 E when balanced).
        public var entropyBits: Double {
            let sum = Double(total)
            guard sum > 0 else { return 0 }
            return loads.reduce(0.0) { entropy, load in
                load == 0 ? entropy : entropy - Double(load) / sum * log2(Double(load) / sum)
            }
        }
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
