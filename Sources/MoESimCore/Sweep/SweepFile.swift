import Foundation

/// The file a sweep's rows go to (`moesim sweep --out`), grown point by point so that an
/// interrupted sweep keeps every finished point and a resumed one continues it.
///
/// A new file gets the header atomically first. Resuming keeps the points an earlier run of
/// the same plan finished (`SweepPlan.finishedPrefix`), cuts off a point it left short, and
/// appends the rest; a missing file is simply started.
public final class SweepFile {
    /// The file's path.
    public let path: String
    /// Points of the plan already in the file before this run (resume); this run skips them.
    public let keptPoints: Int
    /// What a resume found, for the user: "resume: FILE has K of this sweep's N points; running
    /// the other N-K" (nil when nothing was resumed: no `resume`, or no file yet).
    public let resumeNote: String?
    private let handle: FileHandle

    /// Opens `path` for `plan`'s rows: started afresh with the header, or, when `resume` and the
    /// file exists, truncated after the points it already holds.
    /// - Throws: `SweepError.data` when the file to resume is not UTF-8 or not this plan's output
    ///   (see `SweepPlan.finishedPrefix`), `.cannotWrite` when it cannot be written.
    /// - Complexity: O(size of the file to resume).
    public init(path: String, plan: SweepPlan, resume: Bool) throws {
        self.path = path
        var kept = (points: 0, bytes: 0)
        var note: String?
        if resume, FileManager.default.fileExists(atPath: path) {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw SweepError.data("\(path) cannot be read as UTF-8 text; it is not a sweep's output")
            }
            kept = try plan.finishedPrefix(of: SweepTable.read(text, file: path), file: path)
            note = "resume: \(path) has \(kept.points) of this sweep's \(plan.points.count) "
                + "points; running the other \(plan.points.count - kept.points)"
        }
        if kept.points == 0 {
            do { try AtomicFile.write(plan.table.header, to: path) } catch { throw SweepError.cannotWrite("\(error)") }
            kept.bytes = plan.table.header.utf8.count
        }
        keptPoints = kept.points
        resumeNote = note
        do {
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            // A device or FIFO (`--out /dev/stdout`) is written through: it has no length to cut.
            if case .replace = try AtomicFile.destination(of: path) {
                try handle.truncate(atOffset: UInt64(kept.bytes))
                try handle.seekToEnd()
            }
        } catch {
            throw SweepError.cannotWrite("cannot append to \(path): \(error.localizedDescription)")
        }
    }

    /// Appends one point's rows in a single write, so an interruption can cut at most the last line short.
    /// - Throws: `SweepError.cannotWrite`.
    public func append(_ rows: String) throws {
        do { try handle.write(contentsOf: Data(rows.utf8)) } catch {
            throw SweepError.cannotWrite("cannot append to \(path): \(error.localizedDescription)")
        }
    }

    /// Closes the file; every appended row is then in it.
    /// - Throws: `SweepError.cannotWrite` when the system reports a failed write on closing.
    public func close() throws {
        do { try handle.close() } catch {
            throw SweepError.cannotWrite("cannot finish \(path): \(error.localizedDescription)")
        }
    }
}
