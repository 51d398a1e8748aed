import XCTest
@testable import MoESimCore

/// The `.npy` header is parsed as the dict it is, not searched for substrings.
final class NPYHeaderParserTests: XCTestCase {
    private func parse(_ text: String) throws -> [String: NPYHeaderParser.Value] {
        var parser = NPYHeaderParser(bytes: Array(text.utf8), name: "a.npy", offset: 10)
        return try parser.parseDict()
    }

    func testNumPysHeadersParse() throws {
        XCTAssertEqual(try parse("{'descr': '<f4', 'fortran_order': False, 'shape': (6, 4), }          \n"),
                       ["descr": .string("<f4"), "fortran_order": .boolean(false), "shape": .tuple([6, 4])])
        XCTAssertEqual(try parse("{\"descr\":\"<i8\",\"fortran_order\":True,\"shape\":(3,)}")["shape"], .tuple([3]))
        XCTAssertEqual(try parse("{'shape': (), 'descr': '<f2', 'fortran_order': False}")["shape"], .tuple([]))
    }

    func testKeysThatOnlyContainAKeyDuplicatesAndTrailingTextAreRefused() {
        let cases: [(String, String)] = [
            ("{'descr': '<f4', 'fortran_order': False, 'xshape': (1,), 'shape': (2, 2)}", "one of the keys"),
            ("{'descr': \"'shape': (9, 9)\", 'fortran_order': False}", "keys 'descr', 'fortran_order' and 'shape' (has"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'shape': (9, 9)}", "each key once ('shape' is repeated)"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2)} junk", "only spaces and a newline after the dict"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -2)}", "a non-negative integer"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", "below 2^63"),
            ("{'descr': '<f4' 'fortran_order': False}", "',' or '}' after the value of 'descr'"),
            ("{'descr': '<f4', 'fortran_order': Fals, 'shape': (1,)}", "a string, True, False or a tuple"),
            ("", "a dict with the keys"),
        ]
        for (text, message) in cases {
            XCTAssertThrowsError(try parse(text), text) { error in
                XCTAssertTrue("\(error)".contains(message), "\(text): \(error)")
                XCTAssertTrue("\(error)".hasPrefix("a.npy: byte "), "\(error)")
            }
        }
    }
}
