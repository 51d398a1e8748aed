import Foundation
import XCTest
@testable import MoESimCore

/// A `.moetrace` header is checked against the file's size and the limits a scenario has before
/// anything is allocated from it; the file's length is one rule for every reader (issue 22, items 3, 8, 12).
final class TraceLimitTests: TemporaryDirectoryTestCase {

    /// `header`'s 64 bytes followed by `payloadBytes` zero bytes, written to `name`.
    private func writeHeaderOnly(_ name: String, _ header: TraceHeader, payloadBytes: Int = 24_000) throws -> String {
        let file = path(name)
        try Data(header.encoded() + [UInt8](repeating: 0, count: payloadBytes)).write(to: URL(fileURLWithPath: file))
        return file
    }

    /// A small valid scores trace (2 steps × 2 layers × 64 tokens × 16 experts, chunks of 16 tokens).
    private func writeValid(_ name: String) throws -> String {
        let header = TraceHeader(payload: .scores, experts: 16, layers: 2, tokensPerStep: 64, steps: 2, gpus: 8, chunkTokens: 16)
        try TraceSource(header: header, synthetic: SyntheticScoresSpec(zipfExponent: 1), seed: 5).write(to: path(name))
        return path(name)
    }

    /// The TraceError opening (and reading all of) `file` throws; fails the test if there is none.
    private func openingError(_ file: String, line: UInt = #line) -> TraceError? {
        do {
            let source = try TraceSource(file: file)
            var batch = TraceBatch()
            while try source.nextBatch(into: &batch) {}
            XCTFail("\(file) read without error", line: line)
        } catch let error as TraceError {
            XCTAssertTrue(error.description.hasPrefix(file), "names the file: \(error)", line: line)
            return error
        } catch {
            XCTFail("not a TraceError: \(error)", line: line)
        }
        return nil
    }

    /// The issue's reproducer: a 24 KB file whose header (valid CRC) claims 2^30 tokens per step is
    /// refused at open by the batch limit, and one within the limit by the file's size.
    func testHugeTokenCountsAreRefusedBeforeAllocating() throws {
        let claim = TraceHeader(payload: .scores, experts: 16, layers: 1, tokensPerStep: 1 << 30, steps: 1, gpus: 1, chunkTokens: 1)
        guard case let .invalidField(_, .byte(24), field, value, allowed)? = openingError(try writeHeaderOnly("t30.moetrace", claim)) else {
            return XCTFail("expected the tokens-per-step field to be refused")
        }
        XCTAssertEqual(field, "tokens per step")
        XCTAssertEqual(value, String(1 << 30))
        XCTAssertTrue(allowed.hasPrefix("at most 33554432 for 16 scores per token"), allowed)

        // 2^29 tokens × 1 expert × 4 bytes = 2 GiB: within the limit, so the file's 24 KB give it away.
        let withinLimit = TraceHeader(payload: .scores, experts: 1, layers: 1, tokensPerStep: 1 << 29, steps: 1, gpus: 1,
                                      chunkTokens: 1 << 29)
        guard case let .truncated(_, .byte(88), what, needed, available)? = openingError(try writeHeaderOnly("t29.moetrace", withinLimit))
        else { return XCTFail("expected a truncated chunk payload") }
        XCTAssertTrue(what.hasPrefix("chunk payload (step 0, layer 0, token 0) of a trace whose header declares"), what)
        XCTAssertEqual(needed, 1 << 31)
        XCTAssertEqual(available, 24_000 - 24)
    }

