import Foundation
import XCTest

/// Another Swift package can depend on the `MoESimCore` library: SwiftPM refuses a dependency
/// (by version) whose product contains a target with unsafe flags (`-O`, `-target-cpu`, ...), and
/// builds such a dependency from a `checkouts` directory, where no target the product is built from
/// may carry any. Built on its own, the core keeps its speed flags.
final class PackageManifestTests: XCTestCase {
    func testLibraryProductTargetsCarryNoUnsafeFlagsInACheckout() throws {
        let checkout = FileManager.default.temporaryDirectory
            .appendingPathComponent("moesim-checkout-\(UUID())/checkouts/moesim")
        defer { try? FileManager.default.removeItem(at: checkout.deletingLastPathComponent().deletingLastPathComponent()) }
        try FileManager.default.createDirectory(at: checkout, withIntermediateDirectories: true)
        let root = MoesimRunner.packageRoot
        try FileManager.default.copyItem(at: root.appendingPathComponent("Package.swift"),
                                         to: checkout.appendingPathComponent("Package.swift"))
        for folder in ["Sources", "Tests"] {
            try FileManager.default.createSymbolicLink(at: checkout.appendingPathComponent(folder),
                                                       withDestinationURL: root.appendingPathComponent(folder))
        }
        let flags = try unsafeFlagsOfLibraryTargets(try dumpPackage(at: checkout))
        XCTAssertTrue(flags.values.allSatisfy(\.isEmpty), "targets with unsafe flags in a checkout: \(flags); another "
            + "package could not depend on the MoESimCore library. Give such flags only outside checkouts.")
    }

    /// The same manifest at the package's own root does give the core its flags (the switch is live).
    func testTheRootPackageKeepsItsSpeedFlags() throws {
        let flags = try unsafeFlagsOfLibraryTargets(try dumpPackage(at: MoesimRunner.packageRoot))
        XCTAssertTrue(flags["MoESimCore"]?.contains("-O") ?? false, "\(flags)")
    }

    /// The unsafe flags of every target of the MoESimCore product and, transitively, of the targets they
    /// depend on in this package.
    private func unsafeFlagsOfLibraryTargets(_ manifest: [String: Any]) throws -> [String: [String]] {
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
        var flags: [String: [String]] = [:]
        for name in contained {
            flags[name] = []
            for setting in targetsByName[name]?["settings"] as? [[String: Any]] ?? [] {
                let kind = setting["kind"] as? [String: Any] ?? [:]
                if let unsafe = kind["unsafeFlags"] as? [String: Any] {
                    flags[name, default: []] += (unsafe["_0"] as? [String]) ?? ["?"]
                }
            }
        }
        return flags
    }

    /// `swift package dump-package` of the package at `directory` as JSON (a scratch folder of its own,
    /// so that it never waits for the lock of the build that runs these tests).
    private func dumpPackage(at directory: URL) throws -> [String: Any] {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("moesim-manifest-\(UUID())")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift", "package", "--package-path", directory.path,
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
