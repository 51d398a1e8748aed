/// Writes the trace of a JSON-lines log from the records `JSONLCensus` spilled: for each step,
/// for each layer (ascending layer number), the step's first `keptTokens` complete tokens by token
/// position, then `--pad`'s padding. A batch is gathered in windows of about `partBytes` (8 MiB)
/// of tokens: each window reads the layer's records of the step from the first one not yet placed,
/// so a log in token order is read once and memory stays bounded whatever the batch's size.
struct JSONLStepAssembler {
    /// The header of the trace being written.
    let header: TraceHeader
    /// Tokens of a step taken from the log, and padded tokens after them (`--pad`).
    let keptTokens: Int, paddingTokens: Int
    private let census: JSONLCensus
    private let writer: TraceWriter
    /// Bytes of tokens gathered at once (whole chunks, at least one).
    private let windowBytes: Int

    /// Opens the output for the log `census` describes.
    /// - Throws: `TraceError` when the tokens do not divide over the GPUs (without --drop-remainder
    ///   or --pad), `AtomicFile.WriteError`.
    init(census: JSONLCensus, path: String, output: String, options: TraceImporter.Options) throws {
        self.census = census
        windowBytes = options.partBytes
        (keptTokens, paddingTokens) = try TraceImporter.stepTokens(census.tokensPerStep, options: options, name: path, at: .file)
        let tokens = keptTokens + paddingTokens
        header = census.payload == .logits
            ? TraceHeader(payload: .scores, experts: census.experts, layers: census.layers.count, tokensPerStep: tokens,
                          steps: census.steps, gpus: options.gpus)
            : TraceHeader(payload: .choices, experts: census.experts, layers: census.layers.count, tokensPerStep: tokens,
                          steps: census.steps, gpus: options.gpus, k: census.width)
        writer = try TraceWriter(path: output, header: header)
    }

    /// Writes every batch and commits the trace.
    /// - Throws: `TraceError` when the spill file cannot be read, `AtomicFile.WriteError`.
    /// - Complexity: O(spilled bytes) for logs whose tokens come in position order (each layer's
    ///   records of a step read once per window otherwise); memory O(window + layers × 64 KiB).
    func write() throws {
        let spill = census.spill, width = census.width, recordBytes = census.recordBytes
        let bytesPerToken = 8 * width
        let windowTokens = keptTokens * bytesPerToken <= windowBytes ? keptTokens
            : max(1, windowBytes / bytesPerToken / header.chunkTokens) * header.chunkTokens
        var part = TraceBatch()
        let capacity = (min(windowTokens, keptTokens) + paddingTokens) * width
        switch header.payload {
        case .scores: part.scores = [Float](repeating: 0, count: capacity)
        case .choices:
            part.experts = [Int32](repeating: 0, count: capacity)
            part.weights = [Float](repeating: 0, count: capacity)
        }
        var readers = census.layerStreams.map { SpillFile.Reader($0, blockBytes: spill.blockBytes) }
        var stepReader = SpillFile.Reader(census.stepStream, blockBytes: spill.blockBytes)
        var words: [UInt64] = [], ranks: [Int] = []
        for step in 0..<census.steps {
            // The step's complete positions; rank(token) = complete positions before it.
            let count = Int(try stepReader.next(8, in: spill).loadUnaligned(as: Int64.self))
            words.removeAll(keepingCapacity: true)
            words.append(contentsOf: repeatElement(0, count: count))
            try words.withUnsafeMutableBytes { try stepReader.copy(into: $0.baseAddress!, count: count * 8, in: spill) }
            ranks.removeAll(keepingCapacity: true)
            var before = 0
            for word in words {
                ranks.append(before)
                before += word.nonzeroBitCount
            }
            for stream in census.streamOfLayer {
                var windowStart = 0, resume = readers[stream].position, stepEnd = resume
                repeat {
                    let windowEnd = min(keptTokens, windowStart + windowTokens)
                    var nextResume: Int?
                    readers[stream].seek(to: resume)
                    while !readers[stream].atEnd {
                        let at = readers[stream].position
                        let record = try readers[stream].next(recordBytes, in: spill)
                        guard record.loadUnaligned(as: UInt32.self) == UInt32(truncatingIfNeeded: step) else {
                            readers[stream].seek(to: at)
                            break
                        }
                        let token = Int(record.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
                        let word = token >> 6, bit = UInt64(1) << UInt64(token & 63)
                        guard word < words.count, words[word] & bit != 0 else { continue }
                        let rank = ranks[word] + (words[word] & (bit - 1)).nonzeroBitCount
                        if rank >= windowEnd {
                            if nextResume == nil && rank < keptTokens { nextResume = at }
                            continue
                        }
                        guard rank >= windowStart else { continue }
                        place(record + 8, at: rank - windowStart, width: width, into: &part)
                    }
                    stepEnd = readers[stream].position
                    let tokens = windowEnd - windowStart
                    if windowEnd == keptTokens {
                        TraceImporter.fillPadding(&part, tokens: tokens..<(tokens + paddingTokens), header: header)
                        try writer.append(part: part, tokens: tokens + paddingTokens)
                    } else {
                        try writer.append(part: part, tokens: tokens)
                    }
                    resume = nextResume ?? stepEnd
                    windowStart = windowEnd
                } while windowStart < keptTokens
                readers[stream].seek(to: stepEnd)
            }
        }
        try writer.finish()
    }

    /// Copies one spilled record's values (and weights) into token `t` of `part`.
    private func place(_ values: UnsafeRawPointer, at t: Int, width: Int, into part: inout TraceBatch) {
        switch header.payload {
        case .scores:
            part.scores.withUnsafeMutableBufferPointer { scores in
                for j in 0..<width { scores[t * width + j] = Float(bitPattern: values.loadUnaligned(fromByteOffset: 4 * j, as: UInt32.self)) }
            }
        case .choices:
            part.experts.withUnsafeMutableBufferPointer { experts in
                for j in 0..<width { experts[t * width + j] = Int32(bitPattern: values.loadUnaligned(fromByteOffset: 4 * j, as: UInt32.self)) }
            }
            part.weights.withUnsafeMutableBufferPointer { weights in
                for j in 0..<width {
                    weights[t * width + j] = Float(bitPattern: values.loadUnaligned(fromByteOffset: 4 * (width + j), as: UInt32.self))
                }
            }
        }
    }
}
