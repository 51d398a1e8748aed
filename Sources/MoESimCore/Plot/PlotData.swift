/// The points of a plot, taken from a CSV table by a `PlotRequest`: rows filtered, split into
/// series by the `by` column (in the order values first appear, never dictionary order),
/// rows with the same (series, x) averaged into one point, points sorted by x.
public struct PlotData: Sendable {
    /// One plotted point: for bar charts `x` is the index of the category in `categories`.
    public struct Point: Sendable, Equatable {
        public let x: Double
        /// The mean of the y values of `rowCount` rows.
        public let y: Double
        public let rowCount: Int
    }

    /// The points of one value of the `by` column (or of all rows), sorted by x.
    public struct Series: Sendable, Equatable {
        public let name: String
        public let points: [Point]
    }

    public let request: PlotRequest
    /// The series in first-appearance order of their `by` value.
    public let series: [Series]
    /// Bar charts: the x values in first-appearance order; line plots: empty.
    public let categories: [String]
    /// Remarks for the user (rows averaged or skipped), one sentence each.
    public let notes: [String]

    /// Reads the CSV file at `path` and selects its rows for `request`, as `init(table:request:)`.
    /// - Throws: `PlotError.table` when the file cannot be read as CSV, else as `init(table:request:)`.
    /// - Complexity: O(file size) plus that of `init(table:request:)`.
    public init(file path: String, request: PlotRequest) throws {
        let table: CSVTable
        do { table = try CSVTable.load(path: path) } catch let error as CSVError { throw PlotError.table(error) }
        try self.init(table: table, request: request)
    }

