import Foundation

/// Where each (step, layer) batch's router scores come from, shared by every thread of a run:
/// the seeded generator (each batch has its own random stream, so any batch can be made on any
/// thread, in any order) or the scenario's trace file (read front to back: a thread asking for the
/// run's n-th batch waits until batches 0..<n have been read, whichever threads read them).
final class BatchSource: @unchecked Sendable {
    /// The scenario the batches are for.
    let scenario: Scenario
    private let generator: SyntheticScoreGenerator
    /// The scenario's trace file, streamed; nil for synthetic tokens.
    private let trace: TraceSource?
    private let turn = NSCondition()
    /// The run order of the next batch the trace gives.
    private var nextOrder = 0

    /// The source of `scenario`'s batches.
    /// - Throws: `TraceError` when the trace file is missing, corrupt or changed since the scenario was loaded.
    init(scenario: Scenario) throws {
        self.scenario = scenario
        generator = SyntheticScoreGenerator(spec: scenario.synthetic, experts: scenario.model.experts,
                                            layers: scenario.model.moeLayers, seed: scenario.simulation.seed)
        trace = try scenario.traceFile.map { try TraceSource(file: $0.path) }
        if let trace, let expected = scenario.traceFile?.header, trace.header != expected {
            throw TraceError.invalidField(file: trace.file, at: .byte(0), field: "the header", value: "a different shape",
                                          allowed: "the one read when the scenario was loaded (the file changed since)")
        }
    }

    /// Choices per token when the batches replay a trace's recorded expert choices; nil for scores.
    var recordedK: Int? { trace.flatMap { $0.header.payload == .choices ? $0.header.k : nil } }

    /// Fills `batch` with batch (step, layer), the run's `order`-th batch (0, 1, 2, … in the order a
    /// sequential run reads them; a trace gives its batches in that order).
    /// - Throws: `TraceError` when the trace is corrupt or ends early; later batches then fail too.
    /// - Complexity: O(T · E) for T tokens and E experts.
    func fill(_ batch: inout TraceBatch, step: Int, layer: Int, order: Int) throws {
        guard let trace else {
            generator.fill(step: step, layer: layer, tokenCount: scenario.tokenLayout.tokenCount, into: &batch.scores)
            return
        }
        turn.lock()
        defer {
            nextOrder += 1
            turn.broadcast()
            turn.unlock()
        }
        while nextOrder != order { turn.wait() }
        guard try trace.nextBatch(into: &batch) else {
            throw TraceError.truncated(file: trace.file, at: .byte(trace.bytesRead), what: "trace (batch for step \(step), "
                + "layer \(layer))", neededBytes: trace.header.tokensPerStep * trace.header.payloadBytesPerToken,
                availableBytes: 0)
        }
    }
}
