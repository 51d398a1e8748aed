import MoESimCore

/// A failure that ends the process with one message on stderr and a sysexits code.
enum CommandLineError: Error, CustomStringConvertible {
    /// Wrong flags or arguments (exit 64).
    case usage(String, command: String)
    /// Bad input data (exit 65).
    case data(String)
    /// A missing input file (exit 66).
    case missingFile(String)
    /// Output could not be written (exit 73, EX_CANTCREAT).
    case cannotWrite(String)
    /// A write to standard output failed (exit 74, EX_IOERR).
    case ioError(String)

    var exitCode: Int32 {
        switch self {
        case .usage: return 64
        case .data: return 65
        case .missingFile: return 66
        case .cannotWrite: return 73
        case .ioError: return 74
        }
    }

    var description: String {
        switch self {
        case let .usage(message, command):
            return "\(message)\nRun `moesim help \(command)` for usage."
        case .data(let message), .missingFile(let message), .cannotWrite(let message), .ioError(let message):
            return message
        }
    }

    init(_ error: SweepError, command: String) {
        switch error {
        case .usage(let message): self = .usage(message, command: command)
        case .data(let message): self = .data(message)
        case .cannotWrite(let message): self = .cannotWrite(message)
        }
    }

    init(_ error: ScenarioError) {
        self = error.exitCode == 66 ? .missingFile(error.description) : .data(error.description)
    }
}
