import Foundation
import XCTest
@testable import MoESimCore

/// Sweep grids: key paths, value and range parsing, grid order, validation, shards, resume and merge.
final class SweepTests: XCTestCase {
    /// A small base scenario document (8 GPUs, 16 experts, 32 tokens per GPU, analytical).
    private let base = try! JSONParser.parse("""
        {"version": 1, "name": "grid",
         "cluster": {"preset": "dgx-h100", "nodes": 1},
         "model": {"hiddenSize": 256, "expertFFNSize": 512, "experts": 16},
         "parallelism": {"tokensPerGPU": 32},
         "routing": {"strategies": [{"name": "switch"}, {"name": "topk", "k": 2}]},
         "trace": {"synthetic": {"zipf": 0.5}},
         "simulation": {"network": "analytical", "seed": 3}}
        """)

    private func axes(_ arguments: String...) throws -> [SweepAxis] { try arguments.map(SweepAxis.init(parsing:)) }

    // MARK: key paths

    func testKeyPathParsesKeysAndSubscripts() throws {
        XCTAssertEqual(try ScenarioKeyPath("routing.strategies[1].k").components,
                       [.key("routing"), .key("strategies"), .index(1), .key("k")])
        XCTAssertEqual(try ScenarioKeyPath("cluster.nodes").components, [.key("cluster"), .key("nodes")])
        for bad in ["", "cluster.", ".nodes", "cluster..nodes", "routing.strategies[x]", "routing.strategies[-1]",
                    "routing.strategies[1]k", "a b"] {
            XCTAssertThrowsError(try ScenarioKeyPath(bad), "\"\(bad)\" should not parse")
        }
    }

    func testSettingReplacesAddsAndRefusesImpossiblePaths() throws {
        let nodes = try ScenarioKeyPath("cluster.nodes").setting(.number(2), in: base)
        XCTAssertEqual(try Scenario.decode(nodes).cluster.nodes, 2)
        // A key the file leaves out is added, so its default can be swept too.
        let cf = try ScenarioKeyPath("routing.capacityFactor").setting(.number(1.25), in: base)
        XCTAssertEqual(try Scenario.decode(cf).capacityFactor, 1.25)
        let k = try ScenarioKeyPath("routing.strategies[1].k").setting(.number(4), in: base)
        XCTAssertEqual(try Scenario.decode(k).strategies.map(\.k), [1, 4])
        // Member order is kept: the document is unchanged but for the value.
        guard case .object(let members) = nodes else { return XCTFail("not an object") }
        XCTAssertEqual(members.map(\.key), ["version", "name", "cluster", "model", "parallelism", "routing", "trace", "simulation"])

        XCTAssertThrowsError(try ScenarioKeyPath("routing.strategies[2].k").setting(.number(1), in: base)) {
            XCTAssertTrue("\($0)".contains("has 2 element(s)"), "\($0)")
        }
        XCTAssertThrowsError(try ScenarioKeyPath("name.first").setting(.number(1), in: base)) {
            XCTAssertTrue("\($0)".contains("name is a string"), "\($0)")
        }
    }

    // MARK: values and ranges

    func testAxisParsesValuesAndRanges() throws {
        let nodes = try SweepAxis(parsing: "cluster.nodes=1:64:x2")
        XCTAssertEqual(nodes.values, [1, 2, 4, 8, 16, 32, 64].map { .number($0) })
        XCTAssertEqual(nodes.labels, ["1", "2", "4", "8", "16", "32", "64"])
        // Arithmetic ranges are computed from the start and rounded: no 0.30000000000000004.
        XCTAssertEqual(try SweepAxis(parsing: "x=0.1:0.3:+0.1").labels, ["0.1", "0.2", "0.3"])
        XCTAssertEqual(try SweepAxis(parsing: "x=0:3").labels, ["0", "1", "2", "3"])
        XCTAssertEqual(try SweepAxis(parsing: "x=1:10:x3").labels, ["1", "3", "9"])
        XCTAssertEqual(try SweepAxis(parsing: "x=1:10:×3").values, try SweepAxis(parsing: "x=1:10:*3").values)
        XCTAssertEqual(try SweepAxis(parsing: "x=1:10:×3").values, try SweepAxis(parsing: "x=1:10:x3").values)
        // Lists mix ranges and single values, in order.
        XCTAssertEqual(try SweepAxis(parsing: "x=null,1:2,2.5").labels, ["null", "1", "2", "2.5"])
        let words = try SweepAxis(parsing: "simulation.network=analytical,flow, \"quoted\" ,true")
        XCTAssertEqual(words.values, [.string("analytical"), .string("flow"), .string("quoted"), .bool(true)])
        XCTAssertEqual(words.labels, ["analytical", "flow", "quoted", "true"])
    }

