/// The first pass over a JSON-lines log: which layers it has, its width (k or E), the largest
/// expert id, and for every step how many tokens have a record in every layer. Per step it keeps
/// one count per token position and one bit per (layer, token), reset at the next step.
struct JSONLCensus {
    /// What the log records.
    var payload = JSONLRoutingLog.Payload.ids
    /// The log's layer numbers, ascending: trace layer i is the i-th.
    var layers: [Int] = []
    /// k (ids) or E (logits).
    var width = 0
    /// Expert count: --experts, E for logits, or the largest id + 1.
    var experts = 0
    /// Whether the log has gate weights.
    var hasWeights = false
    /// Steps in the log.
    var steps = 0
    /// Tokens kept per step: the fewest complete tokens of any step.
    var tokensPerStep = 0
    /// Tokens over all steps (with at least one record), and those with a record in every layer.
    var tokens = 0, completeTokens = 0
    /// The fewest and most complete tokens of a step.
    var completeRange = 0...0

    /// Reads the log at `path` once.
    /// - Throws: `TraceError` for any bad line (see `JSONLRoutingLog.forEachUnit`), a repeated
    ///   (layer, token) in a step, or a log with no routing record or no complete token.
    static func take(path: String, options: TraceImporter.Options) throws -> JSONLCensus {
        var census = JSONLCensus()
        var denseLayer: [Int: Int] = [:]           // layer number → index of first appearance
        var layerCounts: [UInt32] = []              // per token position: layers with a record
        var seen: [[UInt64]] = []                   // per dense layer: a bit per token position
        var histograms: [[Int: Int]] = []           // per step: layers with a record → tokens
        var currentStep = -1
        var largestID = -1
        func closeStep() {
            var histogram: [Int: Int] = [:]
            for count in layerCounts where count > 0 { histogram[Int(count), default: 0] += 1 }
            histograms.append(histogram)
            layerCounts.removeAll(keepingCapacity: true)
            for index in seen.indices { seen[index].removeAll(keepingCapacity: true) }
        }
        var weightsSeen = false
        let counts = try JSONLRoutingLog.forEachUnit(path: path, options: options.log, experts: options.experts) { unit in
            if unit.step != currentStep {
                if currentStep >= 0 { closeStep() }
                currentStep = unit.step
            }
            let layer = denseLayer[unit.layer] ?? {
                denseLayer[unit.layer] = denseLayer.count
                seen.append([])
                return denseLayer.count - 1
            }()
            if unit.token >= layerCounts.count { layerCounts += [UInt32](repeating: 0, count: unit.token + 1 - layerCounts.count) }
            let word = unit.token >> 6, bit = UInt64(1) << UInt64(unit.token & 63)
            if word >= seen[layer].count { seen[layer] += [UInt64](repeating: 0, count: word + 1 - seen[layer].count) }
            guard seen[layer][word] & bit == 0 else {
                throw TraceError.invalidField(file: path, at: .line(unit.line), field: "record of layer \(unit.layer), token \(unit.token)",
                                              value: "a second one in its step", allowed: "one record per (layer, token) in a step")
            }
            seen[layer][word] |= bit
            layerCounts[unit.token] += 1
            census.width = unit.values.count
            weightsSeen = weightsSeen || !unit.weights.isEmpty
            if unit.payload == .ids, let largest = unit.values.max() { largestID = max(largestID, Int(largest)) }
        }
        guard counts.records > 0 else {
            throw TraceError.invalidField(file: path, at: .file, field: "routing records",
                                          value: "none in \(counts.lines) lines (\(counts.filtered) filtered out by --where)",
                                          allowed: "lines with expert ids (" + JSONLRoutingLog.recognisedNames[3].joined(separator: ", ")
                                              + ") or router logits (" + JSONLRoutingLog.recognisedNames[5].joined(separator: ", ")
                                              + "), or the fields --experts-field/--logits-field name")
        }
        closeStep()
        census.payload = counts.payload ?? .ids
        census.hasWeights = weightsSeen
        census.layers = denseLayer.keys.sorted()
        census.steps = histograms.count
        let layerCount = census.layers.count
        let complete = histograms.map { $0[layerCount] ?? 0 }
        census.tokens = histograms.reduce(0) { $0 + $1.values.reduce(0, +) }
        census.completeTokens = complete.reduce(0, +)
        census.completeRange = (complete.min() ?? 0)...(complete.max() ?? 0)
        census.tokensPerStep = complete.min() ?? 0
        if census.payload == .logits {
            census.experts = census.width
        } else {
            census.experts = options.experts ?? (largestID + 1)
            guard census.width <= min(census.experts, TraceHeader.maxK) else {
                throw TraceError.invalidField(file: path, at: .file, field: "expert ids per token (k)", value: String(census.width),
                                              allowed: "at most the \(census.experts) experts (and \(TraceHeader.maxK))")
            }
        }
        guard census.experts <= 65_536 else {
            throw TraceError.invalidField(file: path, at: .file, field: "experts", value: String(census.experts), allowed: "at most 65536")
        }
        guard census.tokensPerStep > 0 || options.log.strict else {
            let step = complete.firstIndex(of: 0) ?? 0
            throw TraceError.invalidField(file: path, at: .file, field: "step \(step) (0-based)",
                                          value: "no token with a record in all \(layerCount) layers (\(census.layers.first ?? 0)…"
                                              + "\(census.layers.last ?? 0))",
                                          allowed: "at least one complete token per step; filter the log (--where) or check its layer field")
        }
        return census
    }

    /// One sentence each: lines skipped, tokens dropped as incomplete, tokens cut to equalise steps.
    func notes(counts: JSONLRoutingLog.LineCounts, options: TraceImporter.Options) -> [String] {
        var notes = ["read \(counts.records) routing records of \(counts.lines) lines: \(steps) step(s), \(layers.count) layer(s) "
            + "(\(layers.first ?? 0)…\(layers.last ?? 0)), " + (payload == .ids ? "k = \(width) expert ids" : "\(width) router logits")
            + (payload == .ids && !hasWeights ? " (no weights: 1/k each)" : "")]
        if counts.filtered + counts.withoutRouting > 0 {
            notes.append("skipped \(counts.filtered + counts.withoutRouting) line(s): \(counts.filtered) not matching --where, "
                + "\(counts.withoutRouting) without routing fields")
        }
        if completeTokens < tokens {
            notes.append("dropped \(tokens - completeTokens) of \(tokens) tokens that lack a record in some of the \(layers.count) "
                + "layers (--strict makes that an error)")
        }
        if completeRange.lowerBound < completeRange.upperBound {
            notes.append("steps have \(completeRange.lowerBound)–\(completeRange.upperBound) complete tokens; each keeps its first "
                + "\(tokensPerStep) by token position (\(completeTokens - tokensPerStep * steps) more dropped)")
        }
        return notes
    }
}
