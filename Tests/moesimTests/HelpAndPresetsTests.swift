import Foundation
import XCTest

/// Help, version and the presets listing.
final class HelpAndPresetsTests: MoesimTestCase {
    func testLocatesTheBuiltBinary() throws {
        let executable = try XCTUnwrap(MoesimRunner.executable)
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: executable.path), executable.path)
        XCTAssertEqual(executable.lastPathComponent, "moesim")
        #if os(Linux)
        // On Linux the test runner sits in the build products directory, next to moesim.
        if ProcessInfo.processInfo.environment["MOESIM_BINARY"] == nil {
            XCTAssertEqual(executable.deletingLastPathComponent().standardizedFileURL.path,
                           Bundle.main.bundleURL.standardizedFileURL.path)
        }
        #endif
    }

    func testHelpScreens() throws {
        let screens: [([String], String)] = [
            (["--help"], "USAGE: moesim COMMAND"),
            (["-h"], "USAGE: moesim COMMAND"),
            (["help"], "USAGE: moesim COMMAND"),
            ([], "USAGE: moesim COMMAND"),
            (["help", "simulate"], "USAGE: moesim simulate"),
            (["simulate", "--help"], "USAGE: moesim simulate"),
            (["simulate", "-h"], "USAGE: moesim simulate"),
            (["help", "presets"], "USAGE: moesim presets"),
            (["presets", "--help"], "USAGE: moesim presets"),
        ]
        for (arguments, usage) in screens {
            let run = try moesim(arguments)
            assertStatus(run, 0)
            XCTAssertEqual(run.stderr, "", run.brief)
            XCTAssertTrue(run.stdout.contains("EXAMPLES"), run.brief)
            XCTAssertTrue(run.stdout.contains(usage), "expected \(usage)\n" + run.brief)
        }
        // The simulate help documents every flag and the exit codes.
        let simulate = try moesim("help", "simulate")
        for text in ["--format", "--out", "--seed", "64", "65", "66"] {
            XCTAssertTrue(simulate.stdout.contains(text), "simulate help should mention \(text)")
        }
        // `simulate --help` wins over everything else on the line, including a missing file.
        let withFile = try moesim("simulate", path("missing.json"), "--help")
        assertStatus(withFile, 0)
        XCTAssertTrue(withFile.stdout.contains("EXAMPLES"), withFile.brief)
    }

    func testVersion() throws {
        let run = try moesim("--version")
        assertStatus(run, 0)
        XCTAssertEqual(run.stderr, "")
        XCTAssertNotNil(run.stdout.range(of: #"^moesim [0-9]+\.[0-9]+\.[0-9]+\n$"#, options: .regularExpression),
                        run.brief)
        let help = try moesim("--help")
        let version = run.stdout.dropFirst("moesim ".count).trimmingCharacters(in: .newlines)
        XCTAssertTrue(help.stdout.contains("moesim \(version)"), "help shows the same version\n" + help.brief)
    }

    func testPresetsTable() throws {
        let run = try moesim("presets")
        assertStatus(run, 0)
        XCTAssertEqual(run.stderr, "", run.brief)
        for name in ["dgx-a100", "dgx-h100", "h800", "pcie-a100", "dgx-b200", "gb200-nvl72", "mi300x", "h20"] {
            XCTAssertTrue(run.stdout.contains(name), "presets should list \(name)\n" + run.brief)
        }
        let explicit = try moesim("presets", "--format", "table")
        XCTAssertEqual(explicit.stdoutData, run.stdoutData)
    }

    func testPresetsCSV() throws {
        let run = try moesim("presets", "--format", "csv")
        assertStatus(run, 0)
        XCTAssertEqual(run.stderr, "", run.brief)
        let lines = CSV.parse(run.stdout)
        let header = try XCTUnwrap(lines.first)
        XCTAssertEqual(header.first, "preset", "header line first\n" + run.brief)
        XCTAssertTrue(header.contains("gpus_per_node"), "\(header)")
        XCTAssertEqual(lines.dropFirst().map { $0.first }, ["dgx-a100", "dgx-h100", "h800", "pcie-a100", "dgx-b200",
                                                           "gb200-nvl72", "mi300x", "h20"])
        for line in lines { XCTAssertEqual(line.count, header.count, "ragged row \(line)") }

        // Every listed preset is accepted by a scenario (144 experts fill 8 and 72 GPUs evenly).
        for name in lines.dropFirst().compactMap(\.first) {
            let scenario = try write(try mutate(ScenarioText.minimal(name: name, experts: 144, strategies: #"[{"name":"switch"}]"#),
                                                #""preset":"dgx-h100""#, #""preset":"\#(name)""#), to: "\(name).json")
            let sim = try moesim("simulate", scenario, "--format", "csv")
            assertStatus(sim, 0)
            XCTAssertEqual(CSV.table(sim.stdout).rows.first?["cluster"], name, sim.brief)
        }
    }
}
