import Foundation

/// Streams a binary `.moetrace` file batch by batch, checking every chunk's CRC-32, position
/// and values as it goes. Memory is one chunk buffer plus the caller's batch, whatever the
/// file size; nothing is allocated per chunk.
public final class TraceReader {
    /// The file's header (checked when the reader was opened).
    public let header: TraceHeader
    /// The path, as given.
    public var file: String { input.path }
    /// Batches returned so far.
    public private(set) var batchesRead = 0
    /// Bytes of the file consumed so far.
    public var bytesRead: Int { input.position }

    private let input: InputFile
    private let chunk: UnsafeMutableRawBufferPointer

    /// Opens `file`, checks its header, and checks that the file is exactly as long as the header's
    /// shape makes it (chunks of `chunkTokens` tokens, the last of a batch taking the rest): a file cut
    /// short, with trailing bytes, an extra chunk or twice its content is rejected here, before any
    /// batch is read or any buffer sized from the header is allocated. Every reader of a `.moetrace`
    /// (simulate, trace stats/convert, the scenario decoder) opens it through this one rule.
    /// - Throws: `TraceError` (missing file, wrong magic, unsupported version, bad header, wrong length).
    /// - Complexity: O(1); allocates one chunk buffer.
    public init(file: String) throws {
        input = try InputFile(path: file)
        header = try TraceHeader.decode(try input.readBytes(TraceHeader.byteCount), file: file)
        try TraceReader.checkLength(of: input, against: header)
        // f32 scores are read straight into the batch, so their chunks need only the chunk header here.
        let buffered = header.payload == .scores && header.scoreType == .f32 ? 0 : header.chunkTokens * header.payloadBytesPerToken
        chunk = .allocate(byteCount: TraceHeader.chunkHeaderByteCount + buffered, alignment: 16)
    }

    /// Throws unless `input` is exactly `header.fileByteCount` bytes long: naming the chunk the file
    /// ends in when it is shorter, the bytes past the last chunk when it is longer.
    private static func checkLength(of input: InputFile, against header: TraceHeader) throws {
        let expected = header.fileByteCount
        if input.size < expected {
            let chunk = header.chunk(containing: input.size)
            let place = "step \(chunk.step), layer \(chunk.layer), token \(chunk.firstToken)"
            let payloadStart = chunk.start + TraceHeader.chunkHeaderByteCount
            throw TraceError.truncated(file: input.path, at: .byte(chunk.inHeader ? chunk.start : payloadStart),
                                       what: "\(chunk.inHeader ? "chunk header" : "chunk payload") (\(place)) of a trace whose "
                                           + "header declares \(expected) bytes",
                                       neededBytes: chunk.inHeader ? TraceHeader.chunkHeaderByteCount
                                           : chunk.tokens * header.payloadBytesPerToken,
                                       availableBytes: input.size - (chunk.inHeader ? chunk.start : payloadStart))
        }
        if input.size > expected {
            throw TraceError.invalidField(file: input.path, at: .byte(expected), field: "the end of the file",
                                          value: "\(input.size - expected) more bytes",
                                          allowed: "reached after the last chunk (step \(header.steps - 1), layer "
                                              + "\(header.layers - 1)) at byte \(expected), as the header's shape gives "
                                              + "(trailing bytes, an extra chunk or a second copy are errors)")
        }
    }

    deinit { chunk.deallocate() }

    /// Reads the next batch (step-major, then layer) into `batch`; returns false after the last
    /// one (the file's length was checked when it was opened).
    /// - Throws: `TraceError` at the first truncated or corrupt chunk, out-of-range id or non-finite value.
    /// - Complexity: O(batch bytes).
    public func nextBatch(into batch: inout TraceBatch) throws -> Bool {
        guard batchesRead < header.batchCount else { return false }
        batch.shape(for: header)
        let step = batchesRead / header.layers, layer = batchesRead % header.layers
        var token = 0
        while token < header.tokensPerStep {
            token += try readChunk(step: step, layer: layer, firstToken: token, into: &batch)
        }
        batchesRead += 1
        return true
    }

