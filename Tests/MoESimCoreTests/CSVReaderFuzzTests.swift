import Foundation
import XCTest
@testable import MoESimCore

/// Seeded fuzzing of the CSV readers behind `merge`, `plot` and `validate`: valid files mutated
/// byte by byte and line by line (quotes, commas, CR, BOM, NUL, huge and tiny numbers, cut
/// lines, duplicated rows). Each case must end in a typed error of the reader's domain (which
/// the CLI maps to an exit code) or in a parse whose result satisfies the reader's promises;
/// a crash fails the whole run. Same seeds, same cases: a failure is reproducible by its index.
///
/// A longer run for nightly use: `MOESIM_FUZZ_SCALE=100 swift test --filter CSVReaderFuzzTests`
/// multiplies the case counts; `MOESIM_FUZZ_SEED=N` shifts every seed to explore other cases.
final class CSVReaderFuzzTests: XCTestCase {
    /// `count` cases, scaled by `FuzzBudget`.
    static func cases(_ count: Int) -> Int { FuzzBudget.cases(count) }

    /// The generator of the target seeded `seed`, shifted by `FuzzBudget.seedShift`.
    static func generator(_ seed: UInt64) -> SplitMix64 { SplitMix64(seed: seed &+ FuzzBudget.seedShift &* 0x1_0000) }

    /// Fragments that stress CSV and number parsing.
    static let fragments = [",", "\"", "\"\"", "\n", "\r\n", "\r", "\u{FEFF}", "\0", "-", "e", ".", "1e308", "1.797e308",
                            "-1.797e308", "5e-324", "1e-300", "nan", "inf", "-0", "", " ", "9999999999999999999999",
                            "1000000000000", "-1", "é", "\u{1F600}", String(repeating: "9", count: 400)]

