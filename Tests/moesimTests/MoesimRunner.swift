import Foundation
import XCTest

/// The outcome of one run of the built `moesim` binary.
struct MoesimRun {
    let arguments: [String]
    /// Exit status (or the signal number when `signalled`).
    let status: Int32
    let signalled: Bool
    let timedOut: Bool
    let stdoutData: Data
    let stderrData: Data

    var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    var stderr: String { String(decoding: stderrData, as: UTF8.self) }
    /// Non-empty lines of stderr.
    var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }

    /// A one-paragraph description for assertion messages.
    var brief: String {
        let err = stderr.count > 600 ? String(stderr.prefix(600)) + "…" : stderr
        let out = stdout.count > 300 ? String(stdout.prefix(300)) + "…" : stdout
        return "`moesim \(arguments.joined(separator: " "))` → status \(status)"
            + (signalled ? " (signal)" : "") + (timedOut ? " (timed out)" : "")
            + "\n--- stderr ---\n\(err)\n--- stdout ---\n\(out)"
    }
}

/// A started `moesim` process; `wait()` collects its outcome. Output goes to temporary
/// files rather than pipes, so large outputs cannot deadlock and several runs can overlap.
final class RunningMoesim {
    private let process: Process
    private let arguments: [String]
    private let captureDirectory: URL
    private let stdoutHandle: FileHandle
    private let stderrHandle: FileHandle
    private let lock = NSLock()
    private var didTimeOut = false

    /// `standardOutputPath`: a file stdout goes to instead of being captured (e.g. /dev/full).
    init(executable: URL, arguments: [String], workingDirectory: URL, timeout: TimeInterval,
         standardOutputPath: String? = nil) throws {
        self.arguments = arguments
        let fm = FileManager.default
        captureDirectory = fm.temporaryDirectory.appendingPathComponent("moesim-capture-\(UUID().uuidString)")
        try fm.createDirectory(at: captureDirectory, withIntermediateDirectories: true)
        let outURL = captureDirectory.appendingPathComponent("stdout")
        let errURL = captureDirectory.appendingPathComponent("stderr")
        guard fm.createFile(atPath: outURL.path, contents: nil), fm.createFile(atPath: errURL.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown)
        }
        stdoutHandle = try FileHandle(forWritingTo: standardOutputPath.map(URL.init(fileURLWithPath:)) ?? outURL)
        stderrHandle = try FileHandle(forWritingTo: errURL)

        process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = workingDirectory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdoutHandle
        process.standardError = stderrHandle
        try process.run()

        let process = self.process
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [weak self] in
            guard process.isRunning else { return }
            self?.lock.lock()
            self?.didTimeOut = true
            self?.lock.unlock()
            process.terminate()
        }
    }

    /// Sends `signal` (SIGINT as Ctrl-C would, SIGTERM as a job scheduler would).
    func send(_ signal: Int32) {
        if process.isRunning { Foundation.kill(process.processIdentifier, signal) }
    }

    /// Kills the process at once (SIGKILL), as an out-of-memory killer or a cancelled job would.
    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }

    func wait() -> MoesimRun {
        process.waitUntilExit()
        try? stdoutHandle.close()
        try? stderrHandle.close()
        let out = (try? Data(contentsOf: captureDirectory.appendingPathComponent("stdout"))) ?? Data()
        let err = (try? Data(contentsOf: captureDirectory.appendingPathComponent("stderr"))) ?? Data()
        try? FileManager.default.removeItem(at: captureDirectory)
        lock.lock()
        let timedOut = didTimeOut
        lock.unlock()
        return MoesimRun(arguments: arguments, status: process.terminationStatus,
                         signalled: process.terminationReason == .uncaughtSignal, timedOut: timedOut,
                         stdoutData: out, stderrData: err)
    }
}

