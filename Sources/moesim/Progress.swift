import Foundation

/// Progress of long work on stderr, quiet for the first two seconds so that short runs print
/// nothing. On a terminal: one live line (a bar, the count, the rate and the time left),
/// redrawn at most ten times a second. Otherwise (a log file, CI): a line every five seconds.
final class Progress {
    private let label: String
    private let unit: String
    private let start = Date()
    private var lastReport = Date.distantPast
    private var reported = false
    private let live = isatty(STDERR_FILENO) != 0

    /// `unit` names what is counted, in the plural ("points", "batches (one MoE layer of one step each)").
    init(label: String, unit: String) {
        self.label = label
        self.unit = unit
    }

    func report(done: Int, total: Int) {
        let now = Date()
        let elapsed = now.timeIntervalSince(start)
        guard done < total, done > 0, elapsed >= 2, now.timeIntervalSince(lastReport) >= (live ? 0.1 : 5) else { return }
        lastReport = now
        reported = true
        let rate = Double(done) / elapsed
        let left = Double(total - done) / rate
        let counts = String(format: "%d/%d %@, %.3g/s, %@ elapsed, about %@ left", done, total, unit, rate,
                            Progress.duration(elapsed), Progress.duration(left))
        if live {
            let width = 24
            let filled = done * width / total
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            write("\r\u{1B}[K\(label): [\(bar)] \(counts)")
        } else {
            write("\(label): \(counts)\n")
        }
    }

    func finish() {
        guard reported else { return }
        write((live ? "\r\u{1B}[K" : "") + String(format: "%@: done in %@\n", label,
                                                    Progress.duration(Date().timeIntervalSince(start))))
    }

    private func write(_ text: String) {
        Console.printError(text)
    }

    /// "42 s", "3 min 5 s", "2 h 10 min".
    private static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min \(s % 60) s" }
        return "\(s / 3600) h \(s % 3600 / 60) min"
    }
}
