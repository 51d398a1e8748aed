/// Turns routing data recorded outside moesim into a binary trace: NumPy arrays (`.npy`, `.npz`
/// stored or compressed), safetensors tensors (`.safetensors`) and JSON-lines routing logs
/// (`.jsonl`). Arrays hold router scores (floats, last axis = experts) or expert ids (integers,
/// last axis = k, with optional float weights); logs hold one record per (layer, token).
/// Everything is streamed: memory does not grow with the input's size (for logs, it grows with
/// the largest step). The output is written atomically: on any error nothing is written.
public enum TraceImporter {
    /// What to import and how.
    public struct Options: Sendable {
        /// Source GPUs the tokens are spread over, in order.
        public var gpus = 1
        /// When the tokens of a step do not divide over `gpus`: drop the last tokens of every step
        /// (the summary says how many) instead of refusing the input.
        public var dropRemainder = false
        /// When they do not divide: pad every step with the fewest tokens that make them divide
        /// (`TraceImporter+Padding.swift` says what padded tokens hold). Exclusive with `dropRemainder`.
        public var pad = false
        /// Expert count of ids (default: largest id + 1); for scores it must equal the last axis.
        public var experts: Int?
        /// A `.npy` file of gate weights for a NumPy id array (default: each of the k weights is 1/k).
        public var weightsFile: String?

        /// safetensors: the tensor of scores or ids, or a pattern whose `*` stands for the layer
        /// number (`model.layers.*.mlp.gate`); default: recognised by name (docs/traces.md).
        public var tensor: String?
        /// safetensors: the tensor (or pattern) of gate weights for ids; default: recognised by name.
        public var weightsTensor: String?

        /// JSON-lines logs: field names, `--where` filters, strictness.
        public var log = JSONLRoutingLog.Options()

        /// Bytes per part of a batch read from an array, or gathered at once from a log's spilled
        /// records (rounded to whole trace chunks); tests make it small.
        var partBytes = 8 << 20

        /// Default options: one GPU, derived expert count, no weights file.
        public init() {}
    }

    /// What an import wrote.
    public struct Summary: Sendable {
        /// The header of the trace written.
        public let header: TraceHeader
        /// Facts the user should know, one sentence each (tokens dropped, lines skipped, …).
        public let notes: [String]
    }

    /// The file extensions `importFile` reads.
    public static let extensions = [".npy", ".npz", ".safetensors", ".jsonl"]

    /// Reads `input` (by extension: `.npy`, `.npz`, `.safetensors`, `.jsonl`) and writes the trace
    /// to `output` atomically. `progress` is called now and then with the bytes of routing data
    /// read so far and their total (for a log: of the file; for arrays: of the arrays' elements).
    /// - Throws: `TraceError` for malformed or unsupported input (nothing is written then),
    ///   `AtomicFile.WriteError` when the output cannot be written.
    /// - Complexity: O(input size); see each format for its memory.
    @discardableResult
    public static func importFile(from input: String, to output: String, options: Options,
                                  progress: @escaping (_ doneBytes: Int, _ totalBytes: Int) -> Void = { _, _ in }) throws -> Summary {
        if input.lowercased().hasSuffix(".jsonl") {
            let size = try InputFile(path: input).size
            return try JSONLRoutingLog.importLog(from: input, to: output, options: options, progress: { progress($0, size) })
        }
        if input.lowercased().hasSuffix(".safetensors") {
            return try importSafetensors(from: input, to: output, options: options, progress: progress)
        }
        return try importNumPy(from: input, to: output, options: options, progress: progress)
    }

    /// Of a step's `tokens` tokens over `options.gpus` GPUs: how many are kept, and how many padded
    /// tokens follow them (`--pad`); or an error naming `name`.
    static func stepTokens(_ tokens: Int, options: Options, name: String, at: TraceError.Location) throws -> (kept: Int, padding: Int) {
        let remainder = tokens % options.gpus
        if remainder > 0 && options.pad { return (tokens, options.gpus - remainder) }
        let kept = tokens - remainder
        guard kept == tokens || (options.dropRemainder && kept > 0) else {
            throw TraceError.invalidField(file: name, at: at, field: "tokens per step", value: String(tokens),
                                          allowed: "a multiple of the \(options.gpus) source GPUs (--gpus); "
                                              + (kept > 0 ? "add --drop-remainder to drop the last \(tokens - kept) of every step, or "
                                                          : "use fewer GPUs, or add ")
                                              + "--pad to pad every step to \(tokens - remainder + options.gpus) tokens")
        }
        return (kept, 0)
    }