    func testAxisRejectsMalformedValues() throws {
        let cases = ["cluster.nodes", "cluster.nodes=", "cluster.nodes=1,,2", "x=4:1", "x=1:8:x1", "x=0:8:x2",
                     "x=1:8:+0", "x=1:8:-1", "x=1:8:/2", "x=1:2:+1:3", "x=0:1e9", "bad path=1"]
        for argument in cases {
            XCTAssertThrowsError(try SweepAxis(parsing: argument), argument) { error in
                XCTAssertTrue("\(error)".hasPrefix("--set \(argument)"), "the message quotes the argument: \(error)")
            }
        }
    }

    // MARK: grids

    func testGridIsRowMajorInSetOrderAndAppliesEveryOverride() throws {
        let grid = try SweepGrid(base: base, axes: axes("cluster.nodes=1,2", "routing.capacityFactor=null,1,2"))
        XCTAssertEqual(grid.pointCount, 6)
        XCTAssertEqual((0..<6).map { grid.labels(of: $0) }, [["1", "null"], ["1", "1"], ["1", "2"],
                                                            ["2", "null"], ["2", "1"], ["2", "2"]])
        let scenarios = try (0..<6).map { try grid.scenario(at: $0) }
        XCTAssertEqual(scenarios.map(\.cluster.nodes), [1, 1, 1, 2, 2, 2])
        XCTAssertEqual(scenarios.map(\.capacityFactor), [nil, 1, 2, nil, 1, 2])
    }

    func testLinkedPathsTakeEachValueTogether() throws {
        let axis = try SweepAxis(parsing: "routing.strategies[0].k+routing.strategies[1].k=1,2")
        XCTAssertEqual(axis.name, "routing.strategies[0].k+routing.strategies[1].k")
        let switchless = try ScenarioKeyPath("routing.strategies[0].name").setting(.string("topk"), in: base)
        let grid = try SweepGrid(base: switchless, axes: [axis])
        XCTAssertEqual(grid.pointCount, 2, "one axis, not a 2 × 2 grid")
        XCTAssertEqual(try (0..<2).map { try grid.scenario(at: $0).strategies.map(\.k) }, [[1, 1], [2, 2]])
        XCTAssertEqual(SweepTable(grid: grid).header.split(separator: ",")[3], "routing.strategies[0].k+routing.strategies[1].k")
        XCTAssertThrowsError(try SweepGrid(base: base, axes: axes("cluster.nodes+routing.capacityFactor=1", "cluster.nodes=2")))
    }

    func testGridIDDependsOnScenarioAndValuesOnly() throws {
        let a = try SweepGrid(base: base, axes: axes("cluster.nodes=1,2"))
        XCTAssertEqual(a.gridID, try SweepGrid(base: base, axes: axes("cluster.nodes=1:2")).gridID,
                       "the same values written differently are the same grid")
        XCTAssertEqual(a.gridID.count, 16)
        XCTAssertNotEqual(a.gridID, try SweepGrid(base: base, axes: axes("cluster.nodes=1,4")).gridID)
        let reseeded = try ScenarioKeyPath("simulation.seed").setting(.number(4), in: base)
        XCTAssertNotEqual(a.gridID, try SweepGrid(base: reseeded, axes: axes("cluster.nodes=1,2")).gridID)
    }

    func testGridRefusesRepeatedPathsBadValuesAndHugeGrids() throws {
        XCTAssertThrowsError(try SweepGrid(base: base, axes: axes("cluster.nodes=1", "cluster.nodes=2")))
        XCTAssertThrowsError(try SweepGrid(base: base, axes: axes("a=1:1000", "b=1:1000", "c=1:2")))
        let grid = try SweepGrid(base: base, axes: axes("cluster.nodes=1,0", "cluster.nodez=1"))
        XCTAssertThrowsError(try grid.scenario(at: 0)) {
            XCTAssertEqual(($0 as? SweepError)?.exitCode, 64)
            XCTAssertTrue("\($0)".contains("cluster.nodez: unknown key"), "\($0)")
        }
        // The plan validates every point, so a bad value anywhere fails before anything runs.
        XCTAssertThrowsError(try SweepPlan(grid: SweepGrid(base: base, axes: axes("cluster.nodes=1,0")))) {
            XCTAssertTrue("\($0)".contains("grid point 1 (cluster.nodes=0)"), "\($0)")
            XCTAssertTrue("\($0)".contains("cluster.nodes: must be in"), "\($0)")
        }
        XCTAssertThrowsError(try SweepPlan(grid: SweepGrid(base: base, axes: []), shard: (2, 2)))
    }

