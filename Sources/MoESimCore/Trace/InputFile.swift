import Foundation

/// A regular file opened for reading with POSIX calls, read into buffers the caller owns,
/// so that streaming a file of any size allocates nothing per read.
final class InputFile {
    /// The path as the user gave it (quoted in errors).
    let path: String
    /// Size in bytes when opened.
    let size: Int
    /// Offset of the next byte `read` returns.
    private(set) var position = 0
    private let descriptor: Int32

    /// Opens `path`. - Throws: `TraceError.fileNotFound` or `.unreadable`.
    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            if errno == ENOENT { throw TraceError.fileNotFound(file: path) }
            throw TraceError.unreadable(file: path, reason: String(cString: strerror(errno)))
        }
        var status = stat()
        guard fstat(fd, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw TraceError.unreadable(file: path, reason: "not a regular file")
        }
        descriptor = fd
        size = Int(status.st_size)
    }

    deinit { close(descriptor) }

    /// Moves the read position to `offset`.
    func seek(to offset: Int) throws {
        guard lseek(descriptor, off_t(offset), SEEK_SET) >= 0 else {
            throw TraceError.unreadable(file: path, reason: String(cString: strerror(errno)))
        }
        position = offset
    }

    /// Reads up to `count` bytes into `buffer`; returns how many were read (fewer only at the end of the file).
    /// - Complexity: O(count).
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        var done = 0
        while done < count {
            let n = Foundation.read(descriptor, buffer + done, count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw TraceError.unreadable(file: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            done += n
        }
        position += done
        return done
    }

    /// Reads exactly `count` bytes into `buffer`, or throws `TraceError.truncated` naming `what`.
    func readExactly(into buffer: UnsafeMutableRawPointer, count: Int, what: String) throws {
        let start = position
        let got = try read(into: buffer, count: count)
        guard got == count else {
            throw TraceError.truncated(file: path, at: .byte(start), what: what, neededBytes: count, availableBytes: got)
        }
    }

    /// Reads up to `count` bytes as an array (for small headers).
    func readBytes(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = try bytes.withUnsafeMutableBytes { try read(into: $0.baseAddress!, count: count) }
        return Array(bytes.prefix(got))
    }
}
