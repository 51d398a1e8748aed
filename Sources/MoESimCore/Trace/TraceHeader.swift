/// The shape and kind of a token-to-expert trace: what the 64-byte header of a `.moetrace`
/// file holds (docs/trace-format.md has the byte layout).
///
/// A trace is `steps × layers` batches in that order (step-major); a batch is the
/// `tokensPerStep` tokens one MoE layer routes in one step, in source-GPU order: token t comes
/// from GPU `t / tokensPerGPU`. Each token carries either router scores (one logit per expert,
/// optionally one logit per device for SAM) or recorded choices (k expert ids and k weights).
public struct TraceHeader: Equatable, Sendable {
    /// What each token carries.
    public enum Payload: UInt8, Sendable {
        /// One router logit per expert (and optionally one per device).
        case scores = 1
        /// k recorded expert ids and their gate weights, replayed as recorded.
        case choices = 2
    }

    /// How a score is stored.
    public enum ScoreType: UInt8, CaseIterable, Sendable {
        /// IEEE 754 binary32, little-endian.
        case f32 = 1
        /// IEEE 754 binary16, little-endian (read as f32).
        case f16 = 2

        /// Bytes per stored value.
        public var byteCount: Int { self == .f32 ? 4 : 2 }
        /// The name used in CSV headers and on the command line.
        public var name: String { self == .f32 ? "f32" : "f16" }
    }

    /// The 8 bytes every `.moetrace` file starts with.
    public static let magic: [UInt8] = Array("MOETRACE".utf8)
    /// The format version this build writes and reads.
    public static let currentVersion = 1
    /// Size of the file header, bytes.
    public static let byteCount = 64
    /// Size of a chunk header, bytes.
    public static let chunkHeaderByteCount = 24
    /// The 4 bytes every chunk starts with.
    public static let chunkMagic: [UInt8] = Array("CHNK".utf8)
    /// Largest value of any count field (experts, layers, tokens, steps, GPUs): fits every product in Int.
    public static let maxCount = 1 << 30
    /// Most experts per layer (as a scenario's `model.experts`).
    public static let maxExperts = 65_536
    /// Most MoE layers (as a scenario's `model.moeLayers`).
    public static let maxLayers = 1_024
    /// Most source GPUs (as a scenario's cluster).
    public static let maxGPUs = 8_192
    /// Largest array of one batch in memory, bytes: its f32 scores, its f32 device logits or its
    /// expert ids (as a scenario's batch of scores). Checked before anything is allocated.
    public static let maxBatchArrayBytes = 1 << 31
    /// Largest k of a choices trace.
    public static let maxK = 1_024
    /// Chunk payloads aim at this many bytes (a chunk never spans two batches).
    public static let targetChunkBytes = 1 << 20

    /// Scores or recorded choices.
    public var payload: Payload
    /// Storage type of scores and device logits (f32 for a choices trace, which stores f32 weights).
    public var scoreType: ScoreType
    /// Whether each token of a scores trace also carries one logit per device (GPU), for SAM.
    public var hasDeviceLogits: Bool
    /// Experts per MoE layer E.
    public var experts: Int
    /// MoE layers L.
    public var layers: Int
    /// Tokens of one batch, all GPUs together, T.
    public var tokensPerStep: Int
    /// Steps S.
    public var steps: Int
    /// GPUs the tokens come from, G (divides T).
    public var gpus: Int
    /// Experts per token of a choices trace (0 for scores).
    public var k: Int
    /// Tokens of every chunk but the last of a batch (which holds the rest).
    public var chunkTokens: Int

    /// A header; `chunkTokens` nil picks the default (payloads of about 1 MiB).
    public init(payload: Payload, scoreType: ScoreType = .f32, hasDeviceLogits: Bool = false, experts: Int, layers: Int,
                tokensPerStep: Int, steps: Int, gpus: Int, k: Int = 0, chunkTokens: Int? = nil) {
        self.payload = payload
        self.scoreType = payload == .scores ? scoreType : .f32
        self.hasDeviceLogits = payload == .scores && hasDeviceLogits
        self.experts = experts
        self.layers = layers
        self.tokensPerStep = tokensPerStep
        self.steps = steps
        self.gpus = gpus
        self.k = payload == .choices ? k : 0
        self.chunkTokens = 1
        let perToken = max(1, payloadBytesPerToken)
        self.chunkTokens = chunkTokens ?? max(1, min(tokensPerStep, TraceHeader.targetChunkBytes / perToken))
    }

    /// Tokens each GPU contributes to a batch.
    public var tokensPerGPU: Int { tokensPerStep / max(gpus, 1) }

    /// Where each token of a batch comes from.
    public var tokenLayout: TokenLayout { TokenLayout(gpuCount: gpus, tokensPerGPU: tokensPerGPU) }

