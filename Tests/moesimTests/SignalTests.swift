import Foundation
import XCTest

/// SIGINT and SIGTERM remove the temporary files of an interrupted write and exit 130 / 143
/// (issue 22, item 5: `trace generate` left `.big.moetrace.tmp-PID` behind).
final class SignalTests: XCTestCase {
    func testInterruptedTraceGenerationLeavesNoTemporaryFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("moesim-signal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (signal, status) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            // About 2 GB of scores: seconds of work, so the signal arrives while the file is written.
            let running = try MoesimRunner.start(["trace", "generate", "--experts", "256", "--tokens", "65536", "--gpus", "8",
                                                  "--steps", "32", "-o", "big.moetrace"], in: directory, timeout: 120)
            let deadline = Date().addingTimeInterval(60)
            var temporary: [String] = []
            while temporary.isEmpty, Date() < deadline {
                temporary = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".tmp-") }
                if temporary.isEmpty { Thread.sleep(forTimeInterval: 0.02) }
            }
            XCTAssertFalse(temporary.isEmpty, "the temporary file appeared")
            running.send(signal)
            let run = running.wait()
            XCTAssertEqual(run.status, status, run.brief)
            XCTAssertFalse(run.signalled, run.brief)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [], "nothing left behind")
        }
    }
}
