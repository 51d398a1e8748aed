import Foundation
import XCTest
@testable import MoESimCore

/// The binary trace format: CRC-32, round trips, streaming, and every kind of bad input.
final class TraceFormatTests: TemporaryDirectoryTestCase {

    /// Every batch of `source`, in order.
    private func batches(_ source: TraceSource) throws -> [TraceBatch] {
        var result: [TraceBatch] = []
        var batch = TraceBatch()
        while try source.nextBatch(into: &batch) { result.append(batch) }
        return result
    }

    /// A small synthetic scores trace written to `name`; returns its path.
    private func writeSynthetic(_ name: String, type: TraceHeader.ScoreType = .f32, deviceLogits: Bool = false,
                                chunkTokens: Int? = nil, steps: Int = 2) throws -> String {
        let header = TraceHeader(payload: .scores, scoreType: type, hasDeviceLogits: deviceLogits, experts: 16, layers: 2,
                                 tokensPerStep: 64, steps: steps, gpus: 8, chunkTokens: chunkTokens)
        try TraceSource(header: header, synthetic: SyntheticScoresSpec(zipfExponent: 1), seed: 3).write(to: path(name))
        return path(name)
    }

    /// A choices trace whose batch is `experts`/`weights` (one step, one layer, 4 tokens of k = 2, 8 experts).
    private func writeChoices(_ name: String, experts: [Int32], weights: [Float]) throws -> String {
        let header = TraceHeader(payload: .choices, experts: 8, layers: 1, tokensPerStep: 4, steps: 1, gpus: 2, k: 2)
        var batch = TraceBatch()
        batch.experts = experts
        batch.weights = weights
        try TraceSource(header: header, batches: [batch]).write(to: path(name))
        return path(name)
    }

    private func assertTraceError(_ file: String, file sourceFile: StaticString = #filePath, line: UInt = #line,
                                  _ matches: (TraceError) -> Bool) {
        do {
            _ = try batches(TraceSource(file: file))
            XCTFail("\(file) read without error", file: sourceFile, line: line)
        } catch let error as TraceError {
            XCTAssertTrue(matches(error), "unexpected error: \(error)", file: sourceFile, line: line)
            XCTAssertTrue(error.description.hasPrefix(file), "message names the file: \(error)", file: sourceFile, line: line)
        } catch {
            XCTFail("not a TraceError: \(error)", file: sourceFile, line: line)
        }
    }

    private func corrupt(_ file: String, at offset: Int, with bytes: [UInt8]) throws -> String {
        var data = try Data(contentsOf: URL(fileURLWithPath: file))
        for (i, byte) in bytes.enumerated() { data[offset + i] = byte }
        let target = file + ".bad-\(offset).moetrace"
        try data.write(to: URL(fileURLWithPath: target))
        return target
    }

