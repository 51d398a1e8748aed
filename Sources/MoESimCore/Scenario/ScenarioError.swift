/// Everything that can be wrong with a scenario file, each case naming the
/// file, the key path, the value seen and what is allowed.
public enum ScenarioError: Error, CustomStringConvertible, Equatable {
    /// The file does not exist (exit 66).
    case fileNotFound(file: String)
    /// The file exists but could not be read (exit 66).
    case unreadable(file: String, reason: String)
    /// The file is not valid JSON (exit 65).
    case syntax(file: String, detail: String)
    /// A key is missing, unknown, of the wrong type or out of range (exit 65).
    /// `file` is nil until the loader attaches it.
    case invalid(file: String?, keyPath: String, message: String)
    /// The trace file named at `keyPath` is missing (exit 66) or malformed (exit 65).
    case trace(file: String?, keyPath: String, error: TraceError)

    /// The same error with the file name attached.
    func inFile(_ file: String) -> ScenarioError {
        if case let .invalid(nil, keyPath, message) = self {
            return .invalid(file: file, keyPath: keyPath, message: message)
        }
        if case let .trace(nil, keyPath, error) = self { return .trace(file: file, keyPath: keyPath, error: error) }
        return self
    }

    /// The process exit code for this error: 66 for a missing file, 65 for bad data.
    public var exitCode: Int32 {
        switch self {
        case .fileNotFound, .unreadable: return 66
        case .syntax, .invalid: return 65
        case .trace(_, _, let error): return error.exitCode
        }
    }

    public var description: String {
        switch self {
        case .fileNotFound(let file):
            return "\(file): no such file (check the path; scenarios/ holds examples)"
        case let .unreadable(file, reason):
            return "\(file): cannot be read: \(reason)"
        case let .syntax(file, detail):
            return "\(file): not valid JSON: \(detail)"
        case let .invalid(file, keyPath, message):
            let place = keyPath.isEmpty ? "(top level)" : keyPath
            return file.map { "\($0): \(place): \(message)" } ?? "\(place): \(message)"
        case let .trace(file, keyPath, error):
            return file.map { "\($0): \(keyPath): \(error)" } ?? "\(keyPath): \(error)"
        }
    }
}