    // MARK: shards, resume, merge

    private func smallGrid() throws -> SweepGrid {
        try SweepGrid(base: base, axes: axes("trace.synthetic.zipf=0,1", "routing.capacityFactor=null,1,1.5"))
    }

    private func runAll(_ plan: SweepPlan, jobs: Int = 1) throws -> String {
        var text = plan.table.header
        try OrderedParallelMap.run(count: plan.points.count, jobs: jobs, work: { try plan.rows(at: $0) }) { _, rows in
            text += rows
        }
        return text
    }

    func testShardsSplitThePointsAndMergeToTheUnshardedBytes() throws {
        let grid = try smallGrid()
        let whole = try runAll(SweepPlan(grid: grid))
        XCTAssertEqual(whole.split(separator: "\n").count, 1 + 6 * 2, "a header and one row per (point, strategy)")
        let shards = try (0..<4).map { try SweepPlan(grid: grid, shard: ($0, 4)) }
        XCTAssertEqual(shards.map(\.points), [[0, 4], [1, 5], [2], [3]])
        let texts = try shards.enumerated().map { ("shard\($0.offset).csv", try runAll($0.element)) }
        XCTAssertEqual(try SweepMerge.merge(texts.reversed()), whole, "merge restores grid order byte for byte")
    }

    func testParallelRunsGiveTheSameBytes() throws {
        let plan = try SweepPlan(grid: smallGrid())
        XCTAssertEqual(try runAll(plan, jobs: 4), try runAll(plan, jobs: 1))
    }

    func testMergeRefusesMismatchedMissingRepeatedAndCutShards() throws {
        let grid = try smallGrid()
        let shard0 = try runAll(SweepPlan(grid: grid, shard: (0, 2)))
        let shard1 = try runAll(SweepPlan(grid: grid, shard: (1, 2)))
        let otherGrid = try SweepGrid(base: base, axes: axes("trace.synthetic.zipf=0,2", "routing.capacityFactor=null,1,1.5"))
        let other1 = try runAll(SweepPlan(grid: otherGrid, shard: (1, 2)))
        func refusal(_ shards: [(String, String)]) -> String {
            do { _ = try SweepMerge.merge(shards); return "merged" } catch { return "\(error)" }
        }
        XCTAssertTrue(refusal([("a", shard0), ("b", other1)]).contains("shards of different sweeps"))
        XCTAssertTrue(refusal([("a", shard0)]).contains("3 of 6 points are in no shard"))
        XCTAssertTrue(refusal([("a", shard0), ("b", shard1), ("c", shard1)]).contains("is in both b and c"))
        XCTAssertTrue(refusal([("a", shard0), ("b", String(shard1.dropLast(5)))]).contains("ends in the middle of a row"))
        XCTAssertTrue(refusal([("a", "scenario,strategy\n")]).contains("not a moesim sweep CSV"))
    }

    func testResumeKeepsTheFinishedPrefixAndRedoesACutPoint() throws {
        let plan = try SweepPlan(grid: smallGrid())
        let whole = try runAll(plan)
        let lines = whole.split(separator: "\n", omittingEmptySubsequences: false).map { $0 + "\n" }
        // Header, points 0 and 1 (2 rows each), then one row of point 2 and half a line: what a kill leaves.
        let cut = lines[0..<6].joined() + lines[6].prefix(20)
        let kept = try plan.finishedPrefix(of: SweepTable.read(cut, file: "cut.csv"), file: "cut.csv")
        XCTAssertEqual(kept.points, 2)
        XCTAssertEqual(kept.bytes, lines[0..<5].joined().utf8.count)
        var resumed = String(cut.utf8.prefix(kept.bytes))!
        for position in kept.points..<plan.points.count { resumed += try plan.rows(at: position) }
        XCTAssertEqual(resumed, whole)

        let finished = try plan.finishedPrefix(of: SweepTable.read(whole, file: "w"), file: "w")
        XCTAssertEqual(finished.points, 6)
        XCTAssertEqual(finished.bytes, whole.utf8.count)
        // Another shard's file or another grid's is refused rather than silently mixed.
        let shard1 = try runAll(SweepPlan(grid: smallGrid(), shard: (1, 2)))
        XCTAssertThrowsError(try plan.finishedPrefix(of: SweepTable.read(shard1, file: "s"), file: "s"))
        let other = try SweepPlan(grid: SweepGrid(base: base, axes: axes("trace.synthetic.zipf=0,3",
                                                                           "routing.capacityFactor=null,1,1.5")))
        XCTAssertThrowsError(try other.finishedPrefix(of: SweepTable.read(whole, file: "w"), file: "w")) {
            XCTAssertTrue("\($0)".contains("not this sweep's grid"), "\($0)")
        }
    }