    func testCRC32MatchesKnownVectorsAndZlib() throws {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(CRC32.checksum([UInt8]()), 0)
        XCTAssertEqual(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)), 0x414F_A339)
        // Feeding in pieces of odd sizes gives the checksum of the whole (exercises the 16-byte and tail loops).
        let bytes = (0..<1_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var pieces = CRC32()
        for range in [0..<3, 3..<40, 40..<41, 41..<1_000] { bytes[range].withUnsafeBytes { pieces.update($0) } }
        XCTAssertEqual(pieces.value, CRC32.checksum(bytes))
        // Python's zlib.crc32 of a fixture, written by make_fixtures.py.
        let fixture = TraceFixtures.path("scores_f32_tokens_experts.npy")
        let expected = try String(contentsOfFile: fixture + ".crc32", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(String(CRC32.checksum(try Data(contentsOf: URL(fileURLWithPath: fixture)))), expected)
    }

    func testHeaderEncodesEveryFieldAndDecodesBack() throws {
        let header = TraceHeader(payload: .scores, scoreType: .f16, hasDeviceLogits: true, experts: 64, layers: 3,
                                 tokensPerStep: 96, steps: 5, gpus: 8, chunkTokens: 7)
        let bytes = header.encoded()
        XCTAssertEqual(bytes.count, TraceHeader.byteCount)
        XCTAssertEqual(Array(bytes[0..<8]), Array("MOETRACE".utf8))
        XCTAssertEqual(try TraceHeader.decode(bytes, file: "x"), header)
    }

    func testBinaryToCSVToBinaryIsByteIdentical() throws {
        let sources = [try writeSynthetic("f32.moetrace", chunkTokens: 10), try writeSynthetic("f16.moetrace", type: .f16),
                       try writeSynthetic("device.moetrace", deviceLogits: true),
                       try writeChoices("choices.moetrace", experts: [0, 1, 3, 4, 6, 7, 1, 2], weights: [0.5, 0.25, 1, 0, 0.125, 3, 2, 1])]
        for original in sources {
            let csv = original + ".csv", back = original + ".back.moetrace"
            try TraceSource(file: original).write(to: csv)
            try TraceSource(file: csv).write(to: back)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: back)), try Data(contentsOf: URL(fileURLWithPath: original)),
                           original)
            XCTAssertEqual(try batches(TraceSource(file: csv)), try batches(TraceSource(file: original)), original)
        }
    }

    func testStreamingInSmallChunksEqualsOneChunkAndMemory() throws {
        let small = try writeSynthetic("small-chunks.moetrace", chunkTokens: 3, steps: 3)
        let large = try writeSynthetic("one-chunk.moetrace", chunkTokens: 64, steps: 3)
        let header = try TraceSource(file: small).header
        let inMemory = try batches(TraceSource(header: header, synthetic: SyntheticScoresSpec(zipfExponent: 1), seed: 3))
        XCTAssertEqual(try batches(TraceSource(file: small)), inMemory)
        XCTAssertEqual(try batches(TraceSource(file: large)), inMemory)
        XCTAssertEqual(inMemory.count, 6)
        XCTAssertNotEqual(inMemory[0], inMemory[1], "batches differ from one another")
    }

    /// The simulation replaying a trace file streamed in tiny chunks, one in large chunks, its CSV
    /// form (read whole into memory) and the synthetic generator it came from all agree exactly.
    func testSimulationOverStreamedTraceEqualsInMemoryAndSynthetic() throws {
        let strategies = #"[{"name":"switch"},{"name":"topk","k":2},{"name":"sam","k":2}]"#
        let synthetic = try TestSupport.scenario(experts: 16, tokensPerGPU: 8, zipf: 1, strategies: strategies, seed: 3,
                                                 layers: 2, steps: 3)
        let small = try writeSynthetic("sim-small.moetrace", chunkTokens: 5, steps: 3)
        let large = try writeSynthetic("sim-large.moetrace", steps: 3)
        try TraceSource(file: large).write(to: path("sim.csv"))
        let reference = CSVWriter.summary([try Simulator.run(synthetic)])
        for file in [small, large, path("sim.csv")] {
            var scenario = synthetic
            scenario.traceFile = TraceFileSpec(path: file, header: try TraceSource(file: file).header)
            XCTAssertEqual(CSVWriter.summary([try Simulator.run(scenario)]), reference, file)
        }
    }

    func testEveryKindOfBadBinaryInputIsOneTraceError() throws {
        let good = try writeSynthetic("good.moetrace", chunkTokens: 16)
        let data = try Data(contentsOf: URL(fileURLWithPath: good))
        assertTraceError(try corrupt(good, at: 0, with: Array("NOTTRACE".utf8))) {
            if case .badMagic(_, .byte(0), _, _) = $0 { return true } else { return false }
        }
        assertTraceError(try corrupt(good, at: 8, with: [2, 0])) {
            if case .unsupportedVersion(_, .byte(8), 2, _) = $0 { return true } else { return false }
        }
        assertTraceError(try corrupt(good, at: 100, with: [0xFF])) {
            if case .checksumMismatch(_, .byte(84), _, _, _) = $0 { return true } else { return false }
        }
        assertTraceError(try corrupt(good, at: 20, with: [9])) {  // layers field: the header CRC catches it
            if case .checksumMismatch(_, .byte(60), _, _, _) = $0 { return true } else { return false }
        }
        let cuts = [("header", 40), ("chunk header", TraceHeader.byteCount + 10), ("chunk payload", TraceHeader.byteCount + 100),
                    ("chunk header", data.count - 16 * 16 * 4 - 4)]
        for (what, length) in cuts {
            let cut = path("cut-\(length).moetrace")
            try data.prefix(length).write(to: URL(fileURLWithPath: cut))
            assertTraceError(cut) {
                if case .truncated(_, _, let seen, _, _) = $0 { return seen.hasPrefix(what) } else { return false }
            }
        }
        let trailing = path("trailing.moetrace")
        try (data + Data([0])).write(to: URL(fileURLWithPath: trailing))
        assertTraceError(trailing) { $0.description.contains("1 more bytes") }
        assertTraceError(path("missing.moetrace")) { $0 == .fileNotFound(file: self.path("missing.moetrace")) }
        XCTAssertEqual(TraceError.fileNotFound(file: "x").exitCode, 66)
        XCTAssertEqual(TraceError.truncated(file: "x", at: .file, what: "", neededBytes: 1, availableBytes: 0).exitCode, 65)
    }

    func testBadValuesWithValidChecksumsAreRejected() throws {
        assertTraceError(try writeChoices("id.moetrace", experts: [0, 1, 8, 2, 0, 1, 0, 1], weights: [Float](repeating: 0.5, count: 8))) {
            if case .expertOutOfRange(_, .byte(let offset), let token, 8, 8) = $0 {
                return offset == TraceHeader.byteCount + TraceHeader.chunkHeaderByteCount + 8 && token.contains("token 1")
            }
            return false
        }
        assertTraceError(try writeChoices("twice.moetrace", experts: [0, 0, 1, 2, 3, 4, 5, 6], weights: [Float](repeating: 0.5, count: 8))) {
            $0.description.contains("other recorded experts")
        }
        assertTraceError(try writeChoices("weight.moetrace", experts: [0, 1, 1, 2, 3, 4, 5, 6], weights: [0.5, .infinity, 1, 1, 1, 1, 1, 1])) {
            if case .nonFinite(_, _, let what, "inf") = $0 { return what.contains("weight 1 of step 0, layer 0, token 0") }
            return false
        }
        for type in TraceHeader.ScoreType.allCases {
            let header = TraceHeader(payload: .scores, scoreType: type, experts: 4, layers: 1, tokensPerStep: 2, steps: 1, gpus: 1)
            var batch = TraceBatch()
            batch.scores = [0, 1, 2, 3, 4, .nan, 6, 7]
            let file = path("nan-\(type.name).moetrace")
            try TraceSource(header: header, batches: [batch]).write(to: file)
            assertTraceError(file) {
                if case .nonFinite(_, .byte(let offset), let what, "nan") = $0 {
                    return offset == 88 + 5 * type.byteCount && what == "score 1 of step 0, layer 0, token 1"
                }
                return false
            }
        }
    }

    func testBadCSVRowsNameTheRow() throws {
        let header = "step,layer,token,src_gpu,score_0,score_1\n"
        let cases: [(String, String)] = [
            (header + "0,0,0,0,1.5\n0,0,1,0,1,2\n", "row 2: the number of fields must be 6"),
            (header + "0,0,0,0,1,2\n0,0,1,0,x,2\n", "row 3: field 5 must be a number"),
            (header + "0,0,0,0,1,nan\n", "row 2: field 6 is nan"),
            (header + "0,0,0,0,1,2\n0,0,0,0,1,2\n", "listed once"),
            (header + "0,0,0,1,1,2\n0,0,1,0,1,2\n", "row 2: src_gpu must be 0"),
            ("# moetrace version=1 payload=scores experts=2 layers=1 tokens_per_step=2 steps=1 gpus=1\n" + header
                + "0,0,0,0,1,2\n", "the number of rows must be one per token"),
            ("step,layer,token,gpu,score_0\n0,0,0,0,1\n", "row 1: the header row must be"),
            ("# moetrace version=1 payload=choices experts=2 k=1\nstep,layer,token,src_gpu,expert_0,weight_0\n0,0,0,0,2,1\n",
             "row 3: expert_0: expert id 2 is out of range"),
        ]
        for (index, (text, expected)) in cases.enumerated() {
            let file = path("bad-\(index).csv")
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
            assertTraceError(file) { $0.description.contains(expected) }
        }
    }

    /// Random byte flips in a valid trace: every read ends in a TraceError or returns exactly the
    /// original batches; never a crash or a hang (seeded, 300 files).
    func testFuzzedTracesFailCleanlyOrParseCorrectly() throws {
        let good = try writeSynthetic("fuzz.moetrace", chunkTokens: 20)
        let choices = try writeChoices("fuzz-choices.moetrace", experts: [0, 1, 3, 4, 6, 7, 1, 2],
                                       weights: [0.5, 0.25, 1, 0, 0.125, 3, 2, 1])
        var rng = SplitMix64(seed: 42)
        var errors = 0, parses = 0
        for original in [good, choices] {
            let data = try Data(contentsOf: URL(fileURLWithPath: original))
            let expected = try batches(TraceSource(file: original))
            for iteration in 0..<150 {
                var bytes = data
                let flips = 1 + Int(rng.next() % 4)
                for _ in 0..<flips {
                    // Half the flips hit the header and first chunk header, where the structure is.
                    let limit = rng.next() % 2 == 0 ? min(bytes.count, 120) : bytes.count
                    bytes[Int(rng.next() % UInt64(limit))] ^= UInt8(1 + rng.next() % 255)
                }
                if rng.next() % 5 == 0 { bytes = bytes.prefix(Int(rng.next() % UInt64(bytes.count))) }
                let file = path("fuzz-\(iteration).moetrace")
                try bytes.write(to: URL(fileURLWithPath: file))
                do {
                    let parsed = try batches(TraceSource(file: file))
                    XCTAssertEqual(parsed, expected, "a parse must be the original")
                    parses += 1
                } catch is TraceError {
                    errors += 1
                }
            }
        }
        XCTAssertGreaterThan(errors, 250, "nearly every flip must be caught (\(parses) parsed)")
    }
}

/// A test case with a fresh temporary directory per test, removed afterwards.
class TemporaryDirectoryTestCase: XCTestCase {
    private(set) var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("moesim-core-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// The path of `name` in the test's directory.
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
}

/// The committed NumPy fixtures (Tests/Fixtures/traces, made by make_fixtures.py).
enum TraceFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/traces")

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// make_fixtures.py's score formula at flat index i.
    static func score(_ i: Int) -> Float { Float(i % 17) * 0.25 - 2 }
}
