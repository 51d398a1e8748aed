import Foundation
import XCTest

/// The folders of the library form layers: each folder's README says what it may depend on, the
/// code uses nothing else, and the declared dependencies have no cycle.
final class ArchitectureTests: XCTestCase {
    private static let sources = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/MoESimCore")

    /// Swift files of each folder, comments removed.
    private func folders() throws -> [String: [(file: String, code: String)]] {
        let manager = FileManager.default
        var result: [String: [(String, String)]] = [:]
        for folder in try manager.contentsOfDirectory(atPath: Self.sources.path).sorted() {
            let directory = Self.sources.appendingPathComponent(folder)
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            result[folder] = try manager.contentsOfDirectory(atPath: directory.path).sorted()
                .filter { $0.hasSuffix(".swift") }
                .map { file in
                    let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
                    let code = text.split(separator: "\n", omittingEmptySubsequences: false)
                        .map { line in line.range(of: "//").map { String(line[..<$0.lowerBound]) } ?? String(line) }
                        .joined(separator: "\n")
                    return (file, code)
                }
        }
        return result
    }

    /// Top-level types and functions declared in `code`.
    private func declarations(in code: String) -> [String] {
        let pattern = try! NSRegularExpression(
            pattern: #"^(?:public |internal )?(?:final )?(?:struct|enum|class|protocol|typealias|func)\s+([A-Za-z_]\w*)"#,
            options: .anchorsMatchLines)
        let range = NSRange(code.startIndex..., in: code)
        return pattern.matches(in: code, range: range).map { String(code[Range($0.range(at: 1), in: code)!]) }
    }

    /// The folders a folder's README allows ("Depends on: A, B." / "nothing." / "any folder."); nil for any.
    private func declaredDependencies(of folder: String) throws -> Set<String>? {
        let readme = Self.sources.appendingPathComponent(folder).appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Depends on: ") }) else {
            XCTFail("\(folder)/README.md has no 'Depends on: ' line")
            return []
        }
        let list = line.dropFirst("Depends on: ".count).trimmingCharacters(in: CharacterSet(charactersIn: ". "))
        if list == "any folder" { return nil }
        if list == "nothing" { return [] }
        return Set(list.components(separatedBy: ", "))
    }

    func testEveryFolderUsesOnlyWhatItsReadmeAllows() throws {
        let folders = try folders()
        XCTAssertGreaterThan(folders.count, 10, "found the library's folders")
        var owner: [String: String] = [:]
        for (folder, files) in folders {
            for (_, code) in files { for name in declarations(in: code) { owner[name] = folder } }
        }
        XCTAssertEqual(owner["MoELayerStep"], "Simulation", "the scan sees declarations")
        for (folder, files) in folders.sorted(by: { $0.key < $1.key }) {
            guard let allowed = try declaredDependencies(of: folder) else { continue }
            for name in allowed { XCTAssertNotNil(folders[name], "\(folder)/README.md names a folder \(name) that does not exist") }
            for (file, code) in files {
                let words = Set(code.split { !($0.isLetter || $0.isNumber || $0 == "_") }.map(String.init))
                for word in words.sorted() {
                    guard let other = owner[word], other != folder else { continue }
                    XCTAssertTrue(allowed.contains(other),
                                  "\(folder)/\(file) uses \(word) from \(other), which \(folder)/README.md does not allow")
                }
            }
        }
    }

    func testDeclaredDependenciesHaveNoCycle() throws {
        var graph: [String: Set<String>] = [:]
        for folder in try folders().keys { graph[folder] = try declaredDependencies(of: folder) ?? [] }
        var state: [String: Int] = [:]   // 1 on the current path, 2 done
        func visit(_ folder: String, path: [String]) {
            if state[folder] == 2 { return }
            if state[folder] == 1 { XCTFail("cycle: " + (path + [folder]).joined(separator: " -> ")); return }
            state[folder] = 1
            for next in (graph[folder] ?? []).sorted() { visit(next, path: path + [folder]) }
            state[folder] = 2
        }
        for folder in graph.keys.sorted() { visit(folder, path: []) }
    }

    /// Package.swift excludes every folder's README from the target (else SwiftPM warns on every build).
    func testPackageExcludesEveryFolderReadme() throws {
        let manifest = try String(contentsOf: Self.sources.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Package.swift"), encoding: .utf8)
        for folder in try folders().keys.sorted() {
            XCTAssertTrue(manifest.contains("\"\(folder)\""), "Package.swift's coreFolders lacks \(folder)")
        }
    }
}
