import XCTest
@testable import MoESimCore

/// The RFC 4180 reader behind `moesim plot` and `moesim validate`.
final class CSVTableTests: XCTestCase {
    func testQuotedFieldsAndLineNumbers() throws {
        let text = "\u{FEFF}name,note,value\r\nplain,\"a, b\",1\r\n\"quo\"\"te\",\"two\nlines\",2\n\n\"\",,3\n"
        let table = try CSVTable(text: text, source: "t.csv")
        XCTAssertEqual(table.header, ["name", "note", "value"])
        XCTAssertEqual(table.rows, [["plain", "a, b", "1"], ["quo\"te", "two\nlines", "2"], ["", "", "3"]])
        XCTAssertEqual(table.lineNumbers, [2, 3, 6])
        XCTAssertEqual(try table.columnIndex("value", flag: "--y"), 2)
        XCTAssertThrowsError(try table.columnIndex("values", flag: "--y")) { error in
            XCTAssertEqual(error as? CSVError, .unknownColumn(source: "t.csv", flag: "--y", column: "values",
                                                               available: ["name", "note", "value"]))
        }
        // What CSVWriter writes, CSVTable reads back.
        let rows = [["a,b", "say \"hi\"", "x\ny"], ["", "plain", "3"]]
        let written = CSVWriter.render(header: ["h1", "h2", "h3"], rows: rows)
        XCTAssertEqual(try CSVTable(text: written, source: "w").rows, rows)
    }

    func testMalformedTextNamesTheLine() {
        func failure(_ text: String) -> CSVError? {
            do { _ = try CSVTable(text: text, source: "f.csv"); return nil } catch { return error as? CSVError }
        }
        guard case .malformed("f.csv", 3, _)? = failure("a,b\n1,2\n3,4,5\n") else { return XCTFail("ragged row") }
        guard case .malformed("f.csv", 2, _)? = failure("a,b\n1,\"open\n") else { return XCTFail("unterminated quote") }
        guard case .malformed("f.csv", 2, _)? = failure("a,b\n1,x\"y\n") else { return XCTFail("stray quote") }
        guard case .malformed("f.csv", 2, _)? = failure("a,b\n\"1\"x,2\n") else { return XCTFail("text after quote") }
        XCTAssertEqual(failure(""), .empty(source: "f.csv"))
        XCTAssertEqual(failure("\n\n"), .empty(source: "f.csv"))
    }
}
