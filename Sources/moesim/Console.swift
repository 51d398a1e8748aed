import Foundation

/// The process's standard output and standard error, the one place the commands write them.
///
/// Every write to stdout is checked: one that fails (a full disk behind `> file`, `> /dev/full`,
/// a closed descriptor) throws `CommandLineError.ioError`, which ends the process with exit 74
/// and a message on stderr, so output is never lost silently. Writes go straight to the
/// descriptor, unbuffered, so stdout and stderr keep their order and nothing is pending at exit.
/// A failed write to stderr has nowhere to be reported and is ignored.
enum Console {
    /// Writes `text` and `terminator` to stdout, like `print`.
    /// - Throws: `CommandLineError.ioError` when the bytes cannot all be written.
    /// - Complexity: O(bytes); one system call for most texts.
    static func print(_ text: String, terminator: String = "\n") throws {
        guard let failure = write(text + terminator, to: STDOUT_FILENO) else { return }
        throw CommandLineError.ioError("cannot write to standard output: \(failure)")
    }

    /// Writes `text` to stderr as is (callers end lines themselves); failures are ignored.
    static func printError(_ text: String) {
        _ = write(text, to: STDERR_FILENO)
    }

    /// Writes all of `text` to `descriptor`, retrying short and interrupted writes; returns the
    /// reason of a failure, nil on success.
    private static func write(_ text: String, to descriptor: Int32) -> String? {
        var text = text
        return text.withUTF8 { buffer -> String? in
            guard let base = buffer.baseAddress else { return nil }
            var done = 0
            while done < buffer.count {
                let count = Foundation.write(descriptor, base + done, buffer.count - done)
                if count < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                done += count
            }
            return nil
        }
    }
}