    /// Selects, parses and groups the rows of `table` for `request`. Rows with an empty y
    /// (or, for line plots, an empty x) have no value to plot and are skipped with a note.
    /// - Throws: `PlotError` naming the file, line, column and value: unknown columns,
    ///   non-numeric values, values ≤ 0 on a logarithmic axis, nothing left to plot.
    /// - Complexity: O(rows · filters + series · points + points · log points).
    public init(table: CSVTable, request: PlotRequest) throws {
        self.request = request
        let source = table.source
        func column(_ name: String, flag: String) throws -> Int {
            do { return try table.columnIndex(name, flag: flag) } catch let error as CSVError { throw PlotError.table(error) }
        }
        let xIndex = try column(request.xColumn, flag: "--x")
        let yIndex = try column(request.yColumn, flag: "--y")
        let byIndex = try request.byColumn.map { try column($0, flag: "--by") }
        let filters = try request.filters.map { (index: try column($0.column, flag: "--where"), value: $0.value) }
        guard !table.rows.isEmpty else { throw PlotError.noData(source: source, reason: "the file has a header but no rows") }

        func number(_ text: String, line: Int, column: String, logarithmicFlag: String?, hint: String) throws -> Double {
            guard let value = Double(text), value.isFinite else {
                throw PlotError.nonNumeric(source: source, line: line, column: column, value: text, hint: hint)
            }
            if let logarithmicFlag, value <= 0 {
                throw PlotError.nonPositiveOnLogAxis(source: source, line: line, column: column, value: text, flag: logarithmicFlag)
            }
            return value
        }

        struct Key: Hashable { let series: Int; let x: Double }
        var seriesNames: [String] = [], seriesIndex: [String: Int] = [:]
        var categories: [String] = [], categoryIndex: [String: Int] = [:]
        // Each sum is kept twice: as is, and scaled by 2^-600, which cannot overflow and gives the
        // mean when the plain sum does (values near the largest Double).
        var keys: [Key] = [], sums: [Double] = [], scaledSums: [Double] = [], counts: [Int] = [], slot: [Key: Int] = [:]
        var matched = 0, skipped = 0
        for (row, line) in zip(table.rows, table.lineNumbers) where filters.allSatisfy({ row[$0.index] == $0.value }) {
            matched += 1
            let yText = row[yIndex].trimmingCharacters(in: .whitespaces)
            let xText = row[xIndex].trimmingCharacters(in: .whitespaces)
            if yText.isEmpty || (request.kind == .line && xText.isEmpty) { skipped += 1; continue }
            let y = try number(yText, line: line, column: request.yColumn, logarithmicFlag: request.logarithmicY ? "--log-y" : nil,
                               hint: "--y needs a numeric column")
            let x: Double
            switch request.kind {
            case .line:
                x = try number(xText, line: line, column: request.xColumn, logarithmicFlag: request.logarithmicX ? "--log-x" : nil,
                               hint: "a line plot needs a numeric --x; use --kind bar to plot over text categories")
            case .bar:
                x = Double(Self.index(of: xText, in: &categories, positions: &categoryIndex))
            }
            let name = byIndex.map { row[$0] } ?? request.yColumn
            let key = Key(series: Self.index(of: name, in: &seriesNames, positions: &seriesIndex), x: x)
            if let index = slot[key] {
                sums[index] += y
                scaledSums[index] += y * 0x1p-600
                counts[index] += 1
            } else {
                slot[key] = keys.count
                keys.append(key); sums.append(y); scaledSums.append(y * 0x1p-600); counts.append(1)
            }
        }

        guard matched > 0 else {
            let wanted = request.filters.map { "\($0.column)=\($0.value)" }.joined(separator: " and ")
            let seen = filters.map { filter in
                var values: [String] = []
                for row in table.rows where !values.contains(row[filter.index]) { values.append(row[filter.index]) }
                return "\(table.header[filter.index]) has " + values.prefix(12).map { "\"\($0)\"" }.joined(separator: ", ")
                    + (values.count > 12 ? ", …" : "")
            }
            throw PlotError.noData(source: source, reason: "no row has \(wanted) (\(seen.joined(separator: "; ")))")
        }
        guard !keys.isEmpty else {
            throw PlotError.noData(source: source, reason: "all \(matched) selected row(s) have an empty \(request.yColumn)"
                + (request.kind == .line ? " or \(request.xColumn)" : ""))
        }

        series = seriesNames.indices.map { s in
            let points = keys.indices.filter { keys[$0].series == s }
                .map { i -> Point in
                    let mean = sums[i].isFinite ? sums[i] / Double(counts[i]) : scaledSums[i] / Double(counts[i]) * 0x1p600
                    return Point(x: keys[i].x, y: mean, rowCount: counts[i])
                }
                .sorted { $0.x < $1.x }
            return Series(name: seriesNames[s], points: points)
        }
        self.categories = categories

        var notes: [String] = []
        if skipped > 0 {
            notes.append("skipped \(skipped) row(s) with an empty \(request.yColumn)"
                + (request.kind == .line ? " or \(request.xColumn)" : "") + " (no value to plot)")
        }
        let merged = counts.filter { $0 > 1 }
        if let most = merged.max() {
            let group = (request.byColumn.map { "(\($0), \(request.xColumn))" } ?? request.xColumn)
            notes.append("averaged rows that share the same \(group): \(merged.count) point(s) are means of up to "
                + "\(most) rows; to plot them apart, split with --by or pick rows with --where")
        }
        self.notes = notes
    }

    /// The smallest and largest x of all points (line plots).
    /// - Complexity: O(points), like `yRange`.
    public var xRange: ClosedRange<Double> { range(series.flatMap { $0.points.map(\.x) }) }
    /// The smallest and largest y of all points.
    public var yRange: ClosedRange<Double> { range(series.flatMap { $0.points.map(\.y) }) }

    /// `values`' span; never empty here (`init` refuses a plot without points).
    private func range(_ values: [Double]) -> ClosedRange<Double> { (values.min() ?? 0)...(values.max() ?? 0) }

    /// The position of `value` in `names` (first-appearance order), appended when new.
    private static func index(of value: String, in names: inout [String], positions: inout [String: Int]) -> Int {
        if let known = positions[value] { return known }
        positions[value] = names.count
        names.append(value)
        return names.count - 1
    }
}
