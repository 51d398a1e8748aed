import Foundation

/// Byte streams parked in one temporary file so that an import holds none of them in memory: each
/// `Stream` is written append-only through a buffer of `blockBytes` (one block per full buffer,
/// wherever the file ends then) and read back from any position by a `Reader` with a buffer of
/// one block. The
/// file is created in the temporary directory ($TMPDIR) and unlinked at once, so it disappears
/// with the process whatever happens.
final class SpillFile {
    /// Bytes of a stream's write buffer and of a reader's buffer (64 KiB unless set larger before
    /// the first byte is written).
    var blockBytes = 64 << 10
    private let descriptor: Int32
    private let path: String
    private var size = 0

    /// Creates and unlinks the temporary file.
    /// - Throws: `AtomicFile.WriteError` when it cannot be created.
    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("moesim-spill-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)").path
        descriptor = open(path, O_RDWR | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw AtomicFile.WriteError(path: path, reason: String(cString: strerror(errno))) }
        unlink(path)
    }

    deinit { close(descriptor) }

    /// One block of memory, freed with its last reference (also when an import stops on an error).
    final class Block {
        let bytes: UnsafeMutableRawPointer

        init(byteCount: Int) { bytes = .allocate(byteCount: byteCount, alignment: 8) }

        deinit { bytes.deallocate() }
    }

    /// Bytes written to one stream, block by block.
    struct Stream {
        /// Bytes in the stream.
        private(set) var count = 0
        /// File offsets of the stream's blocks; all but the last hold `blockBytes`.
        private var blockOffsets: [Int] = []
        private var pending: Block?
        private var pendingBytes = 0

        init() {}

        /// Appends `bytes` (of any length), writing a block whenever the buffer fills.
        /// - Throws: `AtomicFile.WriteError` when a block cannot be written.
        mutating func append(_ bytes: UnsafeRawBufferPointer, in file: SpillFile) throws {
            let block = pending ?? Block(byteCount: file.blockBytes)
            pending = block
            let buffer = block.bytes
            var done = 0
            while done < bytes.count {
                let piece = min(bytes.count - done, file.blockBytes - pendingBytes)
                (buffer + pendingBytes).copyMemory(from: bytes.baseAddress! + done, byteCount: piece)
                pendingBytes += piece
                done += piece
                if pendingBytes == file.blockBytes { try flush(in: file) }
            }
            count += bytes.count
        }

        /// Writes the last (partial) block and frees the buffer; the stream can then be read.
        mutating func close(in file: SpillFile) throws {
            try flush(in: file)
            pending = nil
        }

        private mutating func flush(in file: SpillFile) throws {
            guard let pending, pendingBytes > 0 else { return }
            blockOffsets.append(file.size)
            try file.write(UnsafeRawBufferPointer(start: pending.bytes, count: pendingBytes), at: file.size)
            file.size += pendingBytes
            pendingBytes = 0
        }

        /// Where stream byte `position` is in the file, and how many bytes of its block follow it.
        fileprivate func fileOffset(of position: Int, blockBytes: Int) -> (offset: Int, available: Int) {
            let block = position / blockBytes, within = position % blockBytes
            return (blockOffsets[block] + within, min(count, (block + 1) * blockBytes) - position)
        }
    }

    /// Reads one closed stream from any position through a buffer of `blockBytes`.
    struct Reader {
        let stream: Stream
        /// The stream position of the next byte `next` returns.
        private(set) var position = 0
        private let block: Block
        /// Stream positions the buffer holds.
        private var buffered = 0..<0

        init(_ stream: Stream, blockBytes: Int) {
            self.stream = stream
            block = Block(byteCount: blockBytes)
        }

        /// Whether the stream has no byte after `position`.
        var atEnd: Bool { position >= stream.count }

        /// Moves to `position` (reading resumes there).
        mutating func seek(to position: Int) { self.position = position }

        /// The next `bytes` bytes (at most `blockBytes`, not past the stream's end), valid until
        /// the next call.
        /// - Throws: `TraceError` when the temporary file cannot be read.
        mutating func next(_ bytes: Int, in file: SpillFile) throws -> UnsafeRawPointer {
            precondition(bytes <= file.blockBytes && position + bytes <= stream.count, "a read past a spilled stream's end")
            if !(buffered.contains(position) && position + bytes <= buffered.upperBound) {
                let count = min(file.blockBytes, stream.count - position)
                try copy(into: block.bytes, count: count, in: file)
                position -= count
                buffered = position..<(position + count)
            }
            defer { position += bytes }
            return UnsafeRawPointer(block.bytes + (position - buffered.lowerBound))
        }

        /// Copies the next `count` bytes (any number, not past the stream's end) into `destination`.
        /// - Throws: `TraceError` when the temporary file cannot be read.
        mutating func copy(into destination: UnsafeMutableRawPointer, count: Int, in file: SpillFile) throws {
            precondition(position + count <= stream.count, "a read past a spilled stream's end")
            var done = 0
            while done < count {
                let (offset, available) = stream.fileOffset(of: position + done, blockBytes: file.blockBytes)
                let piece = min(available, count - done)
                try file.read(into: destination + done, count: piece, at: offset)
                done += piece
            }
            position += count
        }
    }

    private func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw AtomicFile.WriteError(path: path, reason: String(cString: strerror(errno))) }
            done += n
        }
    }

    private func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int) throws {
        var done = 0
        while done < count {
            let n = pread(descriptor, buffer + done, count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw TraceError.invalidField(file: path, at: .byte(offset + done), field: "temporary spill file",
                                              value: n == 0 ? "ended early" : String(cString: strerror(errno)), allowed: "readable")
            }
            done += n
        }
    }
}