/// Finds and runs the `moesim` executable that `swift build` / `swift test` produced.
enum MoesimRunner {
    /// The package root: this file is <root>/Tests/moesimTests/MoesimRunner.swift.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Directories that may hold the built `moesim`, most specific first.
    static var candidateDirectories: [URL] {
        var result: [URL] = []
        // On Linux the test runner is an executable in the build products directory,
        // so Bundle.main.bundleURL is that directory.
        result.append(Bundle.main.bundleURL)
        // On macOS the tests are a .xctest bundle inside the products directory.
        let testBundle = Bundle(for: BundleMarker.self).bundleURL
        result.append(testBundle)
        result.append(testBundle.deletingLastPathComponent())
        result.append(Bundle.main.bundleURL.deletingLastPathComponent())
        result.append(packageRoot.appendingPathComponent(".build/debug"))
        return result
    }

    /// The executable: $MOESIM_BINARY if set, else the first `moesim` found next to the tests.
    static let executable: URL? = {
        if let override = ProcessInfo.processInfo.environment["MOESIM_BINARY"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        for directory in candidateDirectories {
            let candidate = directory.appendingPathComponent("moesim")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate.path) {
                return candidate
            }
        }
        return nil
    }()

    static func start(_ arguments: [String], in workingDirectory: URL, timeout: TimeInterval = 240,
                      standardOutputPath: String? = nil) throws -> RunningMoesim {
        guard let executable else {
            throw NSError(domain: "moesimTests", code: 1, userInfo: [NSLocalizedDescriptionKey:
                "cannot find the built moesim in \(candidateDirectories.map(\.path)); set MOESIM_BINARY"])
        }
        return try RunningMoesim(executable: executable, arguments: arguments,
                                 workingDirectory: workingDirectory, timeout: timeout, standardOutputPath: standardOutputPath)
    }

    static func run(_ arguments: [String], in workingDirectory: URL, timeout: TimeInterval = 240,
                    standardOutputPath: String? = nil) throws -> MoesimRun {
        try start(arguments, in: workingDirectory, timeout: timeout, standardOutputPath: standardOutputPath).wait()
    }
}

private final class BundleMarker {}