    /// Batches in the trace (steps × layers).
    public var batchCount: Int { steps * layers }
    /// Values stored per token: E scores (+ G device logits), or k ids + k weights.
    public var payloadBytesPerToken: Int {
        switch payload {
        case .scores: return (experts + (hasDeviceLogits ? gpus : 0)) * scoreType.byteCount
        case .choices: return k * 8
        }
    }
    /// Chunks of one batch: full chunks of `chunkTokens` tokens, the last one taking the rest.
    public var chunksPerBatch: Int { (tokensPerStep + chunkTokens - 1) / chunkTokens }
    /// Bytes of one batch in the file: its chunk headers and payloads.
    public var batchByteCount: Int { chunksPerBatch * TraceHeader.chunkHeaderByteCount + tokensPerStep * payloadBytesPerToken }
    /// Bytes of the whole file: header, chunk headers and payloads (`Int.max` if that does not fit in an Int,
    /// which no file reaches).
    public var fileByteCount: Int {
        let (batches, overflow) = batchCount.multipliedReportingOverflow(by: batchByteCount)
        return overflow || batches > Int.max - TraceHeader.byteCount ? Int.max : TraceHeader.byteCount + batches
    }

    /// The chunk that byte `offset` of a file of this shape falls in (64 ≤ offset < `fileByteCount`):
    /// where it starts, its (step, layer, first token), its token count and whether `offset` is in its header.
    /// - Complexity: O(1).
    func chunk(containing offset: Int) -> (start: Int, step: Int, layer: Int, firstToken: Int, tokens: Int, inHeader: Bool) {
        let fullChunkBytes = TraceHeader.chunkHeaderByteCount + chunkTokens * payloadBytesPerToken
        let batch = (offset - TraceHeader.byteCount) / batchByteCount
        let index = (offset - TraceHeader.byteCount) % batchByteCount / fullChunkBytes
        let start = TraceHeader.byteCount + batch * batchByteCount + index * fullChunkBytes
        let firstToken = index * chunkTokens
        return (start, batch / layers, batch % layers, firstToken, min(chunkTokens, tokensPerStep - firstToken),
                offset - start < TraceHeader.chunkHeaderByteCount)
    }

    /// The first count of this header beyond what moesim reads, as (header byte offset, field, value,
    /// what is allowed); nil when every count is within the limits a scenario has. A reader checks this
    /// before it allocates anything from the header; a writer before it writes.
    /// - Complexity: O(1).
    func limitViolation() -> (offset: Int, field: String, value: Int, allowed: String)? {
        let counts: [(Int, String, Int, Int)] = [(16, "experts", experts, TraceHeader.maxExperts),
                                                 (20, "layers", layers, TraceHeader.maxLayers),
                                                 (32, "GPUs", gpus, TraceHeader.maxGPUs)]
        for (offset, field, value, limit) in counts where value > limit {
            return (offset, field, value, "at most \(limit) (what a scenario accepts)")
        }
        let arrays: [(String, Int)] = payload == .scores
            ? [("scores", experts)] + (hasDeviceLogits ? [("device logits", gpus)] : [])
            : [("expert ids", k)]
        let limit = TraceHeader.maxBatchArrayBytes
        for (what, width) in arrays where tokensPerStep * width * 4 > limit {
            return (24, "tokens per step", tokensPerStep, "at most \(limit / (width * 4)) for \(width) \(what) per token: "
                + "a batch's \(what) take 4 bytes each and at most \(limit >> 30) GiB in memory "
                + "(\(tokensPerStep) × \(width) × 4 bytes = \(tokensPerStep * width * 4))")
        }
        return nil
    }

    /// Throws when a count is beyond the limits `limitViolation` checks, naming `file`.
    /// - Throws: `TraceError.invalidField`.
    public func checkLimits(file: String) throws {
        if let (_, field, value, allowed) = limitViolation() {
            throw TraceError.invalidField(file: file, at: .file, field: field, value: String(value), allowed: allowed)
        }
    }

    /// The 64 header bytes, CRC included.
    public func encoded() -> [UInt8] {
        var bytes = TraceHeader.magic
        bytes.appendLittleEndian(UInt16(TraceHeader.currentVersion))
        bytes.appendLittleEndian(UInt16(TraceHeader.byteCount))
        bytes += [payload.rawValue, scoreType.rawValue, hasDeviceLogits ? 1 : 0, 0]
        for field in [experts, layers, tokensPerStep, steps, gpus, k, chunkTokens] { bytes.appendLittleEndian(UInt32(field)) }
        bytes += [UInt8](repeating: 0, count: 60 - bytes.count)
        bytes.appendLittleEndian(CRC32.checksum(bytes))
        return bytes
    }

