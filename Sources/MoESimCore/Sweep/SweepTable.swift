/// The CSV a sweep writes: `grid,point,points`, one column per axis (named by its key path,
/// holding the point's value), then the summary columns of `moesim simulate`; one row per
/// (point, strategy), points in grid order.
///
/// The three leading columns make every row self-describing: which grid it belongs to, which
/// point it is and how many the grid has. Resume and merge rely on them; they are never quoted.
public struct SweepTable: Sendable {
    /// The header line, newline-terminated.
    public let header: String
    /// The grid the rows belong to.
    public let gridID: String
    /// Points in the whole grid.
    public let pointCount: Int

    /// The summary columns after the axes: `SummaryColumn.all`, and the `perturbed` ones when a point has perturbations.
    public let columns: [SummaryColumn]

    /// The table of `grid`; `perturbed`: some point of the whole grid has perturbations (every shard must agree).
    public init(grid: SweepGrid, perturbed: Bool = false) {
        columns = perturbed ? SummaryColumn.all + SummaryColumn.perturbed : SummaryColumn.all
        header = CSVWriter.line(["grid", "point", "points"] + grid.axes.map(\.name) + columns.map(\.name))
        gridID = grid.gridID
        pointCount = grid.pointCount
    }

    /// The rows of one point: one per strategy of `result`, with the point's axis labels.
    /// - Complexity: O(strategies · columns).
    public func rows(point: Int, labels: [String], result: ScenarioResult) -> String {
        let lead = [gridID, String(point), String(pointCount)] + labels
        return result.results.map { CSVWriter.line(lead + SummaryColumn.cells(result.scenario, $0, columns: columns).map(\.text)) }
            .joined()
    }

    /// A sweep CSV file read back: its header and its complete rows.
    public struct Contents {
        /// The header line, newline-terminated.
        public var header: String
        /// The grid id of the rows (nil when there are none).
        public var gridID: String?
        /// Points in the grid the rows came from (nil when there are none).
        public var pointCount: Int?
        /// Every complete row: its point and its text (newline-terminated), in file order.
        public var rows: [(point: Int, text: Substring)]
        /// Whether the file ended in the middle of a line (a write cut short).
        public var endsMidLine: Bool
    }

    /// Reads a sweep CSV. A last line without its newline is left out of `rows` (see `endsMidLine`).
    /// - Throws: `SweepError.data` naming `file` and the line when there is no header, a row has
    ///   another number of fields than the header, a row's leading columns are not
    ///   grid,point,points, or rows of two grids are mixed.
    /// - Complexity: O(size of `text`).
    public static func read(_ text: String, file: String) throws -> Contents {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let endsMidLine = lines.last.map { !$0.isEmpty } ?? false
        lines.removeLast()  // the text after the last newline: empty, or a line cut short
        guard let headerLine = lines.first, headerLine.hasPrefix("grid,point,points,") else {
            throw SweepError.data("\(file): not a moesim sweep CSV (its first line should start with grid,point,points,)")
        }
        var contents = Contents(header: headerLine + "\n", gridID: nil, pointCount: nil, rows: [],
                                endsMidLine: endsMidLine)
        let columns = fieldCount(headerLine)
        for (number, line) in lines.enumerated().dropFirst() {
            let fieldsInLine = fieldCount(line)
            guard fieldsInLine == columns else {
                throw SweepError.data("\(file): line \(number + 1): \(fieldsInLine) field(s), but the header has \(columns); "
                    + "was the file edited or cut?")
            }
            let fields = line.split(separator: ",", maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count == 4, let point = Int(fields[1]), let points = Int(fields[2]), point >= 0, point < points else {
                throw SweepError.data("\(file): line \(number + 1): expected grid,point,points at the start "
                    + "(got \"\(line.prefix(60))\"); was the file edited?")
            }
            let grid = String(fields[0])
            if let known = contents.gridID, known != grid || contents.pointCount != points {
                throw SweepError.data("\(file): line \(number + 1) is from grid \(grid) of \(points) points but earlier rows "
                    + "are from grid \(known) of \(contents.pointCount ?? 0); the file mixes two sweeps")
            }
            contents.gridID = grid
            contents.pointCount = points
            contents.rows.append((point, text[line.startIndex..<text.index(after: line.endIndex)]))
        }
        return contents
    }

    /// The fields of one CSV line: its commas outside double quotes, plus one.
    /// - Complexity: O(line length).
    static func fieldCount(_ line: Substring) -> Int {
        var count = 1, quoted = false
        for byte in line.utf8 {
            if byte == UInt8(ascii: "\"") { quoted.toggle() } else if byte == UInt8(ascii: ","), !quoted { count += 1 }
        }
        return count
    }
}
