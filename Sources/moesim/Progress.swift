import Foundation

/// Progress of long work on stderr, quiet for the first two seconds so that short runs print
/// nothing. On a terminal: one live line (a bar, the count, the rate and the time left),
/// redrawn at most ten times a second. Otherwise (a log file, CI): a line every five seconds.
/// While one item takes long (a single huge batch), a heartbeat says so every five seconds, so
/// that no run longer than a few seconds is silent.
final class Progress: @unchecked Sendable {
    private let label: String
    private let unit: String
    private let start = Date()
    private let live = isatty(STDERR_FILENO) != 0
    /// Guards the fields below: `report` runs on the caller's thread, the heartbeat on a timer's.
    private let lock = NSLock()
    private var lastReport = Date.distantPast
    private var reported = false
    private var done = 0, total = 0
    private var heartbeat: DispatchSourceTimer?

    /// `unit` names what is counted, in the plural ("points", "batches (one MoE layer of one step each)").
    init(label: String, unit: String) {
        self.label = label
        self.unit = unit
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + 5, repeating: 5)
        timer.setEventHandler { [weak self] in self?.beat() }
        timer.resume()
        heartbeat = timer
    }

    deinit { heartbeat?.cancel() }

    func report(done: Int, total: Int) {
        lock.lock()
        defer { lock.unlock() }
        self.done = done
        self.total = total
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

    /// Every five seconds: if nothing was reported for that long, says the work goes on.
    private func beat() {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard heartbeat != nil, now.timeIntervalSince(lastReport) >= 4.5 else { return }
        lastReport = now
        reported = true
        let position = total > 0 ? "\(done)/\(total) \(unit) done, " : ""
        let text = "\(label): \(position)still working, \(Progress.duration(now.timeIntervalSince(start))) elapsed"
        write(live ? "\r\u{1B}[K\(text)" : text + "\n")
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        heartbeat?.cancel()
        heartbeat = nil
        guard reported else { return }
        reported = false  // a second call prints nothing
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
