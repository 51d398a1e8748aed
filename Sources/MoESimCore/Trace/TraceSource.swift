import Foundation

/// A trace to replay, batch after batch, whatever its origin: a `.moetrace` streamed chunk by
/// chunk (bounded memory), a `.csv` read whole (CSV is for small traces), batches held in
/// memory, or the seeded synthetic generator.
public final class TraceSource {
    /// The trace's shape.
    public let header: TraceHeader
    /// The path, as given ("(memory)" or "(synthetic)" otherwise).
    public let file: String
    private let reader: TraceReader?
    private let generator: SyntheticScoreGenerator?
    private var loaded: [TraceBatch]
    private var next = 0

    /// Opens `file`: CSV if its name ends in `.csv`, the binary format otherwise.
    /// - Throws: `TraceError` (missing file, bad header; a CSV is checked whole here).
    public init(file: String) throws {
        self.file = file
        generator = nil
        if TraceSource.isCSV(file) {
            (header, loaded) = try TraceCSV.read(file: file)
            reader = nil
        } else {
            let binary = try TraceReader(file: file)
            header = binary.header
            reader = binary
            loaded = []
        }
    }

    /// Batches already in memory, `header.batchCount` of them, each shaped for `header`.
    public init(header: TraceHeader, batches: [TraceBatch]) {
        precondition(batches.count == header.batchCount, "one batch per (step, layer)")
        self.header = header
        file = "(memory)"
        loaded = batches
        reader = nil
        generator = nil
    }

    /// Synthetic scores of `header`'s shape from the seeded generator (as a scenario's
    /// `trace.synthetic` with the same seed), with SAM device logits when `header.hasDeviceLogits`.
    /// - Precondition: a scores header; with device logits, experts divisible by GPUs.
    public init(header: TraceHeader, synthetic spec: SyntheticScoresSpec, seed: UInt64) {
        precondition(header.payload == .scores && (!header.hasDeviceLogits || header.experts % header.gpus == 0))
        self.header = header
        file = "(synthetic)"
        generator = SyntheticScoreGenerator(spec: spec, experts: header.experts, layers: header.layers, seed: seed)
        loaded = []
        reader = nil
    }

    /// Whether `path` names a CSV trace (by its extension).
    public static func isCSV(_ path: String) -> Bool { path.lowercased().hasSuffix(".csv") }

    /// Bytes read from the file so far (0 for CSV, memory and synthetic sources).
    public var bytesRead: Int { reader?.bytesRead ?? 0 }

    /// Reads the next batch (step-major, then layer) into `batch`; false after the last one.
    /// - Throws: `TraceError` at the first corrupt chunk (binary).
    /// - Complexity: O(batch size).
    public func nextBatch(into batch: inout TraceBatch) throws -> Bool {
        if let reader { return try reader.nextBatch(into: &batch) }
        guard next < header.batchCount else { return false }
        defer { next += 1 }
        if let generator {
            batch.shape(for: header)
            generator.fill(step: next / header.layers, layer: next % header.layers, tokenCount: header.tokensPerStep,
                           into: &batch.scores)
            if header.scoreType == .f16 {
                for i in batch.scores.indices { batch.scores[i] = Float(Float16(batch.scores[i])) }
            }
            if header.hasDeviceLogits {
                SyntheticScoreGenerator.deviceLogits(scores: batch.scores, tokenCount: header.tokensPerStep,
                                                     experts: header.experts, gpus: header.gpus, into: &batch.deviceLogits)
            }
            return true
        }
        // Hand the stored batch over rather than copying it: each is replayed once.
        swap(&batch, &loaded[next])
        loaded[next] = TraceBatch()
        return true
    }

    /// Throws unless the CSV text of this trace, built whole in memory, fits in half the machine's
    /// memory (estimated at `csvBytesPerValue` bytes per value).
    private func checkCSVFitsInMemory(_ path: String,
                                      physicalMemoryBytes: UInt64 = MachineMemory.bytes) throws {
        let width = header.payload == .scores ? header.experts + (header.hasDeviceLogits ? header.gpus : 0) : 2 * header.k
        let bytes = Double(header.batchCount) * Double(header.tokensPerStep) * Double(width + 4) * TraceSource.csvBytesPerValue
        guard bytes > Double(physicalMemoryBytes) / 2 else { return }
        throw TraceError.invalidField(file: path, at: .file, field: "a CSV trace of this size",
                                      value: String(format: "about %.1f GiB of text", bytes / 1_073_741_824),
                                      allowed: String(format: "held in memory, at most half of this machine's %.1f GiB: "
                                          + "write a .moetrace instead (CSV is for small traces)",
                                          Double(physicalMemoryBytes) / 1_073_741_824))
    }

    /// Bytes of CSV text per value, an upper bound with the field's text, its comma and the String's share.
    static let csvBytesPerValue = 16.0

    /// Writes the batches not yet read to `path`, atomically: CSV text if it ends in `.csv`,
    /// else the binary format (streamed, with this trace's chunk size). Returns the bytes written.
    /// - Throws: `TraceError` from reading (or when CSV text of this size could not be held in
    ///   memory), `AtomicFile.WriteError`; the target is unchanged then.
    /// - Complexity: O(trace size); bounded memory for binary output.
    @discardableResult
    public func write(to path: String, progress: ((Int, Int) -> Void)? = nil) throws -> Int {
        if TraceSource.isCSV(path) {
            try checkCSVFitsInMemory(path)
            let text = try TraceCSV.render(self)
            try AtomicFile.write(text, to: path)
            return text.utf8.count
        }
        let writer = try TraceWriter(path: path, header: header)
        var batch = TraceBatch()
        while try nextBatch(into: &batch) {
            try writer.append(batch)
            progress?(writer.batchesWritten, header.batchCount)
        }
        try writer.finish()
        return writer.bytesWritten
    }
}
