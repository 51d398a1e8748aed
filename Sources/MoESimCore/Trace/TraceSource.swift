/// A trace file opened for replay, whatever its form: a `.moetrace` streamed chunk by chunk
/// (bounded memory), or a `.csv` read whole (CSV is for small traces).
public final class TraceSource {
    /// The trace's shape.
    public let header: TraceHeader
    /// The path, as given.
    public let file: String
    private let reader: TraceReader?
    private var loaded: [TraceBatch]
    private var next = 0

    /// Opens `file`: CSV if its name ends in `.csv`, the binary format otherwise.
    /// - Throws: `TraceError` (missing file, bad header; a CSV is checked whole here).
    public init(file: String) throws {
        self.file = file
        if file.lowercased().hasSuffix(".csv") {
            (header, loaded) = try TraceCSV.read(file: file)
            reader = nil
        } else {
            let binary = try TraceReader(file: file)
            header = binary.header
            reader = binary
            loaded = []
        }
    }

    /// Bytes read from the file so far (the whole file for CSV).
    public var bytesRead: Int { reader?.bytesRead ?? 0 }

    /// Reads the next batch (step-major, then layer) into `batch`; false after the last one.
    /// - Throws: `TraceError` at the first corrupt chunk (binary).
    /// - Complexity: O(batch size).
    public func nextBatch(into batch: inout TraceBatch) throws -> Bool {
        if let reader { return try reader.nextBatch(into: &batch) }
        guard next < loaded.count else { return false }
        // Hand the stored batch over rather than copying it: each is replayed once.
        swap(&batch, &loaded[next])
        loaded[next] = TraceBatch()
        next += 1
        return true
    }
}
