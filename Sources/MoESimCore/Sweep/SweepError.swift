/// Why a sweep or a merge cannot go on: one message that names the flag, point, file or row
/// at fault and says how to fix it, with the exit code it deserves.
public enum SweepError: Error, CustomStringConvertible, Equatable {
    /// A bad `--set`, `--shard` or grid (exit 64).
    case usage(String)
    /// A results file that does not fit: other columns, another grid, missing or repeated points (exit 65).
    case data(String)
    /// The output file cannot be created or appended to (exit 73).
    case cannotWrite(String)

    /// The process exit code: 64 for usage errors, 65 for bad data, 73 for output that cannot be written.
    public var exitCode: Int32 {
        switch self {
        case .usage: return 64
        case .data: return 65
        case .cannotWrite: return 73
        }
    }

    public var description: String {
        switch self {
        case .usage(let message), .data(let message), .cannotWrite(let message): return message
        }
    }
}
