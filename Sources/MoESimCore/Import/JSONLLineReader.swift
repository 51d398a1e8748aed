import Foundation

/// Splits a file into lines through one buffer (1 MiB, grown for a longer line up to 64 MiB), so
/// that a log of any size is read in bounded memory. A trailing `\r` is dropped; blank lines are
/// skipped (but counted, so line numbers match an editor's).
final class JSONLLineReader {
    /// The longest line read.
    static let maxLineBytes = 64 << 20

    private let file: InputFile
    // Read once per line: no dynamic exclusivity check (the reader is used from one place at a time).
    @exclusivity(unchecked) private var buffer: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var capacity = 1 << 20
    @exclusivity(unchecked) private var start = 0
    @exclusivity(unchecked) private var end = 0
    @exclusivity(unchecked) private var ended = false
    /// 1-based number of the line last handed out.
    @exclusivity(unchecked) private(set) var lineNumber = 0

    /// A reader of `path` from its first line.
    init(path: String) throws {
        file = try InputFile(path: path)
        buffer = .allocate(capacity: capacity)
    }

    deinit { buffer.deallocate() }

    /// The file's path, for messages.
    var path: String { file.path }

    /// Bytes of the file read so far.
    var bytesRead: Int { file.position }

    /// The next non-blank line (without its line ending), or nil at the end of the file.
    /// The bytes are valid until the next call.
    /// - Throws: `TraceError` for a line longer than 64 MiB or a read error.
    func nextLine() throws -> UnsafeBufferPointer<UInt8>? {
        while true {
            if let found = memchr(buffer + start, 0x0A, end - start) {
                let newline = found.assumingMemoryBound(to: UInt8.self) - (buffer + start)
                let line = lineAt(count: newline)
                start += newline + 1
                lineNumber += 1
                if !isBlank(line) { return line }
                continue
            }
            if ended {
                guard start < end else { return nil }
                let line = lineAt(count: end - start)
                start = end
                lineNumber += 1
                return isBlank(line) ? nil : line
            }
            try fill()
        }
    }

    private func lineAt(count: Int) -> UnsafeBufferPointer<UInt8> {
        var length = count
        if length > 0 && buffer[start + length - 1] == 0x0D { length -= 1 }
        return UnsafeBufferPointer(start: buffer + start, count: length)
    }

    private func isBlank(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        line.allSatisfy { $0 == 0x20 || $0 == 0x09 }
    }

    /// Moves the partial line to the front (growing the buffer when it fills it) and reads more.
    private func fill() throws {
        let partial = end - start
        if partial == capacity {
            guard capacity < Self.maxLineBytes else {
                throw TraceError.invalidField(file: file.path, at: .line(lineNumber + 1), field: "line length",
                                              value: "more than \(Self.maxLineBytes) bytes", allowed: "one JSON object per line")
            }
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
            bigger.update(from: buffer + start, count: partial)
            buffer.deallocate()
            buffer = bigger
            capacity *= 2
        } else if start > 0 {
            memmove(buffer, buffer + start, partial)
        }
        start = 0
        end = partial
        let n = try file.read(into: buffer + end, count: capacity - end)
        if n == 0 { ended = true }
        end += n
    }
}
