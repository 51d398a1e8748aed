/// The second pass over a JSON-lines log: gathers one step's records, then writes the step's
/// batches — for each layer (in ascending layer number) the step's first `tokensPerStep` complete
/// tokens by token position. Memory O(tokens of the step × layers × width), reused from step to step.
struct JSONLStepAssembler {
    /// The header of the trace being written.
    let header: TraceHeader
    private let census: JSONLCensus
    private let path: String
    private let strict: Bool
    private let writer: TraceWriter
    private let layerIndex: [Int: Int]
    private var step = 0
    /// Per token position: its slot in the step's buffers, or −1.
    private var slotOfToken: [Int32] = []
    /// Per slot: its token position and the line of its first record.
    private var slotTokens: [Int] = [], slotLines: [Int] = []
    /// Per slot × layer: whether a record was seen; its values and weights (slot-major), as f32
    /// (what the trace stores; ids are exact below 2^24).
    private var present: [Bool] = []
    private var values: [Float] = [], weights: [Float] = []
    private var batch = TraceBatch()

    /// Opens the output for the log `census` describes.
    /// - Throws: `TraceError` when the tokens do not divide over the GPUs (without --drop-remainder),
    ///   `AtomicFile.WriteError`.
    init(census: JSONLCensus, path: String, output: String, options: TraceImporter.Options) throws {
        self.census = census
        self.path = path
        strict = options.log.strict
        let kept = try TraceImporter.keptTokens(census.tokensPerStep, options: options, name: path, at: .file)
        header = census.payload == .logits
            ? TraceHeader(payload: .scores, experts: census.experts, layers: census.layers.count, tokensPerStep: kept,
                          steps: census.steps, gpus: options.gpus)
            : TraceHeader(payload: .choices, experts: census.experts, layers: census.layers.count, tokensPerStep: kept,
                          steps: census.steps, gpus: options.gpus, k: census.width)
        layerIndex = Dictionary(uniqueKeysWithValues: census.layers.enumerated().map { ($1, $0) })
        writer = try TraceWriter(path: output, header: header)
        batch.shape(for: header)
    }

    /// Adds one (layer, token) record, writing the previous step first when this one starts a new step.
    mutating func add(_ unit: JSONLRoutingLog.Unit) throws {
        if unit.step != step {
            try writeStep()
            step = unit.step
        }
        let layers = census.layers.count, width = census.width
        if unit.token >= slotOfToken.count {
            slotOfToken += [Int32](repeating: -1, count: unit.token + 1 - slotOfToken.count)
        }
        var slot = Int(slotOfToken[unit.token])
        if slot < 0 {
            slot = slotTokens.count
            slotOfToken[unit.token] = Int32(slot)
            slotTokens.append(unit.token)
            slotLines.append(unit.line)
            present += [Bool](repeating: false, count: layers)
            values += [Float](repeating: 0, count: layers * width)
            if census.hasWeights { weights += [Float](repeating: 1 / Float(width), count: layers * width) }
        }
        let layer = layerIndex[unit.layer] ?? 0
        present[slot * layers + layer] = true
        let base = (slot * layers + layer) * width
        for (j, value) in unit.values.enumerated() { values[base + j] = Float(value) }
        for (j, weight) in unit.weights.enumerated() { weights[base + j] = Float(weight) }
    }

    /// Writes the last step and commits the trace.
    mutating func finish() throws {
        try writeStep()
        try writer.finish()
    }

    private mutating func writeStep() throws {
        let layers = census.layers.count, width = census.width
        var complete: [Int] = []
        for slot in slotTokens.indices {
            if let missing = (0..<layers).first(where: { !present[slot * layers + $0] }) {
                guard !strict else {
                    throw TraceError.invalidField(file: path, at: .line(slotLines[slot]),
                                                  field: "token \(slotTokens[slot]) of step \(step) (0-based)",
                                                  value: "no record for layer \(census.layers[missing])",
                                                  allowed: "a record in every one of the \(layers) layers (--strict)")
                }
                continue
            }
            complete.append(slot)
        }
        guard complete.count >= header.tokensPerStep else {
            throw TraceError.invalidField(file: path, at: .line(slotLines.first ?? 0), field: "step \(step) (0-based)",
                                          value: "\(complete.count) complete tokens",
                                          allowed: "at least \(header.tokensPerStep) (--strict: every token in every layer)")
        }
        let chosen = complete.sorted { slotTokens[$0] < slotTokens[$1] }.prefix(header.tokensPerStep)
        for layer in 0..<layers {
            for (t, slot) in chosen.enumerated() {
                let base = (slot * layers + layer) * width
                for j in 0..<width {
                    switch header.payload {
                    case .scores: batch.scores[t * width + j] = values[base + j]
                    case .choices:
                        batch.experts[t * width + j] = Int32(values[base + j])
                        batch.weights[t * width + j] = census.hasWeights ? weights[base + j] : 1 / Float(width)
                    }
                }
            }
            try writer.append(batch)
        }
        for token in slotTokens { slotOfToken[token] = -1 }
        slotTokens.removeAll(keepingCapacity: true)
        slotLines.removeAll(keepingCapacity: true)
        present.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        weights.removeAll(keepingCapacity: true)
    }
}
