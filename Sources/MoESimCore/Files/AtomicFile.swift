import Foundation

/// Writes files so that a reader (or a crash) never sees half of one, and so that a
/// failed run leaves earlier results intact: every text goes to a temporary file
/// beside its target first; only when all of them are written are they renamed
/// over their targets.
public enum AtomicFile {
    /// Why a set of files could not be written; names the path and the reason.
    public struct WriteError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "cannot write \(path): \(reason)" }
    }

    /// Writes `text` to `path` atomically, creating missing parent directories.
    /// - Throws: `WriteError`; the old file is then left intact.
    public static func write(_ text: String, to path: String) throws {
        try write([(text, path)])
    }

    /// Writes every (text, path) pair, all or nothing as far as the file system allows:
    /// targets are checked first, then written to temporary files, then renamed.
    /// - Throws: `WriteError` naming the first path that failed; no target has changed then.
    /// - Complexity: O(total bytes).
    public static func write(_ files: [(text: String, path: String)]) throws {
        let manager = FileManager.default
        for (_, path) in files { try checkTarget(path) }
        var temporaries: [String] = []
        do {
            for (text, path) in files {
                let temporary = try temporaryPath(creatingParentOf: path)
                guard manager.createFile(atPath: temporary, contents: Data(text.utf8)) else {
                    throw cannotCreate(path)
                }
                temporaries.append(temporary)
            }
            for ((_, path), temporary) in zip(files, temporaries) {
                guard rename(temporary, path) == 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
                TemporaryFiles.unregister(temporary)
            }
        } catch {
            for temporary in temporaries {
                try? manager.removeItem(atPath: temporary)
                TemporaryFiles.unregister(temporary)
            }
            throw error
        }
    }

    /// Throws if `path` cannot become a file: a directory stands there, or its parent is a file.
    public static func checkTarget(_ path: String) throws {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw WriteError(path: path, reason: "a directory is in the way; move it or choose another output path")
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, manager.fileExists(atPath: parent, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw WriteError(path: path, reason: "\(parent) is a file, not a directory")
        }
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
        let temporary = (parent.isEmpty ? "" : parent + "/")
            + ".\((path as NSString).lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)"
        TemporaryFiles.register(temporary)
        return temporary
    }

    /// The error for a temporary file that could not be created beside `path`.
    static func cannotCreate(_ path: String) -> WriteError {
        let parent = (path as NSString).deletingLastPathComponent
        return WriteError(path: path, reason: "cannot create a file in \(parent.isEmpty ? "." : parent) "
            + "(check that it exists and is writable)")
    }
}
