/// The cartesian product of sweep axes over a base scenario document.
///
/// Points are numbered 0..<pointCount in row-major order over the axes as given: the first
/// axis varies slowest, the last fastest (like nested loops written in `--set` order). Each
/// point is the base document with every axis's value written at its key path, decoded and
/// validated like a scenario file.
public struct SweepGrid: Sendable {
    /// The scenario document every point starts from.
    public let baseDocument: JSONValue
    /// The directory relative trace files of the document are resolved against (the scenario file's).
    public let baseDirectory: String
    /// The dimensions, outermost first.
    public let axes: [SweepAxis]
    /// Number of points: the product of the axes' value counts (1 with no axes).
    public let pointCount: Int
    /// 16 hex digits identifying the base document's content and the axes (FNV-1a 64). Rows of
    /// the same grid carry the same id, so shards and resumed files can be checked to belong together.
    public let gridID: String

    /// Most points a grid may have.
    public static let maxPoints = 1_000_000

    /// Builds a grid over `base`, whose relative paths (`trace.file`) start from `baseDirectory`.
    /// - Throws: `SweepError.usage` when two axes share a key path or the grid exceeds `maxPoints`.
    /// - Complexity: O(size of the base document + total axis values).
    public init(base: JSONValue, baseDirectory: String = "", axes: [SweepAxis]) throws {
        var seen: [ScenarioKeyPath] = []
        for path in axes.flatMap(\.keyPaths) {
            guard !seen.contains(path) else {
                throw SweepError.usage("--set \(path) is given twice; list all its values in one --set")
            }
            seen.append(path)
        }
        var count = 1
        for axis in axes {
            let (product, overflow) = count.multipliedReportingOverflow(by: axis.values.count)
            guard !overflow, product <= SweepGrid.maxPoints else {
                throw SweepError.usage("the grid has more than \(SweepGrid.maxPoints) points "
                    + "(\(axes.map { String($0.values.count) }.joined(separator: " × "))); split it into several sweeps")
            }
            count = product
        }
        baseDocument = base
        self.baseDirectory = baseDirectory
        self.axes = axes
        pointCount = count
        var text = "moesim sweep grid v1\n" + base.compactText + "\n"
        for axis in axes { text += "\(axis.name)=\(axis.labels.joined(separator: ","))\n" }
        gridID = SweepGrid.fnv1a64Hex(text)
    }

    /// The value index along each axis of `point`.
    /// - Complexity: O(axes).
    public func coordinates(of point: Int) -> [Int] {
        precondition(point >= 0 && point < pointCount, "point \(point) outside 0..<\(pointCount)")
        var rest = point
        var coordinates = [Int](repeating: 0, count: axes.count)
        for a in axes.indices.reversed() {
            coordinates[a] = rest % axes[a].values.count
            rest /= axes[a].values.count
        }
        return coordinates
    }

    /// Each axis's value label at `point`, in axis order.
    public func labels(of point: Int) -> [String] {
        zip(axes, coordinates(of: point)).map { $0.labels[$1] }
    }

    /// The scenario at `point`: the base document with the point's overrides, decoded and validated.
    /// - Throws: `SweepError.usage` naming the point's overrides and the decoder's message.
    /// - Complexity: O(size of the document · axes).
    public func scenario(at point: Int) throws -> Scenario {
        let document = try self.document(at: point)
        do {
            return try Scenario.decode(document, baseDirectory: baseDirectory)
        } catch let error as ScenarioError {
            let overrides = zip(axes, labels(of: point)).map { "\($0.name)=\($1)" }.joined(separator: ", ")
            throw SweepError.usage("--set values at grid point \(point) (\(overrides)) make an invalid scenario: \(error.description)")
        }
    }

    /// The document at `point`: the base document with every axis's value written at its key paths, not yet decoded.
    /// - Throws: `SweepError.usage` when a key path does not fit the document.
    /// - Complexity: O(size of the document · axes).
    public func document(at point: Int) throws -> JSONValue {
        var document = baseDocument
        do {
            for (axis, index) in zip(axes, coordinates(of: point)) {
                for keyPath in axis.keyPaths { document = try keyPath.setting(axis.values[index], in: document) }
            }
        } catch let problem as ScenarioKeyPath.Problem {
            throw SweepError.usage("--set \(problem.description)")
        }
        return document
    }

    /// FNV-1a 64-bit hash of the UTF-8 bytes of `text`, as 16 lowercase hex digits.
    static func fnv1a64Hex(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