    /// The note for tokens dropped by `--drop-remainder` or added by `--pad`, if any.
    static func remainderNote(tokens: Int, kept: Int, padding: Int, steps: Int, gpus: Int) -> [String] {
        if padding > 0 { return [paddingNote(tokens: tokens, padding: padding, steps: steps, gpus: gpus)] }
        guard kept < tokens else { return [] }
        return ["--drop-remainder: dropped the last \(tokens - kept) of \(tokens) tokens of each of \(steps) step(s) "
            + "(\((tokens - kept) * steps) in all) so that \(kept) divide over \(gpus) GPUs"]
    }

    /// Writes the trace of `open()`'s arrays (scores, or ids with optional weights) to `output`.
    /// `open` is called once more for a first pass when ids need their largest value.
    static func writeTrace(open: () throws -> (main: ArrayBatches, weights: ArrayBatches?), to output: String,
                           options: Options, progress: (_ doneBytes: Int, _ totalBytes: Int) -> Void) throws -> Summary {
        var (main, weights) = try open()
        let at = TraceError.Location.byte(main.byteOffset(0, 0))
        guard main.steps >= 1, main.layers >= 1, main.tokens >= 1, main.last >= 1 else {
            throw TraceError.invalidField(file: main.name, at: at, field: "shape", value: main.shapeText,
                                          allowed: "no empty axis")
        }
        let (kept, padding) = try stepTokens(main.tokens, options: options, name: main.name, at: at)
        let header: TraceHeader
        if main.type.isFloat {
            if let experts = options.experts, experts != main.last {
                throw TraceError.invalidField(file: main.name, at: at, field: "experts axis (last)", value: String(main.last),
                                              allowed: "\(experts), as --experts says")
            }
            guard main.last <= 65_536 else {
                throw TraceError.invalidField(file: main.name, at: at, field: "experts axis (last)", value: String(main.last),
                                              allowed: "at most 65536 experts")
            }
            header = TraceHeader(payload: .scores, scoreType: main.type == .f16 ? .f16 : .f32, experts: main.last,
                                 layers: main.layers, tokensPerStep: kept + padding, steps: main.steps, gpus: options.gpus)
        } else {
            if let weights {
                guard weights.type.isFloat, [weights.steps, weights.layers, weights.tokens, weights.last]
                        == [main.steps, main.layers, main.tokens, main.last] else {
                    throw TraceError.invalidField(file: weights.name, at: .byte(weights.byteOffset(0, 0)), field: "weights",
                                                  value: "\(weights.type.rawValue) \(weights.shapeText)",
                                                  allowed: "floats of the expert ids' shape \(main.shapeText)")
                }
            }
            let experts: Int
            if let given = options.experts {
                experts = given
            } else {
                experts = try largestID(main) + 1
                (main, weights) = try open()
            }
            guard main.last <= min(experts, TraceHeader.maxK) else {
                throw TraceError.invalidField(file: main.name, at: at, field: "k axis (last)", value: String(main.last),
                                              allowed: "at most the \(experts) experts (and \(TraceHeader.maxK))")
            }
            header = TraceHeader(payload: .choices, experts: experts, layers: main.layers, tokensPerStep: kept + padding,
                                 steps: main.steps, gpus: options.gpus, k: main.last)
        }
        let writer = try TraceWriter(path: output, header: header)
        // Batches are read and written in parts of about `partBytes` of input, whole chunks each
        // (the last part of a batch also holds its padding).
        let tokenBytes = main.last * main.type.byteCount
        let partTokens = max(1, options.partBytes / tokenBytes / header.chunkTokens) * header.chunkTokens
        var part = TraceBatch()
        switch header.payload {
        case .scores: part.scores = [Float](repeating: 0, count: (partTokens + padding) * main.last)
        case .choices:
            part.experts = [Int32](repeating: 0, count: (partTokens + padding) * main.last)
            part.weights = [Float](repeating: 1 / Float(main.last), count: (partTokens + padding) * main.last)
        }
        var raw = [UInt8](repeating: 0, count: partTokens * tokenBytes)
        var weightRaw = [UInt8](repeating: 0, count: weights.map { partTokens * $0.last * $0.type.byteCount } ?? 0)
        for index in 0..<main.batchCount {
            var first = 0
            while first < main.tokens {
                let count = min(partTokens, main.tokens - first)
                try raw.withUnsafeMutableBytes { try main.read(index, first, count, $0.baseAddress!) }
                if let weights { try weightRaw.withUnsafeMutableBytes { try weights.read(index, first, count, $0.baseAddress!) } }
                let keep = min(count, kept - first)   // tokens past `kept` are read (in order) but dropped
                if keep > 0 {
                    let elements = keep * main.last
                    switch header.payload {
                    case .scores:
                        try decodeFloats(raw, count: elements, of: main, batch: index, first: first, into: &part.scores, what: "score")
                    case .choices:
                        try decodeIDs(raw, count: elements, of: main, batch: index, first: first, experts: header.experts,
                                      into: &part.experts)
                        if let weights {
                            try decodeFloats(weightRaw, count: elements, of: weights, batch: index, first: first, into: &part.weights,
                                             what: "weight")
                        }
                    }
                    let padded = first + count == main.tokens ? padding : 0
                    if padded > 0 { fillPadding(&part, tokens: keep..<(keep + padded), header: header) }
                    try writer.append(part: part, tokens: keep + padded)
                }
                first += count
                progress((index * main.tokens + first) * tokenBytes, main.batchCount * main.tokens * tokenBytes)
            }
        }
        try main.finish()
        try weights?.finish()
        try writer.finish()
        return Summary(header: header, notes: remainderNote(tokens: main.tokens, kept: kept, padding: padding, steps: main.steps,
                                                                    gpus: options.gpus))
    }

