import Foundation

/// What makes two paths the same file: its device and inode numbers (symbolic links followed),
/// so `./a.csv`, `a.csv`, `dir/../a.csv` and a link to it all compare equal, and two copies do not.
public struct FileIdentity: Hashable, Sendable {
    /// The device that holds the file (`st_dev`).
    public let device: UInt64
    /// The file's number on that device (`st_ino`).
    public let inode: UInt64

    /// The identity of the file at `path`, or nil when nothing (or a dangling link) is there.
    /// - Complexity: one `stat` call.
    public init?(path: String) {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
    }
}