    func testExpertLayerAndGPUCountsBeyondAScenarioAreRefused() throws {
        let cases: [(TraceHeader, Int, String)] = [
            (TraceHeader(payload: .scores, experts: 1 << 24, layers: 1, tokensPerStep: 1, steps: 1, gpus: 1), 16, "experts"),
            (TraceHeader(payload: .choices, experts: 1 << 30, layers: 1, tokensPerStep: 1, steps: 1, gpus: 1, k: 2), 16, "experts"),
            (TraceHeader(payload: .scores, experts: 4, layers: 2_000, tokensPerStep: 1, steps: 1, gpus: 1), 20, "layers"),
            (TraceHeader(payload: .scores, experts: 4, layers: 1, tokensPerStep: 16_384, steps: 1, gpus: 16_384), 32, "GPUs"),
            (TraceHeader(payload: .choices, experts: 1_024, layers: 1, tokensPerStep: 1 << 30, steps: 1, gpus: 1, k: 2), 24,
             "tokens per step"),
        ]
        for (index, (header, offset, expected)) in cases.enumerated() {
            let error = openingError(try writeHeaderOnly("limit-\(index).moetrace", header))
            guard case let .invalidField(_, .byte(at), field, _, allowed)? = error else {
                XCTFail("case \(index): \(String(describing: error))")
                continue
            }
            XCTAssertEqual(at, offset, "case \(index)")
            XCTAssertEqual(field, expected, "case \(index)")
            XCTAssertTrue(allowed.contains("at most"), allowed)
            XCTAssertEqual(error?.exitCode, 65)
        }
        // A writer refuses the same headers before creating anything.
        XCTAssertThrowsError(try TraceWriter(path: path("w.moetrace"), header: cases[0].0)) {
            XCTAssertEqual(($0 as? TraceError)?.description.contains("experts must be at most 65536"), true, "\($0)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("w.") }, [])
    }

    /// `np.save('big_id.npy', np.array([[0, 1073741823]], np.int32))` then `trace import`: refused by
    /// the id's range at once, without writing anything.
    func testImportingAnIDNear2To30IsRefused() throws {
        let dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2), }"
        let padded = dict + String(repeating: " ", count: 128 - 10 - dict.utf8.count - 1) + "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(padded.utf8.count), 0] + Array(padded.utf8)
        bytes.appendLittleEndian(UInt32(0))
        bytes.appendLittleEndian(UInt32(1_073_741_823))
        let input = path("big_id.npy"), output = path("big_id.moetrace")
        try Data(bytes).write(to: URL(fileURLWithPath: input))
        XCTAssertThrowsError(try TraceImporter.importFile(from: input, to: output, options: .init())) {
            guard case let .expertOutOfRange(_, .byte(offset), _, expert, experts)? = $0 as? TraceError else {
                return XCTFail("\($0)")
            }
            XCTAssertEqual(offset, 128 + 4)
            XCTAssertEqual(expert, 1_073_741_823)
            XCTAssertEqual(experts, TraceHeader.maxExperts)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))
    }

    func testReservedHeaderBytesMustBeZero() throws {
        let valid = try Data(contentsOf: URL(fileURLWithPath: try writeValid("valid.moetrace")))
        for offset in [15, 44, 59] {
            var bytes = [UInt8](valid)
            bytes[offset] = 7
            var crc = CRC32()
            bytes.withUnsafeBytes { crc.update(UnsafeRawBufferPointer(rebasing: $0[0..<60])) }
            for (i, byte) in withUnsafeBytes(of: crc.value.littleEndian, Array.init).enumerated() { bytes[60 + i] = byte }
            let file = path("reserved-\(offset).moetrace")
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            guard case let .invalidField(_, .byte(at), field, "7", _)? = openingError(file) else {
                XCTFail("offset \(offset)")
                continue
            }
            XCTAssertEqual(at, offset)
            XCTAssertEqual(field, "reserved byte")
        }
    }

    /// Trailing bytes, a duplicated chunk and the file twice are refused when the trace is opened,
    /// by `TraceSource` (trace stats, convert) and by the scenario decoder (simulate) alike.
    func testTrailingDataIsRefusedByEveryReader() throws {
        let file = try writeValid("t.moetrace")
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        let chunkBytes = 24 + 16 * 16 * 4
        let lastChunk = data.suffix(chunkBytes)
        let variants: [(String, Data, Int)] = [
            ("byte", data + Data([0]), 1),
            ("chunk", data + lastChunk, chunkBytes),
            ("twice", data + data, data.count),
        ]
        for (name, bytes, extra) in variants {
            let bad = path("trailing-\(name).moetrace")
            try bytes.write(to: URL(fileURLWithPath: bad))
            guard case let .invalidField(_, .byte(at), "the end of the file", value, _)? = openingError(bad) else {
                XCTFail(name)
                continue
            }
            XCTAssertEqual(at, data.count, name)
            XCTAssertEqual(value, "\(extra) more bytes", name)
            // simulate: the scenario decoder opens the trace with the same reader.
            let scenario = #"{"version":1,"cluster":{"gpusPerNode":8},"model":{"experts":16,"moeLayers":2},"# +
                #""trace":{"file":"\#(bad)"},"routing":{"strategies":[{"name":"switch"}]}}"#
            XCTAssertThrowsError(try Scenario.decode(JSONParser.parse(scenario), file: "s.json")) {
                XCTAssertTrue("\($0)".contains("\(extra) more bytes"), "\($0)")
            }
        }
    }

    /// A chunk of fewer tokens than the header's chunk size (all other bytes valid, CRCs recomputed)
    /// is refused: the layout is fixed by the header, so the length check above is exact.
    func testChunksMustHoldExactlyChunkTokens() throws {
        let header = TraceHeader(payload: .choices, experts: 8, layers: 1, tokensPerStep: 4, steps: 1, gpus: 1, k: 1, chunkTokens: 4)
        var batch = TraceBatch()
        batch.experts = [0, 1, 2, 3]
        batch.weights = [1, 1, 1, 1]
        // Written as two chunks of 2 tokens: the same total size as one 4-token chunk plus a chunk header.
        let twoChunks = TraceHeader(payload: .choices, experts: 8, layers: 1, tokensPerStep: 4, steps: 1, gpus: 1, k: 1,
                                    chunkTokens: 2)
        try TraceSource(header: twoChunks, batches: [batch]).write(to: path("two.moetrace"))
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path("two.moetrace"))))
        let relabelled = header.encoded()
        bytes.replaceSubrange(0..<64, with: relabelled)
        bytes.removeLast(24)  // keep the size the 4-token header declares: 64 + 24 + 4 × 8
        let file = path("relabelled.moetrace")
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        guard case let .invalidField(_, .byte(80), "chunk token count", "2", allowed)? = openingError(file) else {
            return XCTFail("expected the chunk token count to be refused")
        }
        XCTAssertTrue(allowed.hasPrefix("4: every chunk"), allowed)
    }

    /// CSV output is built whole in memory: a trace whose text could not fit is refused before any
    /// of it is made (`trace generate -o big.csv`, `trace convert big.moetrace big.csv`).
    func testCSVOutputTooLargeForMemoryIsRefusedUpFront() throws {
        let header = TraceHeader(payload: .scores, experts: 64, layers: 1_024, tokensPerStep: 8_192, steps: 1 << 20, gpus: 8)
        let source = TraceSource(header: header, synthetic: SyntheticScoresSpec(zipfExponent: 1), seed: 1)
        XCTAssertThrowsError(try source.write(to: path("big.csv"))) {
            guard case let .invalidField(_, .file, field, value, allowed)? = $0 as? TraceError else { return XCTFail("\($0)") }
            XCTAssertEqual(field, "a CSV trace of this size")
            XCTAssertTrue(value.hasPrefix("about ") && value.hasSuffix(" GiB of text"), value)
            XCTAssertTrue(allowed.contains("write a .moetrace instead"), allowed)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
    }
}
