import Foundation
import XCTest
@testable import MoESimCore

/// `.npz` archives: compressed members (numpy.savez_compressed) import to their values, and every
/// corruption a reader can detect is refused with exit 65 (fixtures by make_fixtures.py).
final class NPZArchiveTests: TemporaryDirectoryTestCase {
    private func importBatches(_ path: String, experts: Int? = nil) throws -> (TraceHeader, [TraceBatch]) {
        let output = directory.appendingPathComponent("out.moetrace").path
        var options = TraceImporter.Options()
        options.experts = experts
        try TraceImporter.importFile(from: path, to: output, options: options)
        let source = try TraceSource(file: output)
        var batches: [TraceBatch] = []
        var batch = TraceBatch()
        while try source.nextBatch(into: &batch) { batches.append(batch) }
        return (source.header, batches)
    }

    func testCompressedArchivesImportToTheSameValuesAsStoredOnes() throws {
        let (header, batches) = try importBatches(TraceFixtures.path("scores_compressed.npz"))
        XCTAssertEqual([header.layers, header.tokensPerStep, header.experts], [3, 64, 8])
        let flat = batches.flatMap(\.scores)
        XCTAssertEqual(flat, (0..<(3 * 64 * 8)).map(TraceFixtures.score))

        let (stored, storedBatches) = try importBatches(TraceFixtures.path("choices_layers_tokens_k.npz"))
        let (compressed, compressedBatches) = try importBatches(TraceFixtures.path("choices_compressed.npz"))
        XCTAssertEqual(compressed, stored, "int64 ids compressed, int32 stored: the same trace")
        XCTAssertEqual(compressedBatches, storedBatches)
        XCTAssertEqual(compressedBatches.flatMap(\.experts), (0..<8).flatMap { t in (0..<2).map { Int32((3 * t + $0) % 8) } })
    }

    /// Byte ranges of an archive that no reader can check: each central directory entry's
    /// "version made by" (bytes 4–5) and "external attributes" (bytes 38–41), which say which
    /// system wrote the file and its permission bits; NumPy ignores them too.
    private func uncheckable(_ bytes: [UInt8]) -> Set<Int> {
        var offsets = Set<Int>()
        for start in 0..<(bytes.count - 4) where bytes[start..<start + 4].elementsEqual([0x50, 0x4B, 0x01, 0x02]) {
            offsets.formUnion([start + 4, start + 5, start + 38, start + 39, start + 40, start + 41])
        }
        return offsets
    }

    /// 20 seeded single-byte changes of each archive (stored and compressed, scores and ids) are all
    /// refused with exit 65 and a message naming the archive — as NumPy refuses them.
    func testEverySingleByteChangeOfAnArchiveIsRefused() throws {
        var random = SplitMix64(seed: 22)
        for fixture in ["scores.npz", "choices_layers_tokens_k.npz", "scores_compressed.npz", "choices_compressed.npz"] {
            let original = Array(try Data(contentsOf: URL(fileURLWithPath: TraceFixtures.path(fixture))))
            XCTAssertNoThrow(try importBatches(TraceFixtures.path(fixture)), fixture)
            let skip = uncheckable(original)
            XCTAssertEqual(skip.count, 6 * (fixture.hasPrefix("choices") ? 2 : 1), "\(fixture): one entry per member")
            let candidates = (0..<original.count).filter { !skip.contains($0) }
            for _ in 0..<20 {
                let offset = candidates.randomElement(using: &random)!
                var corrupt = original
                corrupt[offset] ^= UInt8.random(in: 1...255, using: &random)
                let path = directory.appendingPathComponent("corrupt.npz").path
                try Data(corrupt).write(to: URL(fileURLWithPath: path))
                XCTAssertThrowsError(try importBatches(path, experts: 8), "\(fixture) byte \(offset)") { error in
                    XCTAssertEqual((error as? TraceError)?.exitCode, 65, "\(fixture) byte \(offset): \(error)")
                    XCTAssertTrue("\(error)".hasPrefix(path), "names the archive: \(error)")
                }
            }
        }
    }

