import Foundation
import XCTest
@testable import MoESimCore

/// Inflate against raw DEFLATE streams made by zlib (Tests/Fixtures/traces/make_fixtures.py), and
/// a seeded fuzz of corrupted and truncated streams.
final class InflateTests: XCTestCase {
    /// make_fixtures.py's deflate_text(lines).
    private func text(lines: Int) -> [UInt8] {
        Array((0..<lines).map { "token \($0 % 97) expert \($0 * 31 % 64)\n" }.joined().utf8)
    }

    /// Decodes `stream`, handing the decoder `chunk` compressed bytes per source read and asking for
    /// `readSize` output bytes per read; stops (returning what it has) past `limit` output bytes.
    private func inflate(_ stream: [UInt8], chunk: Int = 4096, readSize: Int = 10_000,
                         limit: Int = 1 << 24) throws -> (output: [UInt8], decoder: Inflate) {
        var next = 0
        let decoder = Inflate { buffer, count in
            let n = min(count, chunk, stream.count - next)
            stream.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress! + next, byteCount: n) }
            next += n
            return n
        }
        var output: [UInt8] = []
        var piece = [UInt8](repeating: 0, count: readSize)
        while output.count <= limit {
            let n = try piece.withUnsafeMutableBytes { try decoder.read(into: $0.baseAddress!, count: readSize) }
            if n == 0 { break }
            output += piece[0..<n]
        }
        return (output, decoder)
    }

    private func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: TraceFixtures.path(name))))
    }

    func testZlibStreamsOfEveryBlockTypeDecodeToTheirText() throws {
        let cases: [(String, lines: Int, blockType: UInt8)] = [
            ("deflate_stored.bin", 4000, 0), ("deflate_fixed.bin", 3000, 1), ("deflate_dynamic.bin", 16000, 2),
        ]
        for (name, lines, blockType) in cases {
            let stream = try fixture(name)
            XCTAssertEqual(stream[0] >> 1 & 3, blockType, "\(name) starts with a block of type \(blockType)")
            let expected = text(lines: lines)
            // Odd chunk and read sizes cross every buffer boundary at a different place.
            for (chunk, readSize) in [(1 << 16, 1 << 20), (7, 1000), (1, 3)] where chunk > 1 || stream.count < 20_000 {
                let decoded: (output: [UInt8], decoder: Inflate)
                do { decoded = try inflate(stream, chunk: chunk, readSize: readSize) } catch {
                    XCTFail("\(name) chunk \(chunk): \(error)")
                    continue
                }
                let (output, decoder) = decoded
                XCTAssertEqual(output.count, expected.count, "\(name) chunk \(chunk)")
                XCTAssertTrue(output == expected, "\(name) chunk \(chunk): decodes to the text zlib compressed")
                XCTAssertTrue(decoder.isFinished)
                XCTAssertEqual(decoder.compressedBytesUsed, stream.count, "the whole stream and nothing more")
                XCTAssertEqual(CRC32.checksum(output), CRC32.checksum(expected))
            }
        }
        XCTAssertGreaterThan(text(lines: 16000).count, 32_768 + (1 << 18), "the dynamic stream slides the window")
    }

    func testTheEmptyStreamDecodesToNothingAndNoInputIsTruncated() throws {
        let (output, decoder) = try inflate(try fixture("deflate_empty.bin"))
        XCTAssertEqual(output, [])
        XCTAssertTrue(decoder.isFinished)
        XCTAssertThrowsError(try inflate([])) { XCTAssertTrue("\($0)".contains("ends early"), "\($0)") }
    }

    /// Hand-made streams for the errors zlib never writes, each with the reason it must give (zlib
    /// rejects each too: invalid block type, invalid stored block lengths, invalid distance too far
    /// back, too many length or distance symbols).
    func testMalformedStreamsAreRejectedWithTheirReason() {
        let cases: [([UInt8], String)] = [
            ([0x07], "block type 3 is reserved"),                                  // final, type 3
            ([0x01, 0x05, 0x00, 0xFF, 0xFF], "does not match its complement"),      // stored, LEN 5, NLEN 0xFFFF
            ([0x01, 0x02, 0x00, 0xFD, 0xFF, 0x41], "ends early"),                  // stored, 2 bytes promised, 1 given
            // Fixed block: literal 'a' (0x91 as 8 bits), then length 3 at distance 2 > 1 byte written.
            ([0x4B, 0x04, 0x42, 0x00], "reaches before the start of the output"),
            ([0xFD, 0x00, 0x00], "288 literal/length"),                             // dynamic, HLIT = 257 + 31 > 286
        ]
        for (stream, reason) in cases {
            XCTAssertThrowsError(try inflate(stream), "\(stream)") { error in
                XCTAssertTrue(error is Inflate.Error, "\(error)")
                XCTAssertTrue("\(error)".contains(reason), "\(stream): \(error)")
            }
        }
    }

    /// 3,000 seeded corruptions (1–4 random byte changes, or a cut) of zlib streams: each decodes
    /// to the original, or to some output, or fails with `Inflate.Error`; none crashes or hangs,
    /// and no output exceeds DEFLATE's 1032:1 bound. A cut before the last byte always fails.
    func testFuzzedStreamsFailCleanly() throws {
        let streams = [try fixture("deflate_fixed.bin"), Array(try fixture("deflate_dynamic.bin").prefix(6000)),
                       try fixture("deflate_empty.bin"), Array(try fixture("deflate_stored.bin").prefix(300))]
        var random = SplitMix64(seed: 23)
        var failures = 0
        for round in 0..<3_000 {
            var stream = streams[round % streams.count]
            let cut = round % 5 == 4
            if cut {
                stream = Array(stream.prefix(Int.random(in: 0..<stream.count, using: &random)))
            } else {
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    stream[Int.random(in: 0..<stream.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
                }
            }
            do {
                let (output, _) = try inflate(stream, chunk: 1 + round % 97, limit: 1032 * max(stream.count, 1))
                // The fixed and empty streams are whole: a cut of either must fail.
                XCTAssertFalse(cut && [0, 2].contains(round % streams.count), "round \(round): a cut stream decoded")
                XCTAssertLessThanOrEqual(output.count, 1032 * max(stream.count, 1) + 10_000, "round \(round)")
            } catch is Inflate.Error {
                failures += 1
            }
        }
        XCTAssertGreaterThan(failures, 1_000, "most corruptions are detected by the decoder alone")
    }
}
