/// Why a validation set could not be loaded. Every message names the file, the row or key
/// path, the value seen and what is allowed.
public enum ValidationError: Error, CustomStringConvertible {
    /// A measurement file is missing, unreadable or not valid CSV.
    case measurements(CSVError)
    /// A scenario file is missing or invalid.
    case scenario(ScenarioError)
    /// A measurement row or its scenario does not fit the validation set's rules.
    case invalid(file: String, where: String, message: String)

    /// The sysexits code: 66 for a missing file, 65 for bad data.
    public var exitCode: Int32 {
        switch self {
        case .measurements(let error): return error.exitCode
        case .scenario(let error): return error.exitCode
        case .invalid: return 65
        }
    }

    public var description: String {
        switch self {
        case .measurements(let error): return error.description
        case .scenario(let error): return error.description
        case let .invalid(file, place, message): return "\(file): \(place): \(message)"
        }
    }
}
