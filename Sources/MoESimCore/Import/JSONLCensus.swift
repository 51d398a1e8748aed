/// The only parse of a JSON-lines log: which layers it has, its width (k or E), the largest expert
/// id, and for every step which tokens have a record in every layer; meanwhile every (layer, token)
/// record is parked in a `SpillFile` (one stream per layer, a fixed-size binary record each) for
/// `JSONLStepAssembler` to write the trace from. Per step it keeps one count per token position and
/// one bit per (layer, token), reset at the next step; what it keeps of a step once it ends is a
/// bitmap of its complete token positions, spilled too.
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

    /// The spilled records and bitmaps.
    let spill: SpillFile
    /// Per layer, by first appearance in the log: its records, `recordBytes` each: step (u32),
    /// token position (u32), `width` values (ids as u32, logits as f32 bits), then for ids `width`
    /// weights (f32; 1/k on a line without weights).
    var layerStreams: [SpillFile.Stream] = []
    /// Per step: its complete token positions, as a count of 64-bit words (Int64) and the words.
    var stepStream = SpillFile.Stream()
    /// Trace layer (ascending layer number) → index of its stream.
    var streamOfLayer: [Int] = []
    /// Bytes of one spilled record.
    var recordBytes = 0

    private init(spill: SpillFile) { self.spill = spill }

    /// Spill blocks: 64 KiB, or one record when records are larger.
    private static let blockBytes = 64 << 10

    /// Reads the log at `path` once.
    /// - Throws: `TraceError` for any bad line (see `JSONLRoutingLog.forEachUnit`), a repeated
    ///   (layer, token) in a step, with `--strict` a (layer, token) missing from a step, or a log
    ///   with no routing record or no complete token; `AtomicFile.WriteError` when the spill file
    ///   cannot be written.
    /// - Complexity: O(file size); memory O(token positions of a step × layers / 64 + layers × 64 KiB).
    static func take(path: String, options: TraceImporter.Options,
                     progress: (_ bytesRead: Int) -> Void = { _ in }) throws -> (JSONLCensus, JSONLRoutingLog.LineCounts) {
        var census: JSONLCensus?
        var streamOfNumber: [Int32] = []            // layer number → stream index + 1 (0: not seen yet)
        var numbers: [Int] = []                     // stream index → layer number
        var layerCounts: [UInt32] = []              // per token position: layers with a record in this step
        var seen: [[UInt64]] = []                   // per stream: a bit per token position of this step
        var firstLines: [Int] = []                  // --strict: per token position, its first record's line in this step
        var positions = 0                           // token positions used by this step (largest + 1)
        var currentStep = -1
        var largestID = -1
        var weightsSeen = false
        var record: [UInt32] = []
        var words: [UInt64] = []
        var layersAtFirstClose = 0
        var firstUnit: (line: Int, token: Int)?
        var firstStepWithoutCompleteToken: Int?
        let strict = options.log.strict

        func closeStep(_ census: inout JSONLCensus) throws {
            let layerCount = numbers.count
            words.removeAll(keepingCapacity: true)
            words += [UInt64](repeating: 0, count: (positions + 63) / 64)
            var tokens = 0, complete = 0
            var firstIncomplete: Int?
            for position in 0..<positions where layerCounts[position] > 0 {
                tokens += 1
                if layerCounts[position] == layerCount {
                    complete += 1
                    words[position >> 6] |= 1 << UInt64(position & 63)
                } else if strict, firstIncomplete.map({ firstLines[position] < firstLines[$0] }) ?? true {
                    firstIncomplete = position
                }
            }
            if let token = firstIncomplete {
                let missing = (0..<layerCount).filter { seen[$0].count <= token >> 6 || seen[$0][token >> 6] & (1 << UInt64(token & 63)) == 0 }
                throw missingLayerError(path: path, line: firstLines[token], token: token, step: census.steps,
                                        layer: missing.map { numbers[$0] }.min() ?? 0, layers: layerCount)
            }
            if census.steps == 0 { layersAtFirstClose = layerCount }
            if complete == 0 && firstStepWithoutCompleteToken == nil { firstStepWithoutCompleteToken = census.steps }
            census.completeRange = census.steps == 0 ? complete...complete
                : min(census.completeRange.lowerBound, complete)...max(census.completeRange.upperBound, complete)
            census.steps += 1
            census.tokens += tokens
            census.completeTokens += complete
            var count = Int64(words.count)
            try withUnsafeBytes(of: &count) { try census.stepStream.append($0, in: census.spill) }
            try words.withUnsafeBytes { try census.stepStream.append($0, in: census.spill) }
            for position in 0..<positions { layerCounts[position] = 0 }
            for index in seen.indices {
                let used = min(seen[index].count, (positions + 63) / 64)
                seen[index].withUnsafeMutableBufferPointer { UnsafeMutableBufferPointer(rebasing: $0[..<used]).update(repeating: 0) }
            }
            positions = 0
        }

        let reader = try JSONLLineReader(path: path)
        var lastReport = 0
        let counts = try JSONLRoutingLog.forEachUnit(reader: reader, options: options.log, experts: options.experts) { unit in
            if census == nil {
                // The first routing record fixes the payload and width, hence the record size.
                let recordWords = 2 + unit.values.count * (unit.payload == .ids ? 2 : 1)
                var first = JSONLCensus(spill: try SpillFile(blockBytes: max(blockBytes, recordWords * 4)))
                first.payload = unit.payload
                first.width = unit.values.count
                first.recordBytes = recordWords * 4
                census = first
                record = [UInt32](repeating: 0, count: recordWords)
                firstUnit = (unit.line, unit.token)
            }
            if unit.step != currentStep {
                if currentStep >= 0 { try closeStep(&census!) }
                currentStep = unit.step
            }
            if unit.layer >= streamOfNumber.count { streamOfNumber += [Int32](repeating: 0, count: unit.layer + 1 - streamOfNumber.count) }
            if streamOfNumber[unit.layer] == 0 {
                numbers.append(unit.layer)
                seen.append([])
                census!.layerStreams.append(SpillFile.Stream())
                streamOfNumber[unit.layer] = Int32(numbers.count)
            }
            let stream = Int(streamOfNumber[unit.layer]) - 1
            if unit.token >= positions {
                if unit.token >= layerCounts.count {
                    layerCounts += [UInt32](repeating: 0, count: unit.token + 1 - layerCounts.count)
                    if strict { firstLines += [Int](repeating: 0, count: unit.token + 1 - firstLines.count) }
                }
                positions = unit.token + 1
            }
            let word = unit.token >> 6, bit = UInt64(1) << UInt64(unit.token & 63)
            if word >= seen[stream].count { seen[stream] += [UInt64](repeating: 0, count: word + 1 - seen[stream].count) }
            guard seen[stream][word] & bit == 0 else {
                throw TraceError.invalidField(file: path, at: .line(unit.line), field: "record of layer \(unit.layer), token \(unit.token)",
                                              value: "a second one in its step", allowed: "one record per (layer, token) in a step")
            }
            seen[stream][word] |= bit
            if strict && layerCounts[unit.token] == 0 { firstLines[unit.token] = unit.line }
            layerCounts[unit.token] += 1
            weightsSeen = weightsSeen || !unit.weights.isEmpty
            // The spilled record.
            let width = unit.values.count
            record[0] = UInt32(truncatingIfNeeded: unit.step)
            record[1] = UInt32(unit.token)
            if unit.payload == .ids {
                for (j, id) in unit.values.enumerated() {
                    record[2 + j] = UInt32(id)
                    largestID = max(largestID, Int(id))
                }
                let uniform = (1 / Float(width)).bitPattern
                for j in 0..<width { record[2 + width + j] = unit.weights.isEmpty ? uniform : Float(unit.weights[unit.weights.startIndex + j]).bitPattern }
            } else {
                for (j, logit) in unit.values.enumerated() { record[2 + j] = Float(logit).bitPattern }
            }
            try record.withUnsafeBytes { try census!.layerStreams[stream].append($0, in: census!.spill) }
            if reader.bytesRead - lastReport >= 1 << 24 {
                lastReport = reader.bytesRead
                progress(lastReport)
            }
        }
        guard var census, counts.records > 0 else {
            throw TraceError.invalidField(file: path, at: .file, field: "routing records",
                                          value: "none in \(counts.lines) lines (\(counts.filtered) filtered out by --where)",
                                          allowed: "lines with expert ids (" + JSONLRoutingLog.recognisedNames[3].joined(separator: ", ")
                                              + ") or router logits (" + JSONLRoutingLog.recognisedNames[5].joined(separator: ", ")
                                              + "), or the fields --experts-field/--logits-field name")
        }
        try closeStep(&census)
        for index in census.layerStreams.indices { try census.layerStreams[index].close(in: census.spill) }
        try census.stepStream.close(in: census.spill)
        let layerCount = numbers.count
        census.hasWeights = weightsSeen
        census.streamOfLayer = numbers.indices.sorted { numbers[$0] < numbers[$1] }
        census.layers = census.streamOfLayer.map { numbers[$0] }
        // A layer first seen after step 0 ended: every token of step 0 lacks it.
        if layersAtFirstClose < layerCount {
            if strict, let (line, token) = firstUnit {
                throw missingLayerError(path: path, line: line, token: token, step: 0,
                                        layer: numbers[layersAtFirstClose...].min() ?? 0, layers: layerCount)
            }
            firstStepWithoutCompleteToken = 0
        }
        census.tokensPerStep = firstStepWithoutCompleteToken == nil ? census.completeRange.lowerBound : 0
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
        if let step = firstStepWithoutCompleteToken {
            throw TraceError.invalidField(file: path, at: .file, field: "step \(step) (0-based)",
                                          value: "no token with a record in all \(layerCount) layers (\(census.layers.first ?? 0)…"
                                              + "\(census.layers.last ?? 0))",
                                          allowed: "at least one complete token per step; filter the log (--where) or check its layer field")
        }
        return (census, counts)
    }

    private static func missingLayerError(path: String, line: Int, token: Int, step: Int, layer: Int, layers: Int) -> TraceError {
        .invalidField(file: path, at: .line(line), field: "token \(token) of step \(step) (0-based)", value: "no record for layer \(layer)",
                      allowed: "a record in every one of the \(layers) layers (--strict)")
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
