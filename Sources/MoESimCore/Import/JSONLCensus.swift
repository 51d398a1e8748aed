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

    /// Reads the log at `path` once; `progress` is called now and then with the bytes read so far.
    /// - Throws: `TraceError` for any bad line (see `JSONLRoutingLog.forEachUnit`), a repeated
    ///   (layer, token) in a step, with `--strict` a (layer, token) missing from a step, or a log
    ///   with no routing record or no complete token; `AtomicFile.WriteError` when the spill file
    ///   cannot be written.
    /// - Complexity: O(file size); memory O(token positions of a step × layers / 64 + layers × 64 KiB).
    static func take(path: String, options: TraceImporter.Options,
                     progress: @escaping (_ bytesRead: Int) -> Void = { _ in }) throws -> (JSONLCensus, JSONLRoutingLog.LineCounts) {
        let reader = try JSONLLineReader(path: path)
        var tally = Tally(census: JSONLCensus(spill: try SpillFile()), path: path, strict: options.log.strict,
                          reader: reader, progress: progress)
        let counts = try JSONLRoutingLog.forEachUnit(reader: reader, options: options.log, experts: options.experts, into: &tally)
        guard counts.records > 0 else {
            throw TraceError.invalidField(file: path, at: .file, field: "routing records",
                                          value: "none in \(counts.lines) lines (\(counts.filtered) filtered out by --where)",
                                          allowed: "lines with expert ids (" + JSONLRoutingLog.recognisedNames[3].joined(separator: ", ")
                                              + ") or router logits (" + JSONLRoutingLog.recognisedNames[5].joined(separator: ", ")
                                              + "), or the fields --experts-field/--logits-field name")
        }
        try tally.closeStep()
        var census = tally.census
        for index in census.layerStreams.indices { try census.layerStreams[index].close(in: census.spill) }
        try census.stepStream.close(in: census.spill)
        let numbers = tally.numbers, layerCount = numbers.count
        var firstStepWithoutCompleteToken = tally.firstStepWithoutCompleteToken
        census.hasWeights = tally.weightsSeen
        census.streamOfLayer = numbers.indices.sorted { numbers[$0] < numbers[$1] }
        census.layers = census.streamOfLayer.map { numbers[$0] }
        // A layer first seen after step 0 ended: every token of step 0 lacks it.
        if tally.layersAtFirstClose < layerCount {
            if options.log.strict, let (line, token) = tally.firstUnit {
                throw missingLayerError(path: path, line: line, token: token, step: 0,
                                        layer: numbers[tally.layersAtFirstClose...].min() ?? 0, layers: layerCount)
            }
            firstStepWithoutCompleteToken = 0
        }
        census.tokensPerStep = firstStepWithoutCompleteToken == nil ? census.completeRange.lowerBound : 0
        if census.payload == .logits {
            census.experts = census.width
        } else {
            census.experts = options.experts ?? (tally.largestID + 1)
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

    /// What the parse keeps while it runs: the census being filled and the current step's counts.
    private struct Tally: JSONLRoutingLog.UnitConsumer {
        var census: JSONLCensus
        let path: String
        let strict: Bool
        let reader: JSONLLineReader
        let progress: (_ bytesRead: Int) -> Void
        /// Layer number → stream index + 1 (0: not seen yet), and stream index → layer number.
        var streamOfNumber: [Int32] = [], numbers: [Int] = []
        /// Per token position: layers with a record in this step.
        var layerCounts: [UInt32] = []
        /// Per stream: a bit per token position of this step.
        var seen: [[UInt64]] = []
        /// --strict: per token position, its first record's line in this step.
        var firstLines: [Int] = []
        /// Token positions used by this step (largest + 1).
        var positions = 0
        var currentStep = -1
        var largestID = -1
        var weightsSeen = false
        var record: [UInt32] = []
        var words: [UInt64] = []
        var layersAtFirstClose = 0
        var firstUnit: (line: Int, token: Int)?
        var firstStepWithoutCompleteToken: Int?
        var lastReport = 0

        init(census: JSONLCensus, path: String, strict: Bool, reader: JSONLLineReader, progress: @escaping (Int) -> Void) {
            self.census = census
            self.path = path
            self.strict = strict
            self.reader = reader
            self.progress = progress
        }

        mutating func add(_ unit: JSONLRoutingLog.Unit) throws {
            if firstUnit == nil {
                // The first routing record fixes the payload and width, hence the record size.
                let recordWords = 2 + unit.values.count * (unit.payload == .ids ? 2 : 1)
                census.spill.blockBytes = max(census.spill.blockBytes, recordWords * 4)
                census.payload = unit.payload
                census.width = unit.values.count
                census.recordBytes = recordWords * 4
                record = [UInt32](repeating: 0, count: recordWords)
                firstUnit = (unit.line, unit.token)
            }
            if unit.step != currentStep {
                if currentStep >= 0 { try closeStep() }
                currentStep = unit.step
            }
            if unit.layer >= streamOfNumber.count { streamOfNumber += [Int32](repeating: 0, count: unit.layer + 1 - streamOfNumber.count) }
            if streamOfNumber[unit.layer] == 0 {
                numbers.append(unit.layer)
                seen.append([])
                census.layerStreams.append(SpillFile.Stream())
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
                for j in 0..<width { record[2 + width + j] = unit.weights.isEmpty ? uniform : Float(unit.weights[j]).bitPattern }
            } else {
                for (j, logit) in unit.values.enumerated() { record[2 + j] = Float(logit).bitPattern }
            }
            try record.withUnsafeBytes { try census.layerStreams[stream].append($0, in: census.spill) }
            if reader.bytesRead - lastReport >= 1 << 24 {
                lastReport = reader.bytesRead
                progress(lastReport)
            }
        }

        /// Ends the current step: spills its complete positions and resets its counts.
        /// - Throws: with --strict, `TraceError` naming the first token (by line) missing a layer.
        mutating func closeStep() throws {
            let layerCount = numbers.count
            words.removeAll(keepingCapacity: true)
            words.append(contentsOf: repeatElement(0, count: (positions + 63) / 64))
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
