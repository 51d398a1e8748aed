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
        for (_, path) in files {
            var isDirectory: ObjCBool = false
            if manager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw WriteError(path: path, reason: "a directory is in the way; move it or choose another --out")
            }
            let parent = (path as NSString).deletingLastPathComponent
            if !parent.isEmpty, manager.fileExists(atPath: parent, isDirectory: &isDirectory), !isDirectory.boolValue {
                throw WriteError(path: path, reason: "\(parent) is a file, not a directory")
            }
        }
        var temporaries: [String] = []
        do {
            for (text, path) in files {
                let parent = (path as NSString).deletingLastPathComponent
                if !parent.isEmpty {
                    do {
                        try manager.createDirectory(atPath: parent, withIntermediateDirectories: true)
                    } catch {
                        throw WriteError(path: path, reason: "cannot create directory \(parent)")
                    }
                }
                let temporary = (parent.isEmpty ? "" : parent + "/")
                    + ".\((path as NSString).lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)"
                guard manager.createFile(atPath: temporary, contents: Data(text.utf8)) else {
                    throw WriteError(path: path, reason: "cannot create a file in \(parent.isEmpty ? "." : parent) "
                        + "(check that it exists and is writable)")
                }
                temporaries.append(temporary)
            }
            for ((_, path), temporary) in zip(files, temporaries) where rename(temporary, path) != 0 {
                throw WriteError(path: path, reason: String(cString: strerror(errno)))
            }
        } catch {
            for temporary in temporaries { try? manager.removeItem(atPath: temporary) }
            throw error
        }
    }
}
