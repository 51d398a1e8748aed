import Foundation

/// Writes files so that a reader (or a crash) never sees half of one:
/// the text goes to a temporary file in the same directory, then is renamed over the target.
public enum AtomicFile {
    /// Writes `text` to `path` atomically, creating missing parent directories.
    /// - Throws: the underlying file-system error; the old file is then left intact.
    public static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url, options: .atomic)
    }
}
