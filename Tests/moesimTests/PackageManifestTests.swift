import Foundation
import XCTest

/// Another Swift package can depend on the `MoESimCore` library: SwiftPM refuses a dependency
/// (by version) whose product contains a target with unsafe flags (`-O`, `-target-cpu`, ...),
/// so no target the product is built from may carry any.
final class PackageManifestTests: XCTestCase {
    func testLibraryProductTargetsCarryNoUnsafeFlags() throws {
        let manifest = try dumpPackage()
        let targets = try XCTUnwrap(manifest["targets"] as? [[String: Any]])
        let targetsByName = Dictionary(uniqueKeysWithValues: targets.map { ($0["name"] as? String ?? "", $0) })
        let products = try XCTUnwrap(manifest["products"] as? [[String: Any]])
        let library = try XCTUnwrap(products.first { $0["name"] as? String == "MoESimCore" }, "no MoESimCore product")
        XCTAssertNotNil((library["type"] as? [String: Any])?["library"], "MoESimCore should be a library product")

        // Every target of the product and, transitively, the targets they depend on in this package.
        var pending = library["targets"] as? [String] ?? []
        var contained: [String] = []
        while let name = pending.popLast() {
            guard !contained.contains(name), let target = targetsByName[name] else { continue }
            contained.append(name)
            for dependency in target["dependencies"] as? [[String: Any]] ?? [] {
                for kind in ["byName", "target"] {
                    if let first = (dependency[kind] as? [Any])?.first as? String { pending.append(first) }
                }
            }
        }
        XCTAssertTrue(contained.contains("MoESimCore"), "\(contained)")
        for name in contained {
            for setting in targetsByName[name]?["settings"] as? [[String: Any]] ?? [] {
                let kind = setting["kind"] as? [String: Any] ?? [:]
                XCTAssertNil(kind["unsafeFlags"], "target \(name) has unsafe flags \(kind); another package could not "
                    + "depend on the MoESimCore library. Pass such flags on the command line (-Xswiftc) instead.")
            }
        }
    }

    /// `swift package dump-package` of this package as JSON (a scratch folder of its own, so that
    /// it never waits for the lock of the build that runs these tests).
    private func dumpPackage() throws -> [String: Any] {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("moesim-manifest-\(UUID())")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift", "package", "--package-path", MoesimRunner.packageRoot.path,
                             "--scratch-path", scratch.path, "dump-package"]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let json = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "swift package dump-package failed:\n\(stderr)")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: json) as? [String: Any], stderr)
    }
}
