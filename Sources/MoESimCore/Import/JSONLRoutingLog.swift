/// A JSON-lines routing log — one JSON object per line, one line per (layer, token), or per token
/// with one row per layer — as route-logging hooks of serving and training stacks write it.
/// `importLog` parses it once, streaming (`JSONLCensus`: layers, k or experts, the complete tokens
/// of every step), parking the records in a temporary spill file, then writes the trace from that
/// file (`JSONLStepAssembler`). Records of a step must be on consecutive lines (a step that
/// reappears later is an error). Memory does not grow with the log: it grows with the token
/// positions of one step (a few bits each per layer) and is bounded for any number of steps.
public enum JSONLRoutingLog {
    /// Which fields to read and which lines to keep.
    public struct Options: Sendable {
        /// Field names by `JSONLRecord.Role` order (layer, token, step, experts, weights, logits);
        /// nil = the recognised names (`recognisedNames`).
        public var fieldNames: [String?] = [nil, nil, nil, nil, nil, nil]
        /// Keep only lines where each field's raw value (a string's content, or a number's text) equals the value.
        public var filters: [Filter] = []
        /// Make a (layer, token) missing from a step an error instead of dropping the token.
        public var strict = false

        /// Recognised names, no filter, ragged tokens dropped.
        public init() {}

        /// Sets the name of the field with the flag `flag` (`--layer-field`, …); false for an unknown flag.
        public mutating func setField(flag: String, name: String) -> Bool {
            guard let role = JSONLRecord.Role.allCases.first(where: { $0.flag == flag }) else { return false }
            fieldNames[role.rawValue] = name
            return true
        }

        /// The flags `setField` knows.
        public static var fieldFlags: [String] { JSONLRecord.Role.allCases.map(\.flag) }
    }

    /// `--where field=value`.
    public struct Filter: Sendable, Equatable {
        public let field: String
        public let value: String

        public init(field: String, value: String) {
            self.field = field
            self.value = value
        }
    }

    /// The field names recognised without a flag, by role (layer, token, step, experts, weights, logits).
    public static let recognisedNames: [[String]] = [
        ["layer", "layer_id", "layer_idx", "layer_index"],
        ["token_pos", "token_position", "token_idx", "token_index", "position", "pos"],
        ["step", "step_id", "iteration", "request_id", "req_id", "seq_id", "batch_id"],
        ["experts", "topk_ids", "expert_ids", "selected_experts"],
        ["gating_probs", "topk_weights", "weights", "routing_weights"],
        ["router_logits", "logits"],
    ]

    /// The largest token position read + 1: per-step buffers grow with the largest position.
    static let maxTokenPosition = 1 << 24

    /// What a log records: expert ids (k per token) or router logits (E per token).
    enum Payload: Equatable { case ids, logits }

    /// One (layer, token) entry of a log.
    struct Unit {
        var payload = Payload.ids
        var line = 0
        /// 0-based index of the unit's step in the log.
        var step = 0
        /// The log's layer number.
        var layer = 0
        /// The token position (the field's, or the order of appearance in its step and layer).
        var token = 0
        /// k expert ids or E logits (valid during the call that hands the unit out).
        var values = UnsafeBufferPointer<Double>(start: nil, count: 0)
        /// k weights; empty when the log has none (valid during the call that hands the unit out).
        var weights = UnsafeBufferPointer<Double>(start: nil, count: 0)
    }

    /// What `forEachUnit` hands each unit to.
    protocol UnitConsumer {
        mutating func add(_ unit: Unit) throws
    }

    /// Lines read by `forEachUnit`, for the summary.
    struct LineCounts {
        var lines = 0, filtered = 0, withoutRouting = 0, records = 0
        /// What the routing records hold (decided by the first one); nil without any.
        var payload: Payload?
    }

    /// Imports the log at `input` into a trace at `output` (see `TraceImporter.importFile`);
    /// `progress` is called now and then with the bytes of the log read so far.
    /// - Throws: `TraceError` naming the line for a malformed line, an inconsistent k or width, an id
    ///   out of range or repeated in a token, a non-finite value, a step that reappears, or (strict) a
    ///   missing (layer, token); `AtomicFile.WriteError`.
    /// - Complexity: O(file size) time, one parse; memory O(token positions of the largest step ×
    ///   layers / 64 + layers × 64 KiB + 8 MiB), whatever the number of steps; a temporary file
    ///   about as large as the trace.
    static func importLog(from input: String, to output: String, options: TraceImporter.Options,
                          progress: @escaping (_ bytesRead: Int) -> Void = { _ in }) throws -> TraceImporter.Summary {
        let (census, counts) = try JSONLCensus.take(path: input, options: options, progress: progress)
        let assembler = try JSONLStepAssembler(census: census, path: input, output: output, options: options)
        try assembler.write()
        var notes = census.notes(counts: counts, options: options)
        notes += TraceImporter.remainderNote(tokens: census.tokensPerStep, kept: assembler.keptTokens, padding: assembler.paddingTokens,
                                             steps: census.steps, gpus: options.gpus)
        return TraceImporter.Summary(header: assembler.header, notes: notes)
    }