    /// Reads, checks and decodes the chunk that must start at token `firstToken` of batch (step, layer).
    /// Returns its token count.
    private func readChunk(step: Int, layer: Int, firstToken: Int, into batch: inout TraceBatch) throws -> Int {
        let start = input.position
        let headerBytes = TraceHeader.chunkHeaderByteCount
        let place = "step \(step), layer \(layer), token \(firstToken)"
        try input.readExactly(into: chunk.baseAddress!, count: headerBytes, what: "chunk header (\(place))")
        func word(_ index: Int) -> Int { Int(UInt32(littleEndian: chunk.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))) }
        guard chunk[0] == 0x43, chunk[1] == 0x48, chunk[2] == 0x4E, chunk[3] == 0x4B else {
            throw TraceError.badMagic(file: file, at: .byte(start), seen: TraceHeader.quoted(chunk[0..<4]),
                                      expected: "the chunk magic \"CHNK\" (\(place))")
        }
        let expected = [step, layer, firstToken]
        for (index, name) in ["chunk step", "chunk layer", "chunk first token"].enumerated() where word(index + 1) != expected[index] {
            throw TraceError.invalidField(file: file, at: .byte(start + 4 * (index + 1)), field: name, value: String(word(index + 1)),
                                          allowed: "\(expected[index]): chunks follow one another in (step, layer, token) order")
        }
        let tokens = word(4)
        let expectedTokens = min(header.chunkTokens, header.tokensPerStep - firstToken)
        guard tokens == expectedTokens else {
            throw TraceError.invalidField(file: file, at: .byte(start + 16), field: "chunk token count", value: String(tokens),
                                          allowed: "\(expectedTokens): every chunk of a batch holds chunk tokens "
                                              + "(\(header.chunkTokens)) tokens but the last, which holds the rest")
        }
        let payloadBytes = tokens * header.payloadBytesPerToken
        let decoder = ChunkDecoder(file: file, header: header, payloadOffset: start + headerBytes, step: step, layer: layer,
                                   firstToken: firstToken, tokens: tokens)
        var crc = CRC32()
        crc.update(UnsafeRawBufferPointer(rebasing: chunk[0..<20]))
        let stored = UInt32(word(5))
        func checkCRC() throws {
            guard crc.value == stored else {
                throw TraceError.checksumMismatch(file: file, at: .byte(start + 20), what: "the chunk at byte \(start) (\(place), "
                    + "\(tokens) tokens)", stored: stored, computed: crc.value)
            }
        }
        if header.payload == .scores && header.scoreType == .f32 {
            // f32 scores are read straight into the batch: one pass fewer over the bytes.
            try readDirect(into: &batch.scores, width: header.experts, firstToken: firstToken, tokens: tokens, crc: &crc, place: place)
            if header.hasDeviceLogits {
                try readDirect(into: &batch.deviceLogits, width: header.gpus, firstToken: firstToken, tokens: tokens,
                               crc: &crc, place: place)
            }
            try checkCRC()
            try decoder.checkFinite(batch)
            return tokens
        }
        let payload = UnsafeMutableRawBufferPointer(rebasing: chunk[headerBytes..<headerBytes + payloadBytes])
        try input.readExactly(into: payload.baseAddress!, count: payloadBytes, what: "chunk payload (\(place))")
        crc.update(UnsafeRawBufferPointer(payload))
        try checkCRC()
        try decoder.decode(UnsafeRawBufferPointer(payload), into: &batch)
        return tokens
    }

    /// Reads `tokens` rows of `width` little-endian f32 values straight into `values` at row `firstToken`.
    private func readDirect(into values: inout [Float], width: Int, firstToken: Int, tokens: Int, crc: inout CRC32,
                            place: String) throws {
        let count = tokens * width * 4
        try values.withUnsafeMutableBytes { out in
            let region = UnsafeMutableRawBufferPointer(rebasing: out[(firstToken * width * 4)..<(firstToken * width * 4 + count)])
            try input.readExactly(into: region.baseAddress!, count: count, what: "chunk payload (\(place))")
            crc.update(UnsafeRawBufferPointer(region))
            #if _endian(big)
            for i in 0..<tokens * width {
                region.storeBytes(of: UInt32(littleEndian: region.load(fromByteOffset: i * 4, as: UInt32.self)),
                                  toByteOffset: i * 4, as: UInt32.self)
            }
            #endif
        }
    }
}

/// Decodes one checked chunk payload into a batch, rejecting non-finite values and bad ids.
struct ChunkDecoder {
    let file: String
    let header: TraceHeader
    /// File offset of the payload's first byte (for messages).
    let payloadOffset: Int
    let step: Int, layer: Int, firstToken: Int, tokens: Int

    /// Checks that the f32 scores (and device logits) this chunk put into `batch` are finite.
    func checkFinite(_ batch: TraceBatch) throws {
        let scoreBytes = tokens * header.experts * 4
        try checkFinite(batch.scores, width: header.experts, offsetBase: payloadOffset, what: "score")
        if header.hasDeviceLogits {
            try checkFinite(batch.deviceLogits, width: header.gpus, offsetBase: payloadOffset + scoreBytes, what: "device logit")
        }
    }

    private func checkFinite(_ values: [Float], width: Int, offsetBase: Int, what: String) throws {
        let bad = values.withUnsafeBytes {
            FiniteCheck.firstNonFiniteF32($0.baseAddress! + firstToken * width * 4, count: tokens * width)
        }
        if let bad {
            throw nonFinite(values[firstToken * width + bad], index: bad, width: width, offset: offsetBase + bad * 4, what: what)
        }
    }