    func testAFlippedDataByteIsACRCMismatchOfItsMember() throws {
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: TraceFixtures.path("scores.npz"))))
        let member = try XCTUnwrap(ZIPArchive.read(InputFile(path: TraceFixtures.path("scores.npz"))).members.first)
        bytes[member.dataOffset + member.compressedSize - 4] ^= 0x01   // the last score changes by one ulp
        let path = directory.appendingPathComponent("flipped.npz").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try importBatches(path)) { error in
            XCTAssertTrue("\(error)".contains("CRC-32 mismatch in member scores.npy"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["flipped.npz"], "nothing written")
    }
}

/// Batches larger than a part are read and written in parts of whole chunks: the trace is the
/// same whatever the part size, with the remainder dropped from the last part or padding added to it.
final class ImportPartsTests: TemporaryDirectoryTestCase {
    /// A .npy of 70,000 tokens × 8 f32 scores (2.2 MB: chunks of 32,768 tokens), written by hand.
    private func bigNPY() throws -> String {
        let tokens = 70_000
        var header = Array("{'descr': '<f4', 'fortran_order': False, 'shape': (\(tokens), 8), }".utf8)
        header += [UInt8](repeating: 0x20, count: (64 - (10 + header.count + 1) % 64) % 64) + [0x0A]
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)] + header
        for i in 0..<(tokens * 8) { bytes.appendLittleEndian(TraceFixtures.score(i).bitPattern) }
        let input = directory.appendingPathComponent("big.npy").path
        try Data(bytes).write(to: URL(fileURLWithPath: input))
        return input
    }

    /// Imports `input` over 3 GPUs with parts of 8 MiB and of 1 byte; returns the first batch after
    /// checking that both traces are byte-identical.
    private func importedInParts(_ input: String, pad: Bool) throws -> (TraceHeader, TraceBatch) {
        var traces: [Data] = []
        var header: TraceHeader?
        for partBytes in [8 << 20, 1] {
            var options = TraceImporter.Options()
            options.gpus = 3
            options.dropRemainder = !pad
            options.pad = pad
            options.partBytes = partBytes
            let output = directory.appendingPathComponent("p\(partBytes).moetrace").path
            header = try TraceImporter.importFile(from: input, to: output, options: options).header
            XCTAssertEqual(header?.chunkTokens, 32_768, "parts of one byte are rounded up to a chunk: 3 parts")
            traces.append(try Data(contentsOf: URL(fileURLWithPath: output)))
        }
        XCTAssertEqual(traces[0], traces[1], "one part or three: byte-identical traces")
        let source = try TraceSource(file: directory.appendingPathComponent("p1.moetrace").path)
        var batch = TraceBatch()
        XCTAssertTrue(try source.nextBatch(into: &batch))
        return (try XCTUnwrap(header), batch)
    }

    func testBatchesSplitIntoPartsGiveTheSameTrace() throws {
        let (header, batch) = try importedInParts(try bigNPY(), pad: false)
        XCTAssertEqual(header.tokensPerStep, 69_999)
        XCTAssertEqual(batch.scores, (0..<(69_999 * 8)).map(TraceFixtures.score))
    }

    func testPaddingFollowsTheLastPartWithLogitsThatRankExpertsRoundRobin() throws {
        let (header, batch) = try importedInParts(try bigNPY(), pad: true)
        XCTAssertEqual(header.tokensPerStep, 70_002, "70,000 tokens padded to a multiple of 3")
        XCTAssertEqual(Array(batch.scores.prefix(70_000 * 8)), (0..<(70_000 * 8)).map(TraceFixtures.score))
        // Padded token i ranks expert i first: logit −d for the expert d places after i.
        XCTAssertEqual(Array(batch.scores.suffix(16)), [0, -1, -2, -3, -4, -5, -6, -7, -7, 0, -1, -2, -3, -4, -5, -6])
    }
}
