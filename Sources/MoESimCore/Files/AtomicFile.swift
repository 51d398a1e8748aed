import Foundation

/// Writes files so that a reader (or a crash) never sees half of one, and so that a
/// failed run leaves earlier results intact: every text goes to a temporary file
/// beside its target first; only when all of them are written are they renamed
/// over their targets.
///
/// Only a regular file (or nothing) is ever replaced. A symbolic link stays a link: the file it
/// points to is replaced. A character device or a FIFO (`/dev/null`, `/dev/stdout`, a named pipe)
/// is written through, in place. Anything else (a directory, a socket, a block device) is refused.
public enum AtomicFile {
    /// Why a set of files could not be written; names the path and the reason.
    public struct WriteError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "cannot write \(path): \(reason)" }
    }

    /// How the bytes meant for a path reach it.
    public enum Destination: Equatable, Sendable {
        /// A temporary file beside `path` (a regular file or nothing yet, symbolic links
        /// resolved) is renamed over it.
        case replace(path: String)
        /// `path` is a character device or a FIFO: opened and written in place, never replaced.
        case writeThrough(path: String)

        /// The file the bytes reach.
        public var path: String {
            switch self {
            case .replace(let path), .writeThrough(let path): return path
            }
        }
    }

    /// The longest file name (one path component) file systems accept, in bytes (NAME_MAX).
    public static let maxNameBytes = 255

    /// Writes `text` to `path` atomically, creating missing parent directories.
    /// - Throws: `WriteError`; the old file is then left intact.
    public static func write(_ text: String, to path: String) throws {
        try write([(text, path)])
    }

    /// Writes every (text, path) pair, all or nothing as far as the file system allows:
    /// targets are checked first, then written to temporary files (devices and FIFOs written
    /// through), then the temporary files are renamed.
    /// - Throws: `WriteError` naming the first path that failed (or a file given twice); no regular
    ///   target has changed then.
    /// - Complexity: O(total bytes + files²) (files are few).
    public static func write(_ files: [(text: String, path: String)]) throws {
        let manager = FileManager.default
        let destinations = try files.map { try destination(of: $0.path) }
        // Spelled apart (out/a.csv, ./out/a.csv), two outputs on one file would share a temporary file.
        let targets = destinations.map { ($0.path as NSString).standardizingPath }
        for (index, target) in targets.enumerated() where targets[..<index].contains(target) {
            throw WriteError(path: files[index].path, reason: "the same file is also another output of this run")
        }
        var renames: [(temporary: String, target: String, path: String)] = []
        do {
            for ((text, path), destination) in zip(files, destinations) {
                guard case .replace(let target) = destination else { continue }
                let temporary = try temporaryPath(creatingParentOf: target)
                guard manager.createFile(atPath: temporary, contents: Data(text.utf8)) else {
                    throw cannotCreate(target)
                }
                renames.append((temporary, target, path))
            }
            for ((text, path), destination) in zip(files, destinations) {
                guard case .writeThrough(let device) = destination else { continue }
                try writeThrough(Data(text.utf8), to: device, reportedAs: path)
            }
            for rename in renames {
                guard Foundation.rename(rename.temporary, rename.target) == 0 else {
                    throw WriteError(path: rename.path, reason: String(cString: strerror(errno)))
                }
                TemporaryFiles.unregister(rename.temporary)
            }
        } catch {
            for rename in renames {
                try? manager.removeItem(atPath: rename.temporary)
                TemporaryFiles.unregister(rename.temporary)
            }
            throw error
        }
    }

    /// Throws if `path` cannot become a file; see `destination(of:)`.
    public static func checkTarget(_ path: String) throws {
        _ = try destination(of: path)
    }

    /// Where the bytes for `path` go, checked before anything is written: symbolic links are
    /// followed (a link to a missing file creates that file), the name must fit `maxNameBytes`,
    /// the nearest existing ancestor must be a directory this process may write in, and a
    /// device or FIFO must be writable.
    /// - Throws: `WriteError` for an empty path, a too-long name, a directory, socket or block
    ///   device in the way, a file where a directory must be, or a symbolic-link loop.
    /// - Complexity: O(path components + links followed) system calls.
    public static func destination(of path: String) throws -> Destination {
        guard !path.isEmpty else { throw WriteError(path: "\"\"", reason: "the output path is empty") }
        let target = try resolvingSymbolicLinks(path)
        let name = (target as NSString).lastPathComponent
        if name.utf8.count > maxNameBytes {
            throw WriteError(path: path, reason: "the file name is \(name.utf8.count) bytes long; file systems allow at "
                + "most \(maxNameBytes) (choose a shorter output name or scenario \"name\")")
        }
        var status = stat()
        if lstat(target, &status) == 0 {
            switch status.st_mode & S_IFMT {
            case S_IFREG:
                try checkAncestors(of: target, reportedAs: path)
                return .replace(path: target)
            case S_IFCHR, S_IFIFO:
                guard access(target, W_OK) == 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
                return .writeThrough(path: target)
            case S_IFDIR:
                throw WriteError(path: path, reason: "a directory is in the way; move it or choose another output path")
            default:
                throw WriteError(path: path, reason: "it is neither a regular file nor a device or pipe to write through")
            }
        }
        try checkAncestors(of: target, reportedAs: path)
        return .replace(path: target)
    }

    /// Creates the parent directories of `path` and returns the temporary path beside it that
    /// is renamed over `path` once written (hidden, named after the target and this process),
    /// registered with `TemporaryFiles` so that a signal removes it; the caller unregisters it.
    public static func temporaryPath(creatingParentOf path: String) throws -> String {
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            } catch {
                throw WriteError(path: path, reason: "cannot create directory \(parent)")
            }
        }
        let temporary = (parent.isEmpty ? "" : parent + "/") + temporaryName(for: (path as NSString).lastPathComponent)
        TemporaryFiles.register(temporary)
        return temporary
    }

    /// ".NAME.tmp-PID", or, when that would exceed `maxNameBytes`, NAME cut to fit and followed by
    /// a hash of the whole name (so two long names with a common start still get two files).
    static func temporaryName(for name: String) -> String {
        let suffix = ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        guard 1 + name.utf8.count + suffix.utf8.count > maxNameBytes else { return "." + name + suffix }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let tag = "-" + String(hash, radix: 16)
        var kept = "", budget = maxNameBytes - 1 - tag.utf8.count - suffix.utf8.count
        for character in name {
            budget -= character.utf8.count
            guard budget >= 0 else { break }
            kept.append(character)
        }
        return "." + kept + tag + suffix
    }

    /// The error for a temporary file that could not be created beside `path`.
    static func cannotCreate(_ path: String) -> WriteError {
        let parent = (path as NSString).deletingLastPathComponent
        return WriteError(path: path, reason: "cannot create a file in \(parent.isEmpty ? "." : parent) "
            + "(check that it exists and is writable)")
    }

    /// `path` with every symbolic link in its last component followed (at most 40, as the kernel
    /// allows); a relative link target is taken from the link's directory.
    private static func resolvingSymbolicLinks(_ path: String) throws -> String {
        var current = path
        for _ in 0..<40 {
            var status = stat()
            guard lstat(current, &status) == 0, status.st_mode & S_IFMT == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(current, &buffer, buffer.count - 1)
            guard count > 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
            let link = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let parent = (current as NSString).deletingLastPathComponent
            current = link.hasPrefix("/") || parent.isEmpty ? link : (parent as NSString).appendingPathComponent(link)
        }
        throw WriteError(path: path, reason: "too many levels of symbolic links")
    }

    /// Throws unless the nearest existing ancestor of `path` is a directory this process may
    /// create files in (missing directories below it are created when the file is written).
    private static func checkAncestors(of path: String, reportedAs reported: String) throws {
        var ancestor = (path as NSString).deletingLastPathComponent
        while true {
            let directory = ancestor.isEmpty ? "." : ancestor
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else {
                    throw WriteError(path: reported, reason: "\(directory) is not a directory")
                }
                guard access(directory, W_OK | X_OK) == 0 else {
                    throw WriteError(path: reported, reason: "cannot create files in \(directory): \(String(cString: strerror(errno)))")
                }
                return
            }
            let parent = (ancestor as NSString).deletingLastPathComponent
            if parent == ancestor || ancestor.isEmpty { return }
            ancestor = parent
        }
    }

    /// Writes `data` into the existing device or FIFO at `device`, without creating or truncating it.
    private static func writeThrough(_ data: Data, to device: String, reportedAs path: String) throws {
        let descriptor = open(device, O_WRONLY)
        guard descriptor >= 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        try data.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            var done = 0
            while done < bytes.count {
                let count = Foundation.write(descriptor, base + done, bytes.count - done)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw WriteError(path: path, reason: String(cString: strerror(errno)))
                }
                done += count
            }
        }
    }
}