    /// The largest expert id (a first pass, when --experts is not given).
    private static func largestID(_ array: ArrayBatches) throws -> Int {
        var largest = 0
        let partTokens = max(1, (8 << 20) / (array.last * array.type.byteCount))
        var raw = [UInt8](repeating: 0, count: partTokens * array.last * array.type.byteCount)
        for index in 0..<array.batchCount {
            var first = 0
            while first < array.tokens {
                let count = min(partTokens, array.tokens - first)
                try raw.withUnsafeMutableBytes { try array.read(index, first, count, $0.baseAddress!) }
                try raw.withUnsafeBytes { raw in
                    for i in 0..<count * array.last {
                        let id = array.type.integer(raw, at: i)
                        guard id >= 0, id < TraceHeader.maxExperts else {
                            let element = first * array.last + i
                            throw TraceError.expertOutOfRange(file: array.name, at: .byte(array.byteOffset(index, element)),
                                                              token: "element \(index * array.batchElements + element)", expert: id,
                                                              experts: TraceHeader.maxExperts)
                        }
                        largest = max(largest, id)
                    }
                }
                first += count
            }
        }
        try array.finish()
        return largest
    }

    /// Decodes `count` floats of a part starting at token `first` of batch `index`, refusing NaN and infinities.
    private static func decodeFloats(_ raw: [UInt8], count: Int, of array: ArrayBatches, batch index: Int, first: Int,
                                     into values: inout [Float], what: String) throws {
        if let (i, value) = raw.withUnsafeBytes({ array.type.decodeFloats($0, count: count, into: &values) }) {
            let element = first * array.last + i
            throw TraceError.nonFinite(file: array.name, at: .byte(array.byteOffset(index, element)),
                                       what: "\(what) at flat index \(index * array.batchElements + element)", value: value)
        }
    }

    /// Decodes `count` ids of a part starting at token `first` of batch `index`, checking each is
    /// below `experts` and differs from its token's other ids.
    private static func decodeIDs(_ raw: [UInt8], count: Int, of array: ArrayBatches, batch index: Int, first: Int, experts: Int,
                                  into ids: inout [Int32]) throws {
        let k = array.last
        try raw.withUnsafeBytes { raw in
            try ids.withUnsafeMutableBufferPointer { ids in
                for i in 0..<count {
                    let id = array.type.integer(raw, at: i)
                    let element = first * k + i
                    let at = TraceError.Location.byte(array.byteOffset(index, element))
                    guard id >= 0 && id < experts else {
                        throw TraceError.expertOutOfRange(file: array.name, at: at, token: "element \(index * array.batchElements + element)",
                                                          expert: id, experts: experts)
                    }
                    guard !ids[(i - i % k)..<i].contains(Int32(id)) else {
                        throw TraceError.invalidField(file: array.name, at: at,
                                                      field: "expert id at flat index \(index * array.batchElements + element)",
                                                      value: String(id), allowed: "different from the token's other experts")
                    }
                    ids[i] = Int32(id)
                }
            }
        }
    }
}