    /// Decodes the checked `payload` of this chunk into `batch`.
    func decode(_ payload: UnsafeRawBufferPointer, into batch: inout TraceBatch) throws {
        switch header.payload {
        case .scores:
            let scoreBytes = tokens * header.experts * header.scoreType.byteCount
            try decodeValues(payload, from: 0, count: tokens * header.experts, width: header.experts, into: &batch.scores,
                             what: "score")
            if header.hasDeviceLogits {
                try decodeValues(payload, from: scoreBytes, count: tokens * header.gpus, width: header.gpus,
                                 into: &batch.deviceLogits, what: "device logit")
            }
        case .choices:
            let k = header.k
            try batch.experts.withUnsafeMutableBufferPointer { experts in
                for slot in 0..<tokens * k {
                    let id = UInt32(littleEndian: payload.loadUnaligned(fromByteOffset: slot * 4, as: UInt32.self))
                    let token = firstToken + slot / k
                    guard id < UInt32(header.experts) else {
                        throw TraceError.expertOutOfRange(file: file, at: .byte(payloadOffset + slot * 4),
                                                          token: describe(token: token), expert: Int(id), experts: header.experts)
                    }
                    for earlier in (slot - slot % k)..<slot where experts[firstToken * k + earlier] == Int32(id) {
                        throw TraceError.invalidField(file: file, at: .byte(payloadOffset + slot * 4),
                                                      field: "expert id of \(describe(token: token))", value: String(id),
                                                      allowed: "different from the token's other recorded experts")
                    }
                    experts[firstToken * k + slot] = Int32(id)
                }
            }
            let weights = UnsafeRawBufferPointer(rebasing: payload[(tokens * k * 4)...])
            try copyF32(weights, count: tokens * k, width: k, into: &batch.weights, offsetBase: payloadOffset + tokens * k * 4,
                        what: "weight")
        }
    }

    /// Decodes `count` stored values (rows of `width`) starting at payload byte `from` into `target` at row `firstToken`.
    private func decodeValues(_ payload: UnsafeRawBufferPointer, from byteOffset: Int, count: Int, width: Int, into target: inout [Float], what: String) throws {
        let source = UnsafeRawBufferPointer(rebasing: payload[byteOffset...])
        switch header.scoreType {
        case .f32:
            try copyF32(source, count: count, width: width, into: &target, offsetBase: payloadOffset + byteOffset, what: what)
        case .f16:
            try target.withUnsafeMutableBufferPointer { out in
                let base = firstToken * width
                for i in 0..<count {
                    let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
                    if bits & 0x7C00 == 0x7C00 {
                        throw nonFinite(Float(Float16(bitPattern: bits)), index: i, width: width,
                                        offset: payloadOffset + byteOffset + i * 2, what: what)
                    }
                    out[base + i] = Float(Float16(bitPattern: bits))
                }
            }
        }
    }

    /// Copies `count` little-endian f32 values into `target` at row `firstToken`, after checking they are finite.
    private func copyF32(_ source: UnsafeRawBufferPointer, count: Int, width: Int, into target: inout [Float],
                         offsetBase: Int, what: String) throws {
        if let bad = FiniteCheck.firstNonFiniteF32(source.baseAddress!, count: count) {
            let bits = UInt32(littleEndian: source.loadUnaligned(fromByteOffset: bad * 4, as: UInt32.self))
            throw nonFinite(Float(bitPattern: bits), index: bad, width: width, offset: offsetBase + bad * 4, what: what)
        }
        target.withUnsafeMutableBytes { out in
            let destination = out.baseAddress! + firstToken * width * 4
            #if _endian(little)
            destination.copyMemory(from: source.baseAddress!, byteCount: count * 4)
            #else
            for i in 0..<count {
                destination.storeBytes(of: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)),
                                       toByteOffset: i * 4, as: UInt32.self)
            }
            #endif
        }
    }

    private func nonFinite(_ value: Float, index: Int, width: Int, offset: Int, what: String) -> TraceError {
        .nonFinite(file: file, at: .byte(offset), what: "\(what) \(index % width) of \(describe(token: firstToken + index / width))",
                   value: "\(value)")
    }

    private func describe(token: Int) -> String { "step \(step), layer \(layer), token \(token)" }
}

/// Finds NaN and infinite values fast (sixteen lanes at a time).
enum FiniteCheck {
    /// Index of the first non-finite little-endian f32 among `count` values at `pointer`, or nil.
    /// - Complexity: O(count).
    static func firstNonFiniteF32(_ pointer: UnsafeRawPointer, count: Int) -> Int? {
        let exponent: UInt32 = 0x7F80_0000
        let mask = SIMD16<UInt32>(repeating: exponent)
        var i = 0
        while i + 16 <= count {
            let bits = pointer.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<UInt32>.self) & mask
            if any(bits .== mask) { break }
            i += 16
        }
        while i < count {
            if UInt32(littleEndian: pointer.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)) & exponent == exponent {
                return i
            }
            i += 1
        }
        return nil
    }
}
