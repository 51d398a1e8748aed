import Foundation
import XCTest

/// Issue 22, output half: what moesim does to the paths it writes and when writing fails.
/// stdout failures exit 74; atomic writes never replace a device, FIFO or symbolic link; merge
/// compares files, not path text; every output is checked before a run and written together;
/// huge plot values, empty and repeated flags, a directory given as a scenario.
final class HardenedOutputTests: MoesimTestCase {
    private func fileType(_ path: String) -> FileAttributeType? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.type]) as? FileAttributeType
    }

    private func analytical(name: String = "q") throws -> String {
        try write(mutate(ScenarioText.minimal(name: name), #""simulation":{"#, #""simulation":{"network":"analytical","#),
                  to: "\(name).json")
    }

    // MARK: stdout

    func testEveryCommandExits74WhenStdoutCannotBeWritten() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { throw XCTSkip("no /dev/full on this system") }
        let scenario = try analytical()
        let flow = try write(ScenarioText.minimal(name: "f"), to: "f.json")
        assertStatus(try moesim("trace", "generate", "--experts", "8", "--tokens", "64", "--gpus", "8", "-o", path("t.moetrace")), 0)
        try write("x,y\n1,2\n2,3\n", to: "v.csv")
        let commands: [[String]] = [
            ["simulate", scenario], ["simulate", scenario, "--format", "csv"], ["simulate", scenario, "--format", "json"],
            ["simulate", flow, "--format", "csv", "--out", path("out")],
            ["sweep", scenario, "--set", "trace.synthetic.zipf=0,1", "--jobs", "1"],
            ["plot", path("v.csv"), "--x", "x", "--y", "y", "-o", "-"],
            ["presets"], ["presets", "--format", "csv"], ["presets", "models"],
            ["trace", "stats", path("t.moetrace")], ["trace", "stats", path("t.moetrace"), "--format", "csv"],
            ["trace", "stats", path("t.moetrace"), "--format", "json"],
            ["help"], ["help", "simulate"], ["--help"], ["--version"], [], ["simulate", "--help"], ["trace", "--help"],
            ["bench", "routing", "--tokens", "1000", "--experts", "64", "--repeat", "1"],
        ]
        for arguments in commands {
            let run = try MoesimRunner.run(arguments, in: tmp, standardOutputPath: "/dev/full")
            assertStatus(run, 74)
            XCTAssertTrue(run.stderr.contains("moesim: cannot write to standard output: "), run.brief)
        }
    }

    // MARK: atomic writes

    func testAtomicWritesFollowSymbolicLinksAndWriteThroughDevices() throws {
        try write("x,y\n1,2\n2,3\n", to: "v.csv")
        let manager = FileManager.default
        // A link keeps pointing where it did; the file it points to gets the figure.
        try write("old", to: "real/target.svg")
        try manager.createSymbolicLink(atPath: path("link.svg"), withDestinationPath: "real/target.svg")
        assertStatus(try moesim("plot", path("v.csv"), "--x", "x", "--y", "y", "-o", path("link.svg")), 0)
        XCTAssertEqual(fileType(path("link.svg")), .typeSymbolicLink)
        XCTAssertTrue(try String(contentsOfFile: path("real/target.svg"), encoding: .utf8).contains("<svg "))
        XCTAssertEqual(contents(ofDirectory: "real"), ["target.svg"], "no temporary file left beside the target")

        // A dangling link creates its target; the binary trace writer follows links too.
        try manager.createSymbolicLink(atPath: path("trace.moetrace"), withDestinationPath: "real/made.moetrace")
        assertStatus(try moesim("trace", "generate", "--experts", "8", "--tokens", "64", "--gpus", "8", "-o",
                                path("trace.moetrace")), 0)
        XCTAssertEqual(fileType(path("trace.moetrace")), .typeSymbolicLink)
        XCTAssertEqual(fileType(path("real/made.moetrace")), .typeRegular)

        // A summary CSV under --out that is a link stays one.
        let scenario = try analytical(name: "s")
        try write("old", to: "real/summary.csv")
        try manager.createDirectory(atPath: path("out"), withIntermediateDirectories: true)
        try manager.createSymbolicLink(atPath: path("out/s.csv"), withDestinationPath: path("real/summary.csv"))
        assertStatus(try moesim("simulate", scenario, "--out", path("out")), 0)
        XCTAssertEqual(fileType(path("out/s.csv")), .typeSymbolicLink)
        XCTAssertTrue(try String(contentsOfFile: path("real/summary.csv"), encoding: .utf8).hasPrefix("scenario,"))

        // A character device is written through, never replaced (as root, rename would succeed).
        let flow = try write(ScenarioText.minimal(name: "f"), to: "f.json")
        for arguments in [["plot", path("v.csv"), "--x", "x", "--y", "y", "-o", "/dev/null"],
                          ["simulate", flow, "--timeline", "/dev/null"],
                          ["sweep", scenario, "--set", "trace.synthetic.zipf=0,1", "--out", "/dev/null"],
                          ["trace", "generate", "--experts", "8", "--tokens", "64", "--gpus", "8", "-o", path("dev.moetrace")]] {
            if arguments.last == path("dev.moetrace") {
                try manager.createSymbolicLink(atPath: path("dev.moetrace"), withDestinationPath: "/dev/null")
            }
            assertStatus(try moesim(arguments), 0)
            XCTAssertEqual(fileType("/dev/null"), .typeCharacterSpecial, arguments.joined(separator: " "))
        }
        XCTAssertEqual(fileType(path("dev.moetrace")), .typeSymbolicLink)

        // A named pipe is written through to its reader and stays a pipe.
        XCTAssertEqual(mkfifo(path("pipe.svg"), 0o600), 0)
        let fifo = path("pipe.svg"), received = DispatchGroup()
        final class Received: @unchecked Sendable { var data = Data() }  // written by the reader, read after wait()
        let figure = Received()
        DispatchQueue.global().async(group: received) {
            figure.data = FileHandle(forReadingAtPath: fifo)?.readDataToEndOfFile() ?? Data()
        }
        assertStatus(try moesim("plot", path("v.csv"), "--x", "x", "--y", "y", "-o", fifo), 0)
        XCTAssertEqual(received.wait(timeout: .now() + 60), .success)
        XCTAssertTrue(String(decoding: figure.data, as: UTF8.self).contains("<svg "))
        var status = stat()
        XCTAssertEqual(lstat(fifo, &status), 0)
        XCTAssertEqual(status.st_mode & S_IFMT, S_IFIFO, "still a pipe")
        if manager.fileExists(atPath: "/dev/full") {
            assertFailure(try moesim("plot", path("v.csv"), "--x", "x", "--y", "y", "-o", "/dev/full"), 73,
                          mentions: ["/dev/full", "No space left on device"])
            XCTAssertEqual(fileType("/dev/full"), .typeCharacterSpecial)
        }
    }

    // MARK: all or nothing across flags

    func testEveryOutputIsCheckedBeforeTheRunAndNoneIsWrittenOnFailure() throws {
        // A trace whose last chunk is corrupt fails only while simulating (exit 65): getting 73
        // instead proves the outputs were checked before the run.
        assertStatus(try moesim("trace", "generate", "--experts", "16", "--tokens", "512", "--gpus", "8", "-o", path("g.moetrace")), 0)
        var bytes = try Data(contentsOf: tmp.appendingPathComponent("g.moetrace"))
        bytes[bytes.count - 3] ^= 0x40
        try bytes.write(to: tmp.appendingPathComponent("corrupt.moetrace"))
        let corrupt = try write(mutate(ScenarioText.minimal(name: "c"), #""trace":{"synthetic":{"zipf":1.0}}"#,
                                       #""trace":{"file":"corrupt.moetrace"}"#), to: "c.json")
        try write("a file", to: "afile")
        assertFailure(try moesim("simulate", corrupt, "--timeline", path("tl.json"), "--out", path("afile/sub")), 73,
                      mentions: ["afile/sub/c.csv", "afile is not a directory"])
        XCTAssertFalse(exists("tl.json"))
        assertFailure(try moesim("simulate", corrupt, "--timeline", path("tl.json")), 65, mentions: ["CRC-32"])

        // The same with a valid scenario: no timeline left behind.
        let flow = try write(ScenarioText.minimal(name: "f"), to: "f.json")
        assertFailure(try moesim("simulate", flow, "--timeline", path("tl.json"), "--out", path("afile/sub")), 73,
                      mentions: ["afile"])
        XCTAssertFalse(exists("tl.json"))
        assertStatus(try moesim("simulate", flow, "--timeline", path("tl.json"), "--out", path("ok")), 0)
        XCTAssertEqual(contents(ofDirectory: "ok"), ["f.csv", "f.per_expert.csv", "f.per_gpu.csv"])
        XCTAssertTrue(exists("tl.json"))

        // A 240-byte scenario name works (the temporary files get shorter names); one that makes a
        // file name longer than 255 bytes (245 + ".per_gpu.csv") fails before the run.
        let fits = String(repeating: "n", count: 240)
        assertStatus(try moesim("simulate", try write(ScenarioText.minimal(name: fits), to: "fits.json"), "--out", path("fits")), 0)
        XCTAssertEqual(contents(ofDirectory: "fits"), [".csv", ".per_expert.csv", ".per_gpu.csv"].map { fits + $0 })
        let long = String(repeating: "n", count: 245)
        let longFile = try write(ScenarioText.minimal(name: long), to: "long.json")
        assertFailure(try moesim("simulate", longFile, "--timeline", path("tl2.json"), "--out", path("long")), 73,
                      mentions: ["bytes long", "at most 255"])
        XCTAssertFalse(exists("tl2.json"))
        XCTAssertFalse(exists("long"))
        // A directory this process may not write in is found before the run too (root may write anywhere).
        if getuid() != 0 {
            try FileManager.default.createDirectory(atPath: path("locked"), withIntermediateDirectories: true)
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: path("locked"))
            defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path("locked")) }
            assertFailure(try moesim("simulate", corrupt, "--out", path("locked/sub")), 73, mentions: ["cannot create files in"])
        }
        // The timeline and an --out file naming the same file are refused, nothing written.
        assertFailure(try moesim("simulate", flow, "--timeline", path("same/f.csv"), "--out", path("same")), 73,
                      mentions: ["same/f.csv", "also another output"])
        XCTAssertFalse(exists("same"))
    }

    // MARK: merge

    func testMergeRefusesDuplicateShardsBadRowsAndItsOwnInputs() throws {
        let scenario = try analytical(name: "g")
        let grid = ["--set", "trace.synthetic.zipf=0:1:+0.5", "--set", "routing.capacityFactor=null,1"]
        for i in 0..<3 {
            assertStatus(try moesim(["sweep", scenario] + grid + ["--shard", "\(i)/3", "--out", path("s\(i).csv")]), 0)
        }
        let shards = (0..<3).map { path("s\($0).csv") }
        let original = try Data(contentsOf: tmp.appendingPathComponent("s0.csv"))

        // The issue's reproducers: a shard twice (by the same and by another path), OUT one of the shards.
        assertFailure(try moesim(["merge", path("out.csv"), shards[0]] + shards), 64, mentions: ["s0.csv", "given twice"])
        try FileManager.default.createSymbolicLink(atPath: path("alias.csv"), withDestinationPath: "s1.csv")
        assertFailure(try moesim(["merge", path("out.csv"), path("alias.csv")] + shards), 64, mentions: ["alias.csv", "given twice"])
        let dotted = tmp.path + "/./s0.csv"
        assertFailure(try moesim(["merge", dotted] + shards), 64, mentions: ["also given as a shard"])
        XCTAssertFalse(exists("out.csv"))
        XCTAssertEqual(try Data(contentsOf: tmp.appendingPathComponent("s0.csv")), original, "the shard is untouched")

        // A row with a column less: exit 65 naming the file and the line.
        var lines = try String(contentsOfFile: shards[1], encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        lines[2] = lines[2][..<(lines[2].lastIndex(of: ",") ?? lines[2].endIndex)]
        try write(lines.joined(separator: "\n"), to: "short.csv")
        assertFailure(try moesim("merge", path("out.csv"), shards[0], path("short.csv"), shards[2]), 65,
                      mentions: ["short.csv: line 3:", "field(s), but the header has"])

        // A grid that claims 10^12 points is reported, not enumerated.
        let huge = try String(contentsOfFile: shards[0], encoding: .utf8)
            .replacingOccurrences(of: #",(\d+),6,"#, with: ",$1,1000000000000,", options: .regularExpression)
        try write(huge, to: "huge.csv")
        assertFailure(try moesim("merge", path("out.csv"), path("huge.csv")), 65, mentions: ["of 1000000000000 points are in no shard"])
        XCTAssertFalse(exists("out.csv"))

        assertStatus(try moesim(["merge", path("out.csv")] + shards), 0)
    }

    // MARK: plot

    func testPlotsOfValuesNearTheLargestDoubleHaveFiniteAxes() throws {
        try write("x,y\n1,0\n2,1.7e308\n", to: "v.csv")
        try write("x,y\na,1.797e308\nb,-1.797e308\n", to: "b.csv")
        try write("x,y\na,1.7e308\na,1.7e308\n", to: "sum.csv")
        for (file, kind) in [("v.csv", "line"), ("b.csv", "bar"), ("sum.csv", "bar")] {
            let run = try moesim("plot", path(file), "--x", "x", "--y", "y", "--kind", kind, "-o", path(file + ".svg"))
            assertStatus(run, 0)
            let text = try String(contentsOfFile: path(file + ".svg"), encoding: .utf8)
            XCTAssertFalse(text.contains("nan") || text.contains("inf"), file)
            let area = try XCTUnwrap(SVGDocument(path: path(file + ".svg")).all("rect", class: "plot-area").first)
            let yMin = try XCTUnwrap(area.number("data-y-min")), yMax = try XCTUnwrap(area.number("data-y-max"))
            XCTAssertTrue(yMin.isFinite && yMax.isFinite, file)
            let values = file == "v.csv" ? [0, 1.7e308] : file == "b.csv" ? [1.797e308, -1.797e308] : [1.7e308]
            for value in values { XCTAssertTrue(yMin <= value && value <= yMax, "\(file): \(value) within [\(yMin), \(yMax)]") }
        }
        // The bar chart's y ticks are -1e308, 0 and 1e308, not a 0-1 axis.
        let ticks = try SVGDocument(path: path("b.csv.svg")).all("text", class: "tick-label").map(\.text)
        XCTAssertEqual(ticks.filter { $0 != "a" && $0 != "b" }, ["-1e+308", "0", "1e+308"])
    }

    // MARK: flags and inputs

    func testEmptyAndRepeatedFlagsAreUsageErrors() throws {
        let scenario = try analytical()
        try write("x,y\n1,2\n", to: "v.csv")
        let cases: [([String], String)] = [
            (["simulate", scenario, "--out", ""], "--out needs a path"),
            (["simulate", scenario, "--timeline="], "--timeline needs a path"),
            (["sweep", scenario, "--set", "cluster.nodes=1", "--out", ""], "--out needs a path"),
            (["plot", path("v.csv"), "--x", "x", "--y", "y", "-o", ""], "-o needs a path"),
            (["trace", "generate", "--experts", "8", "--tokens", "8", "-o", ""], "-o needs a path"),
            (["merge", "", path("v.csv")], "empty path"),
            (["simulate", scenario, "--format", "csv", "--format", "json"], "--format is given more than once"),
            (["simulate", scenario, "--seed=1", "--seed", "2"], "--seed is given more than once"),
            (["sweep", scenario, "--set", "cluster.nodes=1", "--jobs", "1", "--jobs", "2"], "--jobs is given more than once"),
            (["plot", path("v.csv"), "--x", "x", "--x", "y", "--y", "y", "-o", path("a.svg")], "--x is given more than once"),
            (["plot", path("v.csv"), "--x", "x", "--y", "y", "-o", path("a.svg"), "--out", path("b.svg")], "-o and --out"),
            (["plot", path("v.csv"), "--x", "x", "--y", "y", "--log-y", "--log-y", "-o", path("a.svg")],
             "--log-y is given more than once"),
            (["sweep", scenario, "--set", "cluster.nodes=1", "--out", path("s.csv"), "--resume=yes"], "--resume takes no value"),
        ]
        for (arguments, message) in cases {
            assertFailure(try moesim(arguments), 64, mentions: [message])
        }
        XCTAssertEqual(contents(ofDirectory: "").filter { !$0.hasSuffix(".json") && $0 != "v.csv" }, [], "nothing written")
        // Repeatable flags stay repeatable.
        try write("x,y,k\n1,2,a\n2,3,b\n", to: "w.csv")
        assertStatus(try moesim("plot", path("w.csv"), "--x", "x", "--y", "y", "--where", "k=a", "--where", "x=1", "-o", path("w.svg")), 0)
    }

    func testADirectoryGivenAsAnInputIsNamedAsSuch() throws {
        try FileManager.default.createDirectory(atPath: path("dir"), withIntermediateDirectories: true)
        let run = try moesim("simulate", path("dir"))
        assertFailure(run, 66, mentions: [path("dir"), "it is a directory"])
        XCTAssertFalse(run.stderr.contains("NSCocoaErrorDomain"), run.brief)
        assertFailure(try moesim("sweep", path("dir"), "--set", "cluster.nodes=1"), 66, mentions: ["it is a directory"])
        // Every command that reads a file says the same: an input that cannot be opened is 66.
        assertFailure(try moesim("plot", path("dir"), "--x", "a", "--y", "b", "-o", path("f.svg")), 66,
                      mentions: ["it is a directory"])
        assertFailure(try moesim("validate", path("dir")), 66, mentions: ["it is a directory"])
        assertFailure(try moesim("merge", path("out.csv"), path("dir")), 66, mentions: ["is a directory"])
    }

    func testATinyMeasurementGivesABoundedErrorPercentage() throws {
        let id = "deepep-normal-intra-dispatch"
        let shipped = MoesimRunner.packageRoot.appendingPathComponent("scenarios/validation/\(id).json")
        try write(String(contentsOf: shipped, encoding: .utf8), to: "v/\(id).json")
        try write("id,metric,measured,unit\n\(id),bottleneck_bandwidth,1e-300,GB/s\n", to: "v/m.csv")
        let csv = try moesim("validate", path("v/m.csv"), "--format", "csv", "--jobs", "1")
        assertStatus(csv, 1)
        let row = try XCTUnwrap(CSV.table(csv.stdout).rows.first)
        let errorText = try XCTUnwrap(row["error_pct"])
        XCTAssertLessThan(errorText.count, 16, errorText)
        let error = try XCTUnwrap(Double(errorText))
        XCTAssertGreaterThan(error, 1e300, "the value is kept, in exponent notation")
        XCTAssertLessThan(row["measured"]?.count ?? 99, 16, csv.brief)
        let table = try moesim("validate", path("v/m.csv"), "--jobs", "1")
        assertStatus(table, 1)
        XCTAssertTrue(table.stdout.split(separator: "\n").allSatisfy { $0.count < 200 }, table.brief)
        XCTAssertTrue(table.stdout.contains("e+30"), table.brief)
    }
}
