import Foundation
import XCTest
@testable import MoESimCore

/// Echoed input is short and printable in every parser's messages; CSV traces with CRLF line
/// endings or a byte order mark read like plain ones; duplicate keys are found in linear time
/// (issue 22, items 10 and 12).
final class InputExcerptTests: TemporaryDirectoryTestCase {

    func testExcerptQuotesEscapesAndCuts() {
        XCTAssertEqual(InputExcerpt.quoted("abc"), #""abc""#)
        XCTAssertEqual(InputExcerpt.quoted("a\nb\r\t\u{1B}\u{FEFF}\u{202E}\"\\"), #""a\nb\r\t\u{1B}\u{FEFF}\u{202E}\"\\""#)
        XCTAssertEqual(InputExcerpt.quoted(String(repeating: "x", count: 100)),
                       "\"" + String(repeating: "x", count: 40) + "\"… (100 characters)")
        XCTAssertEqual(InputExcerpt.quoted(String(repeating: "é", count: 40)), "\"" + String(repeating: "é", count: 40) + "\"")
        XCTAssertEqual(InputExcerpt.quoted(bytes: [0x61, 0xFF, 0x62]), "\"a\u{FFFD}b\"")
        XCTAssertEqual(InputExcerpt.quoted("abcdef", limit: 2), #""ab"… (6 characters)"#)
    }

    /// A CSV trace read from `text` (written to `name`).
    private func readCSV(_ name: String, _ bytes: [UInt8]) throws -> (TraceHeader, [TraceBatch]) {
        let file = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return try TraceCSV.read(file: file)
    }

    func testCSVTracesWithCRLFOrByteOrderMarkReadAsPlainOnes() throws {
        let lines = ["# moetrace version=1 payload=choices experts=4 layers=1 tokens_per_step=2 steps=1 gpus=1 k=2 chunk_tokens=2",
                     "step,layer,token,src_gpu,expert_0,expert_1,weight_0,weight_1", "0,0,0,0,1,3,0.5,0.5", "0,0,1,0,2,0,0.75,0.25"]
        let plain = try readCSV("lf.csv", Array((lines.joined(separator: "\n") + "\n").utf8))
        XCTAssertEqual(plain.1.first?.experts, [1, 3, 2, 0])
        XCTAssertEqual(plain.1.first?.weights, [0.5, 0.5, 0.75, 0.25])
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        let variants: [(String, [UInt8])] = [
            ("crlf.csv", Array((lines.joined(separator: "\r\n") + "\r\n").utf8)),
            ("bom.csv", bom + Array((lines.joined(separator: "\n") + "\n").utf8)),
            ("both.csv", bom + Array(lines.joined(separator: "\r\n").utf8)),
            ("nodecl.csv", bom + Array(lines.dropFirst().joined(separator: "\r\n").utf8)),
        ]
        for (name, bytes) in variants {
            let read = try readCSV(name, bytes)
            XCTAssertEqual(read.1, plain.1, name)
            XCTAssertEqual(read.0.experts, name == "nodecl.csv" ? 4 : plain.0.experts, name)
            XCTAssertEqual(read.0.k, 2, name)
        }
    }

    /// The issue's reproducer printed the whole file: now every echo is an excerpt of at most 40
    /// characters, on one line.
    func testCSVMessagesEchoAShortEscapedExcerpt() throws {
        let huge = "step,layer,token,src_gpu," + (0..<5_000).map { "score_\($0)x" }.joined(separator: ",") + "\r\u{1B}[31m"
        let cases: [(String, String)] = [
            (huge, "the header row must be"),
            ("step,layer,token,src_gpu,score_0\n0,0,0,0," + String(repeating: "9", count: 10_000) + "z\n", "field 5 must be a number"),
            ("# nottrace " + String(repeating: "y", count: 10_000) + "\n", "expected \"# moetrace"),
            ("# moetrace payload=" + String(repeating: "\u{7}", count: 500) + "\n", "payload must be scores or choices"),
        ]
        for (index, (text, expected)) in cases.enumerated() {
            let file = path("long-\(index).csv")
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
            XCTAssertThrowsError(try TraceCSV.read(file: file)) {
                let message = "\($0)"
                XCTAssertTrue(message.contains(expected), message)
                XCTAssertLessThan(message.count, 600, message)
                XCTAssertFalse(message.unicodeScalars.contains { $0.value < 0x20 }, "no raw control characters: \(message)")
            }
        }
    }

    /// Ids at Int.max made the shape derived from the rows overflow (exit 132): ids and counts are
    /// bounded like the binary format's.
    func testHugeIntegersInCSVRowsAreRefused() throws {
        for (name, text) in [("token", "step,layer,token,src_gpu,score_0\n0,0,9223372036854775807,0,1\n"),
                             ("expert_0", "step,layer,token,src_gpu,expert_0,weight_0\n0,0,0,0,9223372036854775807,1\n")] {
            let file = path("\(name).csv")
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
            XCTAssertThrowsError(try TraceCSV.read(file: file)) {
                XCTAssertEqual("\($0)", "\(file): row 2: \(name) must be an integer in [0, 1073741823] (got \"9223372036854775807\")")
            }
        }
    }

    func testADuplicatedKeyInTheCSVDeclarationIsAnError() throws {
        let text = "# moetrace version=1 payload=scores experts=2 layers=1 experts=2\nstep,layer,token,src_gpu,score_0,score_1\n0,0,0,0,1,2\n"
        let file = path("dup.csv")
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        XCTAssertThrowsError(try TraceCSV.read(file: file)) {
            XCTAssertEqual("\($0)", "\(file): row 1: declaration key must be given once (it appears again) (got \"experts\")")
        }
    }

    /// 100,000 distinct keys parse (this took 18 s when each key was compared with every earlier
    /// one; the benchmark figure is in the report, not asserted here), and a duplicate among them is
    /// found at its byte offset, echoed as an excerpt.
    func testDuplicateKeysInAHugeObjectAreFound() throws {
        let keys = (0..<100_000).map { "\"key\($0)\":\($0)" }
        guard case .object(let members) = try JSONParser.parse("{" + keys.joined(separator: ",") + "}") else {
            return XCTFail("expected an object")
        }
        XCTAssertEqual(members.count, 100_000)
        XCTAssertEqual(members.last?.key, "key99999")
        let document = "{" + keys.joined(separator: ",") + ",\"key5\":0}"
        XCTAssertThrowsError(try JSONParser.parse(document)) {
            guard let error = $0 as? JSONParser.SyntaxError else { return XCTFail("\($0)") }
            XCTAssertEqual(error.message, #"duplicate key "key5""#)
            XCTAssertEqual(error.byteOffset, document.utf8.count - #""key5":0}"#.utf8.count)
        }
        let long = String(repeating: "k", count: 5_000)
        XCTAssertThrowsError(try JSONParser.parse("{\"\(long)\":1,\"\(long)\":2}")) {
            XCTAssertEqual(($0 as? JSONParser.SyntaxError)?.message, "duplicate key \"" + String(repeating: "k", count: 40)
                + "\"… (5000 characters)")
        }
    }

    func testScenarioMessagesEchoExcerptsOfLongValuesAndKeys() throws {
        let long = String(repeating: "z", count: 2_000)
        for text in [#"{"version":1,"name":"x","simulation":{"network":"\#(long)\u001b"}}"#,
                     #"{"version":1,"model":{"\#(long)\n":1}}"#,
                     #"{"version":1,"routing":{"strategies":[{"name":1e999}]}}"#] {
            XCTAssertThrowsError(try Scenario.decode(JSONParser.parse(text), file: "s.json")) {
                let message = "\($0)"
                XCTAssertLessThan(message.count, 700, message)
                XCTAssertFalse(message.unicodeScalars.contains { $0.value < 0x20 }, "no raw control characters: \(message)")
            }
        }
    }
}