    /// `SweepFile` (behind `sweep --out` and `--resume`): a new file starts with the header; a resumed
    /// one keeps its finished points, loses the cut-short tail and gets the rest appended, giving
    /// the bytes of an uninterrupted run; a missing file is started; a foreign one is refused.
    func testSweepFileStartsResumesAndTruncatesAtTheFinishedPrefix() throws {
        let plan = try SweepPlan(grid: smallGrid())
        let whole = try runAll(plan)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("moesim-sweepfile-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/rows.csv"
        func contents() throws -> String { try String(contentsOfFile: path, encoding: .utf8) }
        func finish(_ file: SweepFile) throws {
            for position in file.keptPoints..<plan.points.count { try file.append(plan.rows(at: position)) }
            try file.close()
        }

        // Resume with no file yet: a fresh start, the header written before any row.
        let fresh = try SweepFile(path: path, plan: plan, resume: true)
        XCTAssertEqual(fresh.keptPoints, 0)
        XCTAssertNil(fresh.resumeNote)
        XCTAssertEqual(try contents(), plan.table.header)
        try finish(fresh)
        XCTAssertEqual(try contents(), whole)

        // What a kill leaves: points 0 and 1 (2 rows each), one row of point 2, half a line.
        let lines = whole.split(separator: "\n", omittingEmptySubsequences: false).map { $0 + "\n" }
        let cut = lines[0..<6].joined() + lines[6].prefix(20)
        try cut.write(toFile: path, atomically: true, encoding: .utf8)
        let resumed = try SweepFile(path: path, plan: plan, resume: true)
        XCTAssertEqual(resumed.keptPoints, 2)
        XCTAssertEqual(resumed.resumeNote, "resume: \(path) has 2 of this sweep's 6 points; running the other 4")
        XCTAssertEqual(try contents(), lines[0..<5].joined(), "the cut point's row and the half line are gone")
        try finish(resumed)
        XCTAssertEqual(try contents(), whole)

        // A finished file resumes to nothing left to run; without --resume it starts over.
        let done = try SweepFile(path: path, plan: plan, resume: true)
        XCTAssertEqual(done.keptPoints, 6)
        try done.close()
        XCTAssertEqual(try contents(), whole)
        let again = try SweepFile(path: path, plan: plan, resume: false)
        XCTAssertEqual(again.keptPoints, 0)
        XCTAssertNil(again.resumeNote)
        try again.close()
        XCTAssertEqual(try contents(), plan.table.header)

        // Refusals, with the exit code each deserves; a refused file is left as it was.
        func refusal(_ path: String) -> SweepError? {
            do { _ = try SweepFile(path: path, plan: plan, resume: true); return nil } catch { return error as? SweepError }
        }
        try Data([0x67, 0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(refusal(path), .data("\(path) cannot be read as UTF-8 text; it is not a sweep's output"))
        let other = try SweepPlan(grid: SweepGrid(base: base, axes: axes("trace.synthetic.zipf=0,3",
                                                                           "routing.capacityFactor=null,1,1.5")))
        try runAll(other).write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(refusal(path)?.exitCode, 65)
        XCTAssertTrue(refusal(path)?.description.contains("not this sweep's grid") ?? false)
        XCTAssertEqual(try contents(), try runAll(other))
        let unwritable = refusal(path + "/under-a-file.csv")  // the folder would be a file
        XCTAssertEqual(unwritable?.exitCode, 73, "\(String(describing: unwritable))")
    }

    // MARK: the parallel map

    func testOrderedParallelMapDeliversInOrderWhateverFinishesFirst() throws {
        for jobs in [1, 3, 8] {
            var delivered: [Int] = []
            try OrderedParallelMap.run(count: 40, jobs: jobs, work: { i -> Int in
                usleep(UInt32((i * 7919) % 5) * 300)  // later items often finish first
                return i * i
            }) { i, square in
                XCTAssertEqual(square, i * i)
                delivered.append(i)
            }
            XCTAssertEqual(delivered, Array(0..<40), "jobs \(jobs)")
        }
    }

    func testOrderedParallelMapStopsWhenDeliveryFails() {
        struct Full: Error {}
        let started = ManagedCounter()
        XCTAssertThrowsError(try OrderedParallelMap.run(count: 1_000, jobs: 2, work: { i -> Int in
            started.increment()
            usleep(200)
            return i
        }) { i, _ in
            if i == 3 { throw Full() }
        })
        XCTAssertLessThan(started.value, 1_000, "no new item starts after the failure")
    }
}

/// A thread-safe counter for the tests.
private final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
    func increment() { lock.lock(); count += 1; lock.unlock() }
}