    /// Reads the log line by line and hands each (layer, token) unit to `consumer`, after checking
    /// each line: valid JSON, one payload of one width throughout, integer ids in [0, experts)
    /// (when known) and distinct per token, finite numbers, weights matching the ids, steps on
    /// consecutive lines.
    /// - Complexity: O(file size); memory O(longest line + number of steps).
    static func forEachUnit<Consumer: UnitConsumer>(reader: JSONLLineReader, options: Options, experts: Int?,
                                                    into consumer: inout Consumer) throws -> LineCounts {
        let path = reader.path
        let matcher = JSONLRecord.Matcher(options: options)
        var record = JSONLRecord()
        var counts = LineCounts()
        var payload: Payload?
        var width = 0
        var unit = Unit()
        var previousStep: [UInt8]?
        var seenSteps = Set<[UInt8]>()
        var autoTokens: [Int: Int] = [:]   // next token position of each layer in this step, without a token field
        func error(_ what: String, _ value: String, _ allowed: String) -> TraceError {
            .invalidField(file: path, at: .line(reader.lineNumber), field: what, value: value, allowed: allowed)
        }
        while let line = try reader.nextLine() {
            counts.lines += 1
            do {
                guard try record.parse(line, matcher: matcher) else {
                    counts.filtered += 1
                    continue
                }
            } catch let scanError as JSONLineScanner.Error {
                throw error("column \(scanError.column)", scanError.reason, "one JSON object per line")
            }
            if payload == nil {
                let preferLogits = options.fieldNames[JSONLRecord.Role.logits.rawValue] != nil
                    && options.fieldNames[JSONLRecord.Role.experts.rawValue] == nil
                payload = record.idShape != nil && !preferLogits ? .ids : record.logitShape != nil ? .logits : nil
            }
            counts.payload = payload
            guard let payload, let shape = payload == .ids ? record.idShape : record.logitShape else {
                counts.withoutRouting += 1
                continue
            }
            counts.records += 1
            let values = payload == .ids ? record.ids : record.logits
            let what = payload == .ids ? "expert ids" : "router logits"
            if width == 0 { width = shape.width }
            guard shape.width == width, width > 0 else {
                throw error(payload == .ids ? "number of expert ids (k)" : "number of router logits", String(shape.width),
                            "\(max(width, 1)) on every line, as on the first routing line" + (width == 0 ? " (at least 1)" : ""))
            }
            let rows = max(shape.rows, 1)
            if record.layer != nil && shape.rows > 0 {
                throw error(what, "\(shape.rows) rows", "one flat array on a line with a layer field")
            }
            if payload == .ids, let weightShape = record.weightShape {
                guard max(weightShape.rows, 1) == rows, weightShape.width == width else {
                    throw error("weights", "\(weightShape.rows) × \(weightShape.width) values", "one per expert id (\(rows) × \(width))")
                }
            }
            // Checks on the raw buffers: no allocation or reference counting per line.
            let floatLimit = Double(Float.greatestFiniteMagnitude)
            func checkFinite(_ numbers: [Double], _ name: String) throws {
                if let bad = numbers.withUnsafeBufferPointer({ $0.first { !(abs($0) <= floatLimit) } }) {
                    throw TraceError.nonFinite(file: path, at: .line(reader.lineNumber), what: "a value of the \(name)",
                                               value: bad.isFinite ? "\(bad) (beyond f32's range)" : "\(bad)")
                }
            }
            try checkFinite(values, what)
            try checkFinite(record.weights, "weights")
            if payload == .ids {
                let limit = Double(experts ?? TraceHeader.maxCount)
                try values.withUnsafeBufferPointer { values in
                    for row in 0..<rows {
                        let first = row * width
                        for j in 0..<width {
                            let id = values[first + j]
                            guard id >= 0, id == id.rounded(), id < limit else {
                                throw TraceError.expertOutOfRange(file: path, at: .line(reader.lineNumber), token: "expert id \(j)",
                                                                  expert: Int(max(min(id, 9e15), -9e15)), experts: experts ?? TraceHeader.maxCount)
                            }
                            for earlier in first..<(first + j) where values[earlier] == id {
                                throw error("expert ids", "\(Int(id)) twice", "k different experts per token")
                            }
                        }
                    }
                }
            }
            // The step: a new key starts a step; a key seen before, after another, is an error.
            let step = record.hasStep ? record.step : []
            if step != previousStep {
                if previousStep != nil { unit.step += 1 }
                guard seenSteps.insert(step).inserted else {
                    throw error("step \"\(String(decoding: step.prefix(40), as: UTF8.self))\"", "seen again after other steps",
                                "on consecutive lines: sort the log by step (e.g. sort -s -k on the step field, or jq)")
                }
                previousStep = step
                autoTokens.removeAll(keepingCapacity: true)
            }
            unit.line = reader.lineNumber
            unit.payload = payload
            for row in 0..<rows {
                unit.layer = record.layer ?? row
                if let token = record.token {
                    unit.token = token
                } else {
                    unit.token = autoTokens[unit.layer, default: 0]
                    autoTokens[unit.layer] = unit.token + 1
                }
                guard unit.token >= 0, unit.token < maxTokenPosition else {
                    throw error("token position", String(unit.token), "in [0, \(maxTokenPosition)) (a position within its step"
                        + (record.token == nil ? ", counted per layer without a token field)" : ")"))
                }
                guard (0...1_000_000).contains(unit.layer) else {
                    throw error("layer", String(unit.layer), "in [0, 1000000]")
                }
                let hasWeights = record.weightShape != nil && payload == .ids
                try values.withUnsafeBufferPointer { values in
                    try record.weights.withUnsafeBufferPointer { weights in
                        unit.values = UnsafeBufferPointer(rebasing: values[(row * width)..<((row + 1) * width)])
                        unit.weights = hasWeights ? UnsafeBufferPointer(rebasing: weights[(row * width)..<((row + 1) * width)])
                                                  : UnsafeBufferPointer(start: nil, count: 0)
                        try consumer.add(unit)
                    }
                }
            }
        }
        return counts
    }
}
