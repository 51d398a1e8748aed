/// Why a CSV file could not be read. Every message names the file (`source`), the line or
/// column where it applies, what was seen and what is allowed.
public enum CSVError: Error, CustomStringConvertible, Equatable {
    /// The input file does not exist.
    case missingFile(path: String)
    /// The input exists but cannot be opened: a directory, no permission, an I/O error.
    case unreadable(path: String, reason: String)
    /// The input is not UTF-8 text.
    case notUTF8(path: String)
    /// The input has no header line.
    case empty(source: String)
    /// The text breaks RFC 4180 at `line` (1 = the header).
    case malformed(source: String, line: Int, reason: String)
    /// `flag` names a column the header lacks; `available` is the header.
    case unknownColumn(source: String, flag: String, column: String, available: [String])
    /// `flag` names a column the header holds more than once.
    case ambiguousColumn(source: String, flag: String, column: String)

    /// The sysexits code: 66 for a file that is missing or cannot be opened, 65 for everything
    /// else (bad input data).
    public var exitCode: Int32 {
        switch self {
        case .missingFile, .unreadable: return 66
        default: return 65
        }
    }

    public var description: String {
        switch self {
        case .missingFile(let path):
            return "\(path): no such file; pass a CSV written by `moesim simulate --format csv` or `moesim sweep`"
        case let .unreadable(path, reason):
            return "\(path): cannot read: \(reason)"
        case .notUTF8(let path):
            return "\(path): cannot read: not UTF-8 text; save the CSV as UTF-8"
        case .empty(let source):
            return "\(source): the file is empty; expected a header line of column names, then one row per observation"
        case let .malformed(source, line, reason):
            return "\(source): line \(line): \(reason)"
        case let .unknownColumn(source, flag, column, available):
            return "\(source): \(flag) \(column): no such column; the columns are \(available.joined(separator: ", "))"
        case let .ambiguousColumn(source, flag, column):
            return "\(source): \(flag) \(column): the header names this column more than once; rename one"
        }
    }
}
