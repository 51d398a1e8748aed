import Foundation

/// Writes a binary `.moetrace` file batch by batch, in chunks of `header.chunkTokens` tokens
/// (a batch's last chunk takes the rest), each with its CRC-32. The bytes go to a temporary file beside the target, renamed
/// over it by `finish()`; a writer dropped before that removes its temporary file, so a failed
/// run never leaves a partial trace behind. A device or FIFO target is written through instead
/// (`AtomicFile.Destination`).
public final class TraceWriter {
    /// The header written.
    public let header: TraceHeader
    /// The target path.
    public let path: String
    /// Batches appended so far.
    public private(set) var batchesWritten = 0
    /// Bytes written so far.
    public private(set) var bytesWritten = 0

    /// The file renamed over (`path` with symbolic links followed), or the device written through.
    private let target: String
    /// The file written before the rename; nil when writing through to a device or FIFO.
    private let temporary: String?
    private let descriptor: Int32
    private var chunk: [UInt8]
    private var finished = false
    /// Tokens of the current batch written by `append(part:tokens:)`.
    private var tokensInBatch = 0

    /// Creates the temporary file and writes the header.
    /// - Throws: `TraceError` when a count of `header` is beyond what a reader accepts (nothing is
    ///   created then), `AtomicFile.WriteError` when the file cannot be created.
    public init(path: String, header: TraceHeader) throws {
        self.path = path
        self.header = header
        try header.checkLimits(file: path)
        switch try AtomicFile.destination(of: path) {
        case .replace(let resolved):
            let beside = try AtomicFile.temporaryPath(creatingParentOf: resolved)
            target = resolved
            temporary = beside
            descriptor = open(beside, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        case .writeThrough(let device):
            target = device
            temporary = nil
            descriptor = open(device, O_WRONLY)
        }
        guard descriptor >= 0 else {
            if let temporary { TemporaryFiles.unregister(temporary) }
            throw AtomicFile.cannotCreate(path)
        }
        chunk = [UInt8](repeating: 0, count: TraceHeader.chunkHeaderByteCount + header.chunkTokens * header.payloadBytesPerToken)
        do {
            try writeAll(header.encoded())
        } catch {
            abandon()
            throw error
        }
    }

    deinit { if !finished { abandon() } }

    /// Appends the next batch (step-major, then layer); `batch` must be shaped for `header`.
    /// - Throws: `AtomicFile.WriteError` (disk full, I/O error).
    /// - Complexity: O(batch bytes); no allocation.
    public func append(_ batch: TraceBatch) throws {
        try append(part: batch, tokens: header.tokensPerStep)
    }

    /// Appends the next `tokens` tokens of the current batch, held from token 0 of `part`'s buffers,
    /// so that a batch of any size is written from a bounded buffer. `tokens` is a multiple of
    /// `header.chunkTokens` unless it completes the batch; the batch counts as written once complete.
    /// - Throws: `AtomicFile.WriteError` (disk full, I/O error).
    /// - Complexity: O(tokens); no allocation.
    public func append(part: TraceBatch, tokens: Int) throws {
        precondition(batchesWritten < header.batchCount, "more batches than the header declares")
        precondition(tokensInBatch + tokens == header.tokensPerStep || tokens % header.chunkTokens == 0,
                     "a part ends on a chunk boundary unless it completes its batch")
        let step = batchesWritten / header.layers, layer = batchesWritten % header.layers
        var first = 0
        while first < tokens {
            let count = min(header.chunkTokens, tokens - first)
            let bytes = encodeChunk(part, partToken: first, step: step, layer: layer, firstToken: tokensInBatch + first, tokens: count)
            try chunk.withUnsafeBytes { try writeAll(UnsafeRawBufferPointer(rebasing: $0[0..<bytes])) }
            first += count
        }
        tokensInBatch += tokens
        if tokensInBatch == header.tokensPerStep {
            tokensInBatch = 0
            batchesWritten += 1
        }
    }

    /// Renames the complete file over the target.
    /// - Throws: `AtomicFile.WriteError`; the target is then unchanged.
    public func finish() throws {
        precondition(batchesWritten == header.batchCount, "\(batchesWritten) of \(header.batchCount) batches written")
        finished = true
        defer { if let temporary { TemporaryFiles.unregister(temporary) } }
        guard close(descriptor) == 0, temporary.map({ rename($0, target) == 0 }) ?? true else {
            let reason = String(cString: strerror(errno))
            if let temporary { unlink(temporary) }
            throw AtomicFile.WriteError(path: path, reason: reason)
        }
    }

    /// Encodes one chunk (tokens `firstToken…` of its batch, read from token `partToken` of `batch`)
    /// into `chunk`; returns its byte count.
    private func encodeChunk(_ batch: TraceBatch, partToken: Int, step: Int, layer: Int, firstToken: Int, tokens: Int) -> Int {
        let headerBytes = TraceHeader.chunkHeaderByteCount
        let total = headerBytes + tokens * header.payloadBytesPerToken
        chunk.withUnsafeMutableBytes { out in
            for (index, byte) in TraceHeader.chunkMagic.enumerated() { out[index] = byte }
            for (index, value) in [step, layer, firstToken, tokens].enumerated() {
                out.storeBytes(of: UInt32(value).littleEndian, toByteOffset: 4 + index * 4, as: UInt32.self)
            }
            var offset = headerBytes
            func put(_ values: [Float], width: Int, as type: TraceHeader.ScoreType) {
                values.withUnsafeBufferPointer { source in
                    let range = partToken * width..<(partToken + tokens) * width
                    if type == .f32 && Int(littleEndian: 1) == 1 {   // the bytes as they are in memory
                        (out.baseAddress! + offset).copyMemory(from: source.baseAddress! + range.lowerBound, byteCount: 4 * range.count)
                        offset += 4 * range.count
                        return
                    }
                    for i in range {
                        if type == .f32 {
                            out.storeBytes(of: source[i].bitPattern.littleEndian, toByteOffset: offset, as: UInt32.self)
                        } else {
                            out.storeBytes(of: Float16(source[i]).bitPattern.littleEndian, toByteOffset: offset, as: UInt16.self)
                        }
                        offset += type.byteCount
                    }
                }
            }
            switch header.payload {
            case .scores:
                put(batch.scores, width: header.experts, as: header.scoreType)
                if header.hasDeviceLogits { put(batch.deviceLogits, width: header.gpus, as: header.scoreType) }
            case .choices:
                for i in partToken * header.k..<(partToken + tokens) * header.k {
                    out.storeBytes(of: UInt32(bitPattern: batch.experts[i]).littleEndian, toByteOffset: offset, as: UInt32.self)
                    offset += 4
                }
                put(batch.weights, width: header.k, as: .f32)
            }
            var crc = CRC32()
            crc.update(UnsafeRawBufferPointer(rebasing: out[0..<20]))
            crc.update(UnsafeRawBufferPointer(rebasing: out[headerBytes..<total]))
            out.storeBytes(of: crc.value.littleEndian, toByteOffset: 20, as: UInt32.self)
        }
        return total
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try writeAll($0) }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = write(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw AtomicFile.WriteError(path: path, reason: String(cString: strerror(errno)))
            }
            done += n
        }
        bytesWritten += done
    }

    private func abandon() {
        finished = true
        close(descriptor)
        if let temporary {
            unlink(temporary)
            TemporaryFiles.unregister(temporary)
        }
    }
}
