import Foundation

/// Progress lines on stderr for long work: at most one every two seconds, and
/// only once the work has run for two seconds, so short runs stay quiet.
final class Progress {
    private let label: String
    private let start = Date()
    private var lastReport = Date()
    private var reported = false

    init(label: String) { self.label = label }

    func report(done: Int, total: Int) {
        let now = Date()
        guard done < total, now.timeIntervalSince(start) >= 2, now.timeIntervalSince(lastReport) >= 2 else { return }
        lastReport = now
        reported = true
        let elapsed = now.timeIntervalSince(start)
        let eta = elapsed / Double(done) * Double(total - done)
        FileHandle.standardError.write(Data(String(format: "%@: batch %d/%d (one MoE layer of one step each), %.0f s elapsed, about %.0f s left\n",
                                                   label, done, total, elapsed, eta).utf8))
    }

    func finish() {
        if reported {
            FileHandle.standardError.write(Data(String(format: "%@: done in %.1f s\n", label,
                                                       Date().timeIntervalSince(start)).utf8))
        }
    }
}
