import Foundation

/// The CSV text form of a trace, for small hand-made traces: one row per token of every
/// (step, layer) batch. docs/traces.md documents it; a first line such as
///
///     # moetrace version=1 payload=scores score_type=f32 experts=8 layers=1 tokens_per_step=4 steps=1 gpus=2 chunk_tokens=4
///
/// declares the shape (it is optional: without it the shape is derived from the rows), then a
/// header row `step,layer,token,src_gpu,` followed by `score_0..score_{E-1}` (and
/// `device_0..device_{G-1}`) for scores, or `expert_0..expert_{k-1},weight_0..weight_{k-1}` for choices.
public enum TraceCSV {
    /// Reads a whole CSV trace; rows may come in any order but each token of each batch exactly once.
    /// Lines may end in LF or CRLF, and a UTF-8 byte order mark before the first line is skipped.
    /// - Throws: `TraceError` naming the row and the field of the first problem.
    /// - Complexity: O(file size); the whole trace is held in memory.
    public static func read(file: String) throws -> (header: TraceHeader, batches: [TraceBatch]) {
        let input = try InputFile(path: file)
        var bytes = try input.readBytes(input.size)[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map {
            Substring(String(decoding: $0.last == UInt8(ascii: "\r") ? $0.dropLast() : $0, as: UTF8.self))
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        var lineNumber = 0
        var declared: [String: Int] = [:]
        var scoreType = TraceHeader.ScoreType.f32
        if let first = lines.first, first.hasPrefix("#") {
            (declared, scoreType) = try parseDeclaration(first, file: file)
            lineNumber = 1
        }
        guard lineNumber < lines.count else {
            throw TraceError.invalidField(file: file, at: .row(lineNumber + 1), field: "the header row", value: "nothing",
                                          allowed: "step,layer,token,src_gpu followed by score_* or expert_*/weight_* columns")
        }
        let columns = lines[lineNumber].split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        let layout = try Layout(columns: columns, file: file, row: lineNumber + 1)
        lineNumber += 1

        // Parse every row first: the shape may have to be derived from them.
        var rows: [(line: Int, ids: [Int], values: [Float])] = []
        for index in lineNumber..<lines.count where !lines[index].isEmpty {
            rows.append(try layout.parse(lines[index], file: file, row: index + 1))
        }
        let header = try layout.header(declared: declared, scoreType: scoreType, rows: rows, file: file)
        try header.checkLimits(file: file)
        let expectedRows = Double(header.steps) * Double(header.layers) * Double(header.tokensPerStep)
        // More rows than tokens means a duplicate, which the loop below names; fewer means a gap.
        guard expectedRows <= Double(rows.count) else {
            throw TraceError.invalidField(file: file, at: .file, field: "the number of rows", value: String(rows.count),
                                          allowed: "one per token: steps × layers × tokens_per_step = \(header.steps) × "
                                              + "\(header.layers) × \(header.tokensPerStep)")
        }
        var batches = [TraceBatch](repeating: TraceBatch(), count: header.batchCount)
        for b in batches.indices { batches[b].shape(for: header) }
        var seen = [Bool](repeating: false, count: header.batchCount * header.tokensPerStep)
        for row in rows {
            let (step, layer, token, source) = (row.ids[0], row.ids[1], row.ids[2], row.ids[3])
            func check(_ name: String, _ value: Int, below limit: Int, _ what: String) throws {
                guard value >= 0 && value < limit else {
                    throw TraceError.invalidField(file: file, at: .row(row.line), field: name, value: String(value),
                                                  allowed: "in [0, \(limit - 1)] (\(what))")
                }
            }
            try check("step", step, below: header.steps, "steps = \(header.steps)")
            try check("layer", layer, below: header.layers, "layers = \(header.layers)")
            try check("token", token, below: header.tokensPerStep, "tokens_per_step = \(header.tokensPerStep)")
            let expectedSource = header.tokenLayout.sourceGPU(of: token)
            guard source == expectedSource else {
                throw TraceError.invalidField(file: file, at: .row(row.line), field: "src_gpu", value: String(source),
                                              allowed: "\(expectedSource): tokens are in source-GPU order, "
                                                  + "\(header.tokensPerGPU) per GPU, so token \(token) comes from GPU "
                                                  + "\(expectedSource)")
            }
            let batch = step * header.layers + layer
            guard !seen[batch * header.tokensPerStep + token] else {
                throw TraceError.invalidField(file: file, at: .row(row.line), field: "(step, layer, token)",
                                              value: "(\(step), \(layer), \(token))", allowed: "listed once (it appears again)")
            }
            seen[batch * header.tokensPerStep + token] = true
            try layout.store(row.values, ids: Array(row.ids[4...]), token: token, header: header,
                             into: &batches[batch], file: file, row: row.line)
        }
        if let missing = seen.firstIndex(of: false) {
            let batch = missing / header.tokensPerStep
            throw TraceError.invalidField(file: file, at: .file, field: "rows", value: "no row for step \(batch / header.layers), "
                + "layer \(batch % header.layers), token \(missing % header.tokensPerStep)",
                allowed: "one row for each of the \(header.steps) × \(header.layers) × \(header.tokensPerStep) tokens")
        }
        return (header, batches)
    }

    /// Renders a trace as CSV, declaration line first, rows in (step, layer, token) order.
    /// Scores print in their shortest exact form, so converting back gives the same values.
    /// - Complexity: O(trace size); the text is built in memory (CSV is for small traces).
    public static func render(_ source: TraceSource) throws -> String {
        let header = source.header
        var text = declaration(header) + "\n" + Layout.columns(for: header).joined(separator: ",") + "\n"
        var batch = TraceBatch()
        var index = 0
        while try source.nextBatch(into: &batch) {
            let step = index / header.layers, layer = index % header.layers
            for token in 0..<header.tokensPerStep {
                var fields = [String(step), String(layer), String(token), String(header.tokenLayout.sourceGPU(of: token))]
                switch header.payload {
                case .scores:
                    let format: (Float) -> String = header.scoreType == .f16 ? { Float16($0).description } : { $0.description }
                    fields += batch.scores[token * header.experts..<(token + 1) * header.experts].map(format)
                    if header.hasDeviceLogits {
                        fields += batch.deviceLogits[token * header.gpus..<(token + 1) * header.gpus].map(format)
                    }
                case .choices:
                    fields += batch.experts[token * header.k..<(token + 1) * header.k].map { String($0) }
                    fields += batch.weights[token * header.k..<(token + 1) * header.k].map { $0.description }
                }
                text += fields.joined(separator: ",") + "\n"
            }
            index += 1
        }
        return text
    }

    /// The `# moetrace ...` line that declares `header`.
    static func declaration(_ header: TraceHeader) -> String {
        var fields = ["version=\(TraceHeader.currentVersion)", "payload=\(header.payload == .scores ? "scores" : "choices")"]
        if header.payload == .scores { fields.append("score_type=\(header.scoreType.name)") }
        fields += ["experts=\(header.experts)", "layers=\(header.layers)", "tokens_per_step=\(header.tokensPerStep)",
                   "steps=\(header.steps)", "gpus=\(header.gpus)"]
        if header.payload == .choices { fields.append("k=\(header.k)") }
        fields.append("chunk_tokens=\(header.chunkTokens)")
        return "# moetrace " + fields.joined(separator: " ")
    }

    private static let countKeys = ["experts", "layers", "tokens_per_step", "steps", "gpus", "k", "chunk_tokens"]

    private static func parseDeclaration(_ line: Substring, file: String) throws
        -> (counts: [String: Int], scoreType: TraceHeader.ScoreType) {
        let words = line.dropFirst().split(separator: " ")
        guard words.first == "moetrace" else {
            throw TraceError.badMagic(file: file, at: .row(1), seen: InputExcerpt.quoted(line),
                                      expected: "\"# moetrace version=1 ...\" or the header row")
        }
        var counts: [String: Int] = [:]
        var scoreType = TraceHeader.ScoreType.f32
        var keys = Set<String>()
        for word in words.dropFirst() {
            let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else {
                throw TraceError.invalidField(file: file, at: .row(1), field: "declaration", value: InputExcerpt.quoted(word),
                                              allowed: "key=value pairs")
            }
            guard keys.insert(parts[0]).inserted else {
                throw TraceError.invalidField(file: file, at: .row(1), field: "declaration key", value: InputExcerpt.quoted(parts[0]),
                                              allowed: "given once (it appears again)")
            }
            switch parts[0] {
            case "version":
                guard parts[1] == String(TraceHeader.currentVersion) else {
                    throw TraceError.unsupportedVersion(file: file, at: .row(1), version: Int(parts[1]) ?? -1,
                                                        supported: "version \(TraceHeader.currentVersion)")
                }
            case "payload":
                guard ["scores", "choices"].contains(parts[1]) else {
                    throw TraceError.invalidField(file: file, at: .row(1), field: "payload", value: InputExcerpt.quoted(parts[1]),
                                                  allowed: "scores or choices")
                }
            case "score_type":
                guard let type = TraceHeader.ScoreType.allCases.first(where: { $0.name == parts[1] }) else {
                    throw TraceError.invalidField(file: file, at: .row(1), field: "score_type", value: InputExcerpt.quoted(parts[1]),
                                                  allowed: "f32 or f16")
                }
                scoreType = type
            case let key where countKeys.contains(key):
                guard let value = Int(parts[1]), value >= 1, value <= TraceHeader.maxCount else {
                    throw TraceError.invalidField(file: file, at: .row(1), field: key, value: InputExcerpt.quoted(parts[1]),
                                                  allowed: "an integer in [1, \(TraceHeader.maxCount)]")
                }
                counts[key] = value
            default:
                throw TraceError.invalidField(file: file, at: .row(1), field: "declaration key", value: InputExcerpt.quoted(parts[0]),
                                              allowed: "one of version, payload, score_type, " + countKeys.joined(separator: ", "))
            }
        }
        return (counts, scoreType)
    }

    /// The columns of a CSV trace and how to read a row of them.
    private struct Layout {
        /// Scores: E score columns and G device columns; choices: k expert and k weight columns.
        let payload: TraceHeader.Payload
        let scoreColumns: Int, deviceColumns: Int, k: Int

        static func columns(for header: TraceHeader) -> [String] {
            var names = ["step", "layer", "token", "src_gpu"]
            switch header.payload {
            case .scores:
                names += (0..<header.experts).map { "score_\($0)" }
                if header.hasDeviceLogits { names += (0..<header.gpus).map { "device_\($0)" } }
            case .choices:
                names += (0..<header.k).map { "expert_\($0)" } + (0..<header.k).map { "weight_\($0)" }
            }
            return names
        }

        init(columns: [String], file: String, row: Int) throws {
            let scores = columns.filter { $0.hasPrefix("score_") }.count
            let devices = columns.filter { $0.hasPrefix("device_") }.count
            let experts = columns.filter { $0.hasPrefix("expert_") }.count
            payload = experts > 0 ? .choices : .scores
            scoreColumns = scores
            deviceColumns = devices
            k = experts
            let expected = Layout.columns(for: TraceHeader(payload: payload, hasDeviceLogits: devices > 0,
                                                           experts: max(scores, 1), layers: 1, tokensPerStep: max(devices, 1),
                                                           steps: 1, gpus: max(devices, 1), k: experts))
            guard (scores > 0) != (experts > 0), columns == expected else {
                throw TraceError.invalidField(file: file, at: .row(row), field: "the header row",
                                              value: InputExcerpt.quoted(columns.joined(separator: ",")),
                                              allowed: "step,layer,token,src_gpu then score_0..score_{E-1} (and device_0.."
                                                  + "device_{G-1}), or expert_0..expert_{k-1} then weight_0..weight_{k-1}")
            }
        }

        /// Parses one row into its integer fields (step, layer, token, src_gpu, expert ids) and its values.
        func parse(_ line: Substring, file: String, row: Int) throws -> (line: Int, ids: [Int], values: [Float]) {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            let count = 4 + (payload == .scores ? scoreColumns + deviceColumns : 2 * k)
            guard fields.count == count else {
                throw TraceError.invalidField(file: file, at: .row(row), field: "the number of fields", value: String(fields.count),
                                              allowed: "\(count), one per column of the header row")
            }
            let integers = payload == .scores ? 4 : 4 + k
            let names = ["step", "layer", "token", "src_gpu"] + (0..<k).map { "expert_\($0)" }
            var ids: [Int] = []
            for (index, field) in fields.prefix(integers).enumerated() {
                // Bounded like the binary format's counts, so that no count derived from the rows can overflow.
                guard let value = Int(field.trimmingCharacters(in: .whitespaces)), value >= 0, value < TraceHeader.maxCount else {
                    throw TraceError.invalidField(file: file, at: .row(row), field: names[index], value: InputExcerpt.quoted(field),
                                                  allowed: "an integer in [0, \(TraceHeader.maxCount - 1)]")
                }
                ids.append(value)
            }
            var values: [Float] = []
            for (index, field) in fields.dropFirst(integers).enumerated() {
                guard let value = Float(field.trimmingCharacters(in: .whitespaces)) else {
                    throw TraceError.invalidField(file: file, at: .row(row), field: "field \(integers + index + 1)",
                                                  value: InputExcerpt.quoted(field), allowed: "a number")
                }
                guard value.isFinite else {
                    throw TraceError.nonFinite(file: file, at: .row(row), what: "field \(integers + index + 1)", value: "\(value)")
                }
                values.append(value)
            }
            return (row, ids, values)
        }

        /// The header: declared counts where given, else derived from the rows.
        func header(declared: [String: Int], scoreType: TraceHeader.ScoreType,
                    rows: [(line: Int, ids: [Int], values: [Float])], file: String) throws -> TraceHeader {
            func derived(_ key: String, _ column: Int) -> Int {
                declared[key] ?? ((rows.map { $0.ids[column] }.max() ?? 0) + 1)
            }
            let maxExpert = rows.flatMap { $0.ids.dropFirst(4) }.max() ?? 0
            let experts = payload == .scores ? scoreColumns : declared["experts"] ?? maxExpert + 1
            if payload == .scores, let value = declared["experts"], value != scoreColumns {
                throw TraceError.invalidField(file: file, at: .row(1), field: "experts", value: String(value),
                                              allowed: "\(scoreColumns), the number of score_ columns")
            }
            let tokens = derived("tokens_per_step", 2)
            let gpus = derived("gpus", 3)
            if deviceColumns > 0 && deviceColumns != gpus {
                throw TraceError.invalidField(file: file, at: .row(1), field: "gpus", value: String(gpus),
                                              allowed: "\(deviceColumns), the number of device_ columns")
            }
            guard tokens % gpus == 0 else {
                throw TraceError.invalidField(file: file, at: .file, field: "gpus", value: String(gpus),
                                              allowed: "a divisor of tokens_per_step = \(tokens)")
            }
            guard k <= experts else {
                throw TraceError.invalidField(file: file, at: .row(1), field: "k", value: String(k),
                                              allowed: "at most experts = \(experts)")
            }
            let chunk = declared["chunk_tokens"].map { min($0, tokens) }
            return TraceHeader(payload: payload, scoreType: scoreType, hasDeviceLogits: deviceColumns > 0, experts: experts,
                               layers: derived("layers", 1), tokensPerStep: tokens, steps: derived("steps", 0), gpus: gpus,
                               k: k, chunkTokens: chunk)
        }

        /// Stores one row's values into its batch.
        func store(_ values: [Float], ids: [Int], token: Int, header: TraceHeader, into batch: inout TraceBatch,
                   file: String, row: Int) throws {
            switch payload {
            case .scores:
                // An f16 trace holds f16 values: round as the binary form would store them.
                let stored: (Float) -> Float = header.scoreType == .f16 ? { Float(Float16($0)) } : { $0 }
                for e in 0..<scoreColumns { batch.scores[token * scoreColumns + e] = stored(values[e]) }
                for d in 0..<deviceColumns { batch.deviceLogits[token * deviceColumns + d] = stored(values[scoreColumns + d]) }
            case .choices:
                for (slot, id) in ids.enumerated() {
                    guard id < header.experts else {
                        throw TraceError.expertOutOfRange(file: file, at: .row(row), token: "expert_\(slot)", expert: id,
                                                          experts: header.experts)
                    }
                    guard !ids[..<slot].contains(id) else {
                        throw TraceError.invalidField(file: file, at: .row(row), field: "expert_\(slot)", value: String(id),
                                                      allowed: "different from the token's other experts")
                    }
                    batch.experts[token * k + slot] = Int32(id)
                    batch.weights[token * k + slot] = values[slot]
                }
            }
        }
    }
}
