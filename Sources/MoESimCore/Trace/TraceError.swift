/// Everything that can be wrong with a trace file (binary `.moetrace`, CSV, `.npy` or `.npz`).
///
/// Each message quotes the file, where in it (byte offset or CSV row), the value seen and what
/// is allowed, so that the user can fix the file or the command that wrote it.
public enum TraceError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Where in a file a problem is.
    public enum Location: Equatable, Sendable {
        /// Byte offset from the start of the file.
        case byte(Int)
        /// 1-based line of a CSV file (the header line is line 1).
        case row(Int)
        /// 1-based line of a JSON-lines log.
        case line(Int)
        /// The file as a whole.
        case file
    }

    /// The file does not exist (exit 66).
    case fileNotFound(file: String)
    /// The file exists but cannot be opened or read (exit 66).
    case unreadable(file: String, reason: String)
    /// The file does not start with the expected magic bytes: not a file of this kind.
    case badMagic(file: String, at: Location, seen: String, expected: String)
    /// A format version this build does not read.
    case unsupportedVersion(file: String, at: Location, version: Int, supported: String)
    /// The file ends inside a header, a chunk or an array.
    case truncated(file: String, at: Location, what: String, neededBytes: Int, availableBytes: Int)
    /// A stored CRC-32 differs from the one computed over the bytes it covers.
    case checksumMismatch(file: String, at: Location, what: String, stored: UInt32, computed: UInt32)
    /// A field holds a value outside its allowed range.
    case invalidField(file: String, at: Location, field: String, value: String, allowed: String)
    /// A recorded expert id is not below the expert count.
    case expertOutOfRange(file: String, at: Location, token: String, expert: Int, experts: Int)
    /// A score, logit or weight is NaN or infinite.
    case nonFinite(file: String, at: Location, what: String, value: String)

    /// The process exit code: 66 for a missing or unreadable file, 65 for bad data.
    public var exitCode: Int32 {
        switch self {
        case .fileNotFound, .unreadable: return 66
        default: return 65
        }
    }

    public var description: String {
        switch self {
        case .fileNotFound(let file):
            return "\(file): no such file (check the path)"
        case let .unreadable(file, reason):
            return "\(file): cannot be read: \(reason)"
        case let .badMagic(file, at, seen, expected):
            return "\(file): \(at.text)expected \(expected), found \(seen): not a file of this kind"
        case let .unsupportedVersion(file, at, version, supported):
            return "\(file): \(at.text)format version \(version) is not supported (this build reads \(supported))"
        case let .truncated(file, at, what, needed, available):
            return "\(file): \(at.text)truncated \(what): needs \(needed) bytes, only \(available) left "
                + "(the file was cut short; write it again)"
        case let .checksumMismatch(file, at, what, stored, computed):
            return "\(file): \(at.text)CRC-32 mismatch in \(what): stored \(hex(stored)), computed \(hex(computed)) "
                + "(the file is corrupt; write it again)"
        case let .invalidField(file, at, field, value, allowed):
            return "\(file): \(at.text)\(field) must be \(allowed) (got \(value))"
        case let .expertOutOfRange(file, at, token, expert, experts):
            return "\(file): \(at.text)\(token): expert id \(expert) is out of range; ids must be in [0, \(experts - 1)] "
                + "for \(experts) experts"
        case let .nonFinite(file, at, what, value):
            return "\(file): \(at.text)\(what) is \(value); scores, logits and weights must be finite numbers"
        }
    }

    private func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}

extension TraceError.Location {
    /// "byte 24: ", "row 3: ", "line 3: " or "" (file-wide problems).
    var text: String {
        switch self {
        case .byte(let offset): return "byte \(offset): "
        case .row(let row): return "row \(row): "
        case .line(let line): return "line \(line): "
        case .file: return ""
        }
    }
}
