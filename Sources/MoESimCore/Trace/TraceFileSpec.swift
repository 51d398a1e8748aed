/// A trace file that a scenario replays instead of synthetic tokens (`"trace": {"file": ...}`).
public struct TraceFileSpec: Equatable, Sendable {
    /// The path: as written in the scenario when absolute, else resolved against the scenario's directory.
    public var path: String
    /// The trace's header, read when the scenario was loaded (and checked against it).
    public var header: TraceHeader

    /// Describes a trace file and its header.
    public init(path: String, header: TraceHeader) {
        self.path = path
        self.header = header
    }
}
