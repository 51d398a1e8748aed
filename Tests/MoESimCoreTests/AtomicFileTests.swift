import Foundation
import XCTest
@testable import MoESimCore

/// `AtomicFile` decides what a path is before writing: regular files are replaced, links are
/// followed, devices and FIFOs written through, directories refused; names are checked first.
final class AtomicFileTests: XCTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: directory) }

    private func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    func testDestinationsByFileType() throws {
        let manager = FileManager.default
        XCTAssertEqual(try AtomicFile.destination(of: path("new.csv")), .replace(path: path("new.csv")))
        try AtomicFile.write("a", to: path("file.csv"))
        XCTAssertEqual(try AtomicFile.destination(of: path("file.csv")), .replace(path: path("file.csv")))
        try manager.createSymbolicLink(atPath: path("link.csv"), withDestinationPath: "file.csv")
        try manager.createSymbolicLink(atPath: path("chain.csv"), withDestinationPath: path("link.csv"))
        XCTAssertEqual(try AtomicFile.destination(of: path("chain.csv")), .replace(path: path("file.csv")))
        XCTAssertEqual(try AtomicFile.destination(of: "/dev/null"), .writeThrough(path: "/dev/null"))
        XCTAssertEqual(mkfifo(path("fifo"), 0o600), 0)
        XCTAssertEqual(try AtomicFile.destination(of: path("fifo")), .writeThrough(path: path("fifo")))
        try manager.createSymbolicLink(atPath: path("loop"), withDestinationPath: "loop")
        XCTAssertThrowsError(try AtomicFile.destination(of: path("loop"))) {
            XCTAssertTrue("\($0)".contains("symbolic links"), "\($0)")
        }
        XCTAssertThrowsError(try AtomicFile.destination(of: directory)) { XCTAssertTrue("\($0)".contains("directory")) }
        XCTAssertThrowsError(try AtomicFile.destination(of: path("file.csv/below.csv"))) {
            XCTAssertTrue("\($0)".contains("is not a directory"), "\($0)")
        }
        XCTAssertThrowsError(try AtomicFile.destination(of: ""))
        XCTAssertThrowsError(try AtomicFile.destination(of: path(String(repeating: "x", count: 256)))) {
            XCTAssertTrue("\($0)".contains("256 bytes"), "\($0)")
        }
    }

    func testWritesThroughLinksAndLeavesThemLinks() throws {
        try AtomicFile.write("old", to: path("target.csv"))
        try FileManager.default.createSymbolicLink(atPath: path("link.csv"), withDestinationPath: "target.csv")
        try AtomicFile.write([("new", path("link.csv")), ("other", path("sub/b.csv"))])
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: path("link.csv")), "target.csv")
        XCTAssertEqual(try String(contentsOfFile: path("target.csv"), encoding: .utf8), "new")
        XCTAssertEqual(try String(contentsOfFile: path("sub/b.csv"), encoding: .utf8), "other")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).sorted(), ["link.csv", "sub", "target.csv"])
        // The same file twice, by two spellings, is refused before anything changes.
        XCTAssertThrowsError(try AtomicFile.write([("x", path("target.csv")), ("y", path("link.csv"))]))
        XCTAssertThrowsError(try AtomicFile.write([("x", path("new.csv")), ("y", directory + "/./sub/../new.csv")]))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("new.csv")))
        XCTAssertEqual(try String(contentsOfFile: path("target.csv"), encoding: .utf8), "new")
    }

    func testLongNamesGetShortDistinctTemporaryNames() {
        let stem = String(repeating: "é", count: 120)  // 240 bytes
        let a = AtomicFile.temporaryName(for: stem + ".per_gpu.csv"), b = AtomicFile.temporaryName(for: stem + ".per_expert.csv")
        XCTAssertLessThanOrEqual(a.utf8.count, AtomicFile.maxNameBytes)
        XCTAssertLessThanOrEqual(b.utf8.count, AtomicFile.maxNameBytes)
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(AtomicFile.temporaryName(for: "s.csv"), ".s.csv.tmp-\(ProcessInfo.processInfo.processIdentifier)")
    }

    func testFileIdentityIgnoresSpelling() throws {
        try AtomicFile.write("a", to: path("a.csv"))
        try AtomicFile.write("a", to: path("copy.csv"))
        try FileManager.default.createSymbolicLink(atPath: path("l.csv"), withDestinationPath: "a.csv")
        XCTAssertEqual(FileIdentity(path: path("a.csv")), FileIdentity(path: directory + "/./a.csv"))
        XCTAssertEqual(FileIdentity(path: path("a.csv")), FileIdentity(path: path("l.csv")))
        XCTAssertNotEqual(FileIdentity(path: path("a.csv")), FileIdentity(path: path("copy.csv")))
        XCTAssertNil(FileIdentity(path: path("missing.csv")))
    }
}
