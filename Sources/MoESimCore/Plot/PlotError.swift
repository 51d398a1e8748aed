/// Why a CSV could not be plotted. Every message names the file (`source`), the line and
/// column where it applies, the value seen and what is allowed.
public enum PlotError: Error, CustomStringConvertible, Equatable {
    /// The file could not be read as a CSV table, or names no such column.
    case table(CSVError)
    /// A cell of a column that must be numeric is not a finite number.
    case nonNumeric(source: String, line: Int, column: String, value: String, hint: String)
    /// A value ≤ 0 on a logarithmic axis.
    case nonPositiveOnLogAxis(source: String, line: Int, column: String, value: String, flag: String)
    /// Nothing is left to plot; `reason` says why and what to change.
    case noData(source: String, reason: String)

    /// The sysexits code: 66 for a missing file, 65 for everything else (bad input data).
    public var exitCode: Int32 {
        if case .table(let error) = self { return error.exitCode }
        return 65
    }

    public var description: String {
        switch self {
        case .table(let error):
            return error.description
        case let .nonNumeric(source, line, column, value, hint):
            return "\(source): line \(line): column \(column): \"\(value)\" is not a finite number; \(hint)"
        case let .nonPositiveOnLogAxis(source, line, column, value, flag):
            return "\(source): line \(line): column \(column): \(value) is not > 0, which \(flag) needs; "
                + "drop \(flag) or leave the row out with --where"
        case let .noData(source, reason):
            return "\(source): nothing to plot: \(reason)"
        }
    }
}