    /// Parses and checks the 64 header bytes of `file`.
    /// - Throws: `TraceError` naming the byte offset of the first bad field.
    /// - Complexity: O(1).
    public static func decode(_ bytes: [UInt8], file: String) throws -> TraceHeader {
        guard bytes.count >= 8, Array(bytes[0..<8]) == magic else {
            throw TraceError.badMagic(file: file, at: .byte(0), seen: quoted(bytes.prefix(8)),
                                      expected: "the magic \"MOETRACE\" of a .moetrace file")
        }
        guard bytes.count >= byteCount else {
            throw TraceError.truncated(file: file, at: .byte(0), what: "header", neededBytes: byteCount,
                                       availableBytes: bytes.count)
        }
        let version = Int(bytes.loadLittleEndian(UInt16.self, at: 8))
        guard version == currentVersion else {
            throw TraceError.unsupportedVersion(file: file, at: .byte(8), version: version, supported: "version \(currentVersion)")
        }
        let stored = bytes.loadLittleEndian(UInt32.self, at: 60)
        let computed = CRC32.checksum(bytes[0..<60])
        guard stored == computed else {
            throw TraceError.checksumMismatch(file: file, at: .byte(60), what: "the header (bytes 0-59)",
                                              stored: stored, computed: computed)
        }
        func field(_ name: String, at offset: Int, in range: ClosedRange<Int>) throws -> Int {
            let value = Int(bytes.loadLittleEndian(UInt32.self, at: offset))
            guard range.contains(value) else {
                throw TraceError.invalidField(file: file, at: .byte(offset), field: name, value: String(value),
                                              allowed: "in [\(range.lowerBound), \(range.upperBound)]")
            }
            return value
        }
        let headerSize = Int(bytes.loadLittleEndian(UInt16.self, at: 10))
        guard headerSize == byteCount else {
            throw TraceError.invalidField(file: file, at: .byte(10), field: "header size", value: String(headerSize),
                                          allowed: "\(byteCount) in format version \(currentVersion)")
        }
        guard let payload = Payload(rawValue: bytes[12]) else {
            throw TraceError.invalidField(file: file, at: .byte(12), field: "payload kind", value: String(bytes[12]),
                                          allowed: "1 (scores) or 2 (choices)")
        }
        guard let scoreType = ScoreType(rawValue: bytes[13]), payload == .scores || scoreType == .f32 else {
            throw TraceError.invalidField(file: file, at: .byte(13), field: "score type", value: String(bytes[13]),
                                          allowed: payload == .scores ? "1 (f32) or 2 (f16)" : "1 (f32) for a choices trace")
        }
        for offset in [15] + Array(44..<60) where bytes[offset] != 0 {
            throw TraceError.invalidField(file: file, at: .byte(offset), field: "reserved byte", value: String(bytes[offset]),
                                          allowed: "0 (bytes 15 and 44-59 are reserved in format version \(currentVersion))")
        }
        guard bytes[14] <= (payload == .scores ? 1 : 0) else {
            throw TraceError.invalidField(file: file, at: .byte(14), field: "flags", value: String(bytes[14]),
                                          allowed: payload == .scores ? "0, or 1 (device logits present)" : "0 for a choices trace")
        }
        let experts = try field("experts", at: 16, in: 1...maxCount)
        let layers = try field("layers", at: 20, in: 1...maxCount)
        let tokens = try field("tokens per step", at: 24, in: 1...maxCount)
        let steps = try field("steps", at: 28, in: 1...maxCount)
        let gpus = try field("GPUs", at: 32, in: 1...tokens)
        guard tokens % gpus == 0 else {
            throw TraceError.invalidField(file: file, at: .byte(32), field: "GPUs", value: String(gpus),
                                          allowed: "a divisor of tokens per step (\(tokens)), each GPU sending as many tokens")
        }
        let k = payload == .choices ? try field("k", at: 36, in: 1...min(maxK, experts)) : try field("k", at: 36, in: 0...0)
        let chunkTokens = try field("chunk tokens", at: 40, in: 1...tokens)
        let header = TraceHeader(payload: payload, scoreType: scoreType, hasDeviceLogits: bytes[14] == 1, experts: experts,
                                 layers: layers, tokensPerStep: tokens, steps: steps, gpus: gpus, k: k, chunkTokens: chunkTokens)
        if let (offset, field, value, allowed) = header.limitViolation() {
            throw TraceError.invalidField(file: file, at: .byte(offset), field: field, value: String(value), allowed: allowed)
        }
        guard header.payloadBytesPerToken * chunkTokens <= Int(UInt32.max) else {
            throw TraceError.invalidField(file: file, at: .byte(40), field: "chunk tokens", value: String(chunkTokens),
                                          allowed: "small enough that a chunk holds at most 4 GiB "
                                              + "(\(header.payloadBytesPerToken) bytes per token)")
        }
        return header
    }

    /// Printable form of bytes that should have been a magic string.
    static func quoted<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let text = bytes.map { (32..<127).contains($0) ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }
        return "\"" + text.joined() + "\""
    }
}

extension Array where Element == UInt8 {
    /// Appends `value` as little-endian bytes.
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    /// The little-endian `T` at `offset`.
    func loadLittleEndian<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }
}