/// A tiny RFC 4180 CSV reader (quoted fields, doubled quotes), enough to check moesim's output.
enum CSV {
    static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var iterator = Array(text).makeIterator()
        var pending: Character? = nil
        func next() -> Character? {
            if let p = pending { pending = nil; return p }
            return iterator.next()
        }
        while let c = next() {
            if quoted {
                if c == "\"" {
                    if let n = next() {
                        if n == "\"" { field.append("\"") } else { quoted = false; pending = n }
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "\"" && field.isEmpty {
                quoted = true
            } else if c == "," {
                row.append(field); field = ""
            } else if c == "\n" || c == "\r\n" {
                row.append(field); field = ""
                rows.append(row); row = []
            } else {
                field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }

    /// Header and rows as dictionaries keyed by column name.
    static func table(_ text: String) -> (header: [String], rows: [[String: String]]) {
        let lines = parse(text)
        guard let header = lines.first else { return ([], []) }
        let rows = lines.dropFirst().map { fields -> [String: String] in
            var dict: [String: String] = [:]
            for (i, name) in header.enumerated() where i < fields.count { dict[name] = fields[i] }
            return dict
        }
        return (header, rows)
    }
}

/// Scenario texts for the tests: small enough to simulate in milliseconds.
enum ScenarioText {
    static let allStrategies = #"[{"name":"switch"},{"name":"topk","k":2},{"name":"sam","k":2}]"#

    /// One DGX H100 node (8 GPUs), 16 experts (2 per GPU), 64 tokens per GPU.
    static func minimal(name: String = "t", experts: Int = 16, tokensPerGPU: Int = 64, zipf: String = "1.0",
                        seed: Int = 1, strategies: String = allStrategies) -> String {
        #"{"version":1,"name":"\#(name)","cluster":{"preset":"dgx-h100","nodes":1},"#
            + #""model":{"experts":\#(experts),"hiddenSize":256,"expertFFNSize":512},"#
            + #""parallelism":{"tokensPerGPU":\#(tokensPerGPU)},"#
            + #""routing":{"strategies":\#(strategies)},"#
            + #""trace":{"synthetic":{"zipf":\#(zipf)}},"simulation":{"seed":\#(seed)}}"#
    }
}

/// Base class: a fresh temporary directory per test, and helpers to write scenarios and run moesim in it.
class MoesimTestCase: XCTestCase {
    private(set) var tmp: URL!

    override func setUpWithError() throws {
        try super.setUpWithError()
        guard MoesimRunner.executable != nil else {
            XCTFail("cannot find the built moesim in \(MoesimRunner.candidateDirectories.map(\.path))")
            throw NSError(domain: "moesimTests", code: 1)
        }
        tmp = FileManager.default.temporaryDirectory
            .appendingPathComponent("moesimTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let tmp { try? FileManager.default.removeItem(at: tmp) }
        try super.tearDownWithError()
    }

    /// Runs moesim with `arguments` in the test's temporary directory.
    func moesim(_ arguments: [String]) throws -> MoesimRun {
        try MoesimRunner.run(arguments, in: tmp)
    }

    func moesim(_ arguments: String...) throws -> MoesimRun { try moesim(arguments) }

    /// Writes `text` to <tmp>/<fileName> and returns its absolute path.
    @discardableResult
    func write(_ text: String, to fileName: String) throws -> String {
        let url = tmp.appendingPathComponent(fileName)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// `text` with `old` replaced by `new`; fails the test if `old` is absent, so a typo
    /// in a test cannot silently test the valid scenario instead of the broken one.
    func mutate(_ text: String, _ old: String, _ new: String,
                file: StaticString = #filePath, line: UInt = #line) throws -> String {
        guard text.contains(old) else {
            XCTFail("test bug: \(old) not in \(text)", file: file, line: line)
            throw NSError(domain: "moesimTests", code: 2)
        }
        return text.replacingOccurrences(of: old, with: new)
    }

    func path(_ relative: String) -> String { tmp.appendingPathComponent(relative).path }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path(relative)) }

    func contents(ofDirectory relative: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path(relative))) ?? []).sorted()
    }

    /// The run ended normally with `status`.
    func assertStatus(_ run: MoesimRun, _ status: Int32, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(run.timedOut, run.brief, file: file, line: line)
        XCTAssertFalse(run.signalled, run.brief, file: file, line: line)
        XCTAssertEqual(run.status, status, run.brief, file: file, line: line)
    }

    /// A failed run: `status`, nothing on stdout, exactly one `moesim: ` message on stderr
    /// that contains every string of `mentions`.
    func assertFailure(_ run: MoesimRun, _ status: Int32, mentions: [String],
                       file: StaticString = #filePath, line: UInt = #line) {
        assertStatus(run, status, file: file, line: line)
        XCTAssertEqual(run.stdout, "", "stdout must be empty on error\n" + run.brief, file: file, line: line)
        XCTAssertTrue(run.stderr.hasPrefix("moesim: "), "stderr must start with `moesim: `\n" + run.brief,
                      file: file, line: line)
        XCTAssertEqual(run.stderrLines.filter { $0.hasPrefix("moesim: ") }.count, 1,
                       "exactly one `moesim: ` message\n" + run.brief, file: file, line: line)
        XCTAssertTrue(run.stderr.hasSuffix("\n"), "message ends in a newline\n" + run.brief, file: file, line: line)
        for mention in mentions {
            XCTAssertTrue(run.stderr.contains(mention), "stderr should mention \(mention)\n" + run.brief,
                          file: file, line: line)
        }
    }

    /// A bad-data failure (65) for `scenarioPath` at `keyPath`: the message is one line, of the form
    /// `moesim: FILE: KEYPATH: …`. Also checks that with --out nothing is written.
    func assertBadData(_ scenario: String, keyPath: String, status: Int32 = 65,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let scenarioPath = try write(scenario, to: "bad-\(UUID().uuidString.prefix(8)).json")
        let run = try moesim("simulate", scenarioPath)
        assertFailure(run, status, mentions: [scenarioPath, " \(keyPath): "], file: file, line: line)
        XCTAssertEqual(run.stderrLines.count, 1, "a data error is one line\n" + run.brief, file: file, line: line)

        let out = "out-\(UUID().uuidString.prefix(8))"
        let withOut = try moesim("simulate", scenarioPath, "--format", "csv", "--out", path(out))
        assertFailure(withOut, status, mentions: [scenarioPath, " \(keyPath): "], file: file, line: line)
        XCTAssertFalse(exists(out), "--out \(out) must not be created by a failed run\n" + withOut.brief,
                       file: file, line: line)
    }
}
