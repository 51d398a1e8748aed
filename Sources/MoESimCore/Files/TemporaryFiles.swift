import Foundation

/// The temporary files this process is writing beside their targets (`.NAME.tmp-PID`), so that no
/// exit path leaves one behind: writers register a file when they create it and unregister it once
/// it is renamed or removed, and `installSignalHandlers` makes SIGINT, SIGTERM and SIGHUP remove
/// every registered file before the process exits with 128 + the signal (130, 143, 129), as a
/// shell reports a process stopped by that signal.
public enum TemporaryFiles {
    /// The registered paths, behind a lock (writers on several threads, the signal handler on another).
    private final class Registry: @unchecked Sendable {
        let lock = NSLock()
        var paths = Set<String>()
        var sources: [DispatchSourceSignal] = []
    }

    private static let registry = Registry()

    /// Records that `path` is a temporary file of this process.
    /// - Complexity: O(1).
    public static func register(_ path: String) {
        registry.lock.lock()
        registry.paths.insert(path)
        registry.lock.unlock()
    }

    /// Forgets `path` (renamed over its target or removed).
    /// - Complexity: O(1).
    public static func unregister(_ path: String) {
        registry.lock.lock()
        registry.paths.remove(path)
        registry.lock.unlock()
    }

    /// Paths registered now (for tests and diagnostics), sorted.
    public static var registered: [String] {
        registry.lock.lock()
        defer { registry.lock.unlock() }
        return registry.paths.sorted()
    }

    /// Removes every registered file and forgets them.
    /// - Complexity: O(registered files).
    public static func removeAll() {
        registry.lock.lock()
        let paths = registry.paths
        registry.paths.removeAll()
        registry.lock.unlock()
        for path in paths { unlink(path) }
    }

    /// On SIGINT, SIGTERM or SIGHUP: remove the registered files, then exit with 128 + the signal.
    /// The handlers run on a dispatch queue, not in the signal's context, so they may take locks.
    /// Call once, at the start of the process.
    public static func installSignalHandlers() {
        registry.lock.lock()
        defer { registry.lock.unlock() }
        guard registry.sources.isEmpty else { return }
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                removeAll()
                exit(128 + signalNumber)
            }
            source.resume()
            registry.sources.append(source)
        }
    }
}