    /// `text` with 1 to 4 random edits.
    static func mutate(_ text: String, _ random: inout SplitMix64) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for _ in 0...random.below(4) {
            guard !lines.isEmpty else { lines = [""]; continue }
            let line = random.below(lines.count)
            switch random.below(7) {
            case 0: lines.insert(lines[line], at: random.below(lines.count + 1))           // a duplicated row
            case 1: lines.remove(at: line)                                                // a lost row
            case 2:                                                                       // a cut line
                let bytes = Array(lines[line].utf8)
                lines[line] = String(decoding: bytes.prefix(random.below(bytes.count + 1)), as: UTF8.self)
            case 3:                                                                       // a field replaced
                var fields = lines[line].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                fields[random.below(fields.count)] = fragments[random.below(fragments.count)]
                lines[line] = fields.joined(separator: ",")
            case 4:                                                                       // a fragment inserted
                var bytes = Array(lines[line].utf8)
                bytes.insert(contentsOf: Array(fragments[random.below(fragments.count)].utf8), at: random.below(bytes.count + 1))
                lines[line] = String(decoding: bytes, as: UTF8.self)
            case 5:                                                                       // a byte flipped
                var bytes = Array(lines[line].utf8)
                if !bytes.isEmpty { bytes[random.below(bytes.count)] ^= UInt8(1 << random.below(8)) }
                lines[line] = String(decoding: bytes, as: UTF8.self)
            default: lines[line] += "," + fragments[random.below(fragments.count)]      // an extra column
            }
        }
        return lines.joined(separator: "\n")
    }

    /// A small sweep CSV in the format `moesim sweep` writes: 3 points, 2 strategies, shard `index` of `count`.
    static func shard(_ index: Int, of count: Int) -> String {
        var text = "grid,point,points,cluster.nodes,scenario,strategy,step_time_us\n"
        for point in stride(from: index, to: 3, by: count) {
            for strategy in ["switch", "\"top,k\""] { text += "abc123,\(point),3,\(point + 1),s,\(strategy),\(Double(point) * 1.5)\n" }
        }
        return text
    }

    func testMergeOfMutatedShardsFailsCleanlyOrKeepsEveryRow() throws {
        var random = Self.generator(22)
        var merged = 0
        for index in 0..<Self.cases(1500) {
            var shards = [(path: "s0.csv", text: Self.shard(0, of: 2)), (path: "s1.csv", text: Self.shard(1, of: 2))]
            let victim = random.below(2)
            shards[victim].text = Self.mutate(shards[victim].text, &random)
            do {
                let output = try SweepMerge.merge(shards)
                merged += 1
                // A merge keeps the header and every complete row once, and is a valid sweep CSV itself.
                let rows = try shards.map { try SweepTable.read($0.text, file: $0.path).rows.count }.reduce(0, +)
                let again = try SweepTable.read(output, file: "merged")
                XCTAssertEqual(again.rows.count, rows, "case \(index)")
                XCTAssertFalse(again.endsMidLine, "case \(index)")
                XCTAssertEqual(Set(again.rows.map(\.point)).count, again.pointCount ?? 0, "case \(index): every point once")
            } catch let error as SweepError {
                XCTAssertEqual(error.exitCode, 65, "case \(index): \(error)")
                XCTAssertLessThan(error.description.count, 1000, "case \(index): a short message")
            }
        }
        XCTAssertGreaterThan(merged, 50, "some mutations (a duplicated header-free row, an edited value) still merge")
    }

    /// A geometry or axis-range attribute holding nan or inf (labels may legitimately say "inf").
    static let nonFiniteCoordinate =
        #" (x|y|x1|x2|y1|y2|cx|cy|width|height|d|transform|data-[xy]-m(in|ax))="[^"]*(nan|inf)"#

    func testPlotOfMutatedTablesFailsCleanlyOrDrawsFiniteFigures() throws {
        var random = Self.generator(2022)
        let base = "x,y,k\n1,2.5,a\n2,1e308,b\n3,-4,a\n\"4\",0,\"b,c\"\n5,7,a\n"
        var drawn = 0
        for index in 0..<Self.cases(1500) {
            let text = Self.mutate(base, &random)
            let kind: PlotRequest.Kind = random.below(2) == 0 ? .line : .bar
            let request = PlotRequest(xColumn: "x", yColumn: "y", byColumn: random.below(2) == 0 ? "k" : nil, kind: kind,
                                      logarithmicY: random.below(4) == 0)
            do {
                let table = try CSVTable(text: text, source: "fuzz.csv")
                XCTAssertEqual(table.rows.count, table.lineNumbers.count, "case \(index)")
                XCTAssertTrue(table.rows.allSatisfy { $0.count == table.header.count }, "case \(index)")
                let svg = SVGPlot.render(try PlotData(table: table, request: request))
                drawn += 1
                XCTAssertNil(svg.range(of: Self.nonFiniteCoordinate, options: .regularExpression), "case \(index): \(text)")
            } catch let error as CSVError {
                XCTAssertEqual(error.exitCode, 65, "case \(index)")
            } catch let error as PlotError {
                XCTAssertEqual(error.exitCode, 65, "case \(index): \(error)")
            }
        }
        XCTAssertGreaterThan(drawn, 100)
    }

    func testValidationSetsOfMutatedMeasurementFilesFailCleanlyOrLoad() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("moesim-fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let id = "deepep-normal-intra-dispatch"
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        try FileManager.default.copyItem(at: root.appendingPathComponent("scenarios/validation/\(id).json"),
                                         to: directory.appendingPathComponent("\(id).json"))
        let base = "id,metric,measured,unit,note\n\(id),bottleneck_bandwidth,153,GB/s,\"NVLink, FP8\"\n"
        let file = directory.appendingPathComponent("m.csv")
        var random = Self.generator(1853)
        var loaded = 0
        for index in 0..<Self.cases(300) {
            try Data(Self.mutate(base, &random).utf8).write(to: file)
            do {
                let set = try ValidationSet(measurementFiles: [file.path])
                loaded += 1
                XCTAssertTrue(set.cases.allSatisfy { $0.measured.isFinite && $0.measured > 0 }, "case \(index)")
            } catch let error as ValidationError {
                XCTAssertTrue([65, 66].contains(error.exitCode), "case \(index): \(error)")
            }
        }
        XCTAssertGreaterThan(loaded, 10)
    }
}
