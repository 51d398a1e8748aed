import Foundation

/// Measures generating synthetic scores of a chosen size in memory, and trace I/O on a scores
/// trace of that size: writing it, streaming it back
/// (CRC-32 and finiteness checks included), streaming it through Switch routing, and a whole
/// `Simulator.run` replaying it (Switch, analytical network). The trace has 64 experts, one
/// layer and 8,192 f32 tokens per step from 8 GPUs (2 MiB per batch); steps make up the size.
public enum TraceBenchmark {
    /// The CSV header of `bench trace`.
    public static let columns = ["benchmark", "bytes", "wall_s", "mb_per_s", "peak_rss_mb"]
    /// `columns` as a newline-terminated CSV line.
    public static var csvHeader: String { CSVWriter.line(columns) }

    /// The phases measured, in order.
    public enum Phase: String, CaseIterable, Sendable {
        /// Generating synthetic router logits (Zipf s = 1, 256 experts, 4,096 tokens per batch) in memory,
        /// as a simulation without a trace file does: `bytes` / 4 logits.
        case generate = "scores_generate"
        /// Writing the trace (one generated batch written again and again).
        case write = "trace_write"
        /// Streaming it back into batches.
        case read = "trace_read"
        /// Streaming it back and routing every batch under Switch.
        case readAndRoute = "trace_read_route_switch"
        /// `Simulator.run` over a scenario replaying it.
        case simulate = "trace_simulate"
    }

    /// One measured phase.
    public struct Row: Sendable {
        public let phase: Phase
        /// Bytes written or read.
        public let bytes: Int
        public let wallSeconds: Double
        /// The process's peak resident memory during the phase, MiB (reset before the phase where
        /// Linux allows, else the peak so far; 0 where unavailable).
        public var peakResidentMegabytes = 0.0
        /// Throughput in MB/s (1 MB = 1e6 bytes).
        public var megabytesPerSecond: Double { Double(bytes) / 1e6 / wallSeconds }

        /// The row as `bench trace` prints it, under `TraceBenchmark.columns` (newline-terminated).
        public var csvLine: String {
            CSVWriter.line([phase.rawValue, String(bytes), String(format: "%.4f", wallSeconds),
                            String(format: "%.0f", megabytesPerSecond), String(format: "%.0f", peakResidentMegabytes)])
        }
    }

    /// Where the benchmark writes its trace: a file named after this process in the system
    /// temporary directory (so that two benchmarks running at once do not share it).
    public static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("moesim-bench-\(ProcessInfo.processInfo.processIdentifier).moetrace").path
    }

    /// The header of the benchmark trace for about `bytes` bytes (at least one step).
    public static func header(bytes: Int) -> TraceHeader {
        let shape = TraceHeader(payload: .scores, experts: 64, layers: 1, tokensPerStep: 8_192, steps: 1, gpus: 8)
        let batchBytes = shape.fileByteCount - TraceHeader.byteCount
        var header = shape
        header.steps = max(1, bytes / batchBytes)
        return header
    }

    /// Runs `phase` on the trace at `path` (written by the `.write` phase) and times it, with the
    /// process's peak resident memory during the phase.
    /// - Throws: `TraceError`, `AtomicFile.WriteError`, `ScenarioError`.
    public static func measure(_ phase: Phase, path: String, header: TraceHeader) throws -> Row {
        ProcessMemory.resetPeak()
        var row = try timePhase(phase, path: path, header: header)
        row.peakResidentMegabytes = ProcessMemory.peakResidentMegabytes()
        return row
    }

    /// One timed run of `measure`.
    private static func timePhase(_ phase: Phase, path: String, header: TraceHeader) throws -> Row {
        let start = DispatchTime.now().uptimeNanoseconds
        var bytes = 0
        switch phase {
        case .generate:
            let experts = 256, tokensPerBatch = 4_096
            let generator = SyntheticScoreGenerator(spec: SyntheticScoresSpec(zipfExponent: 1), experts: experts,
                                                    layers: 1, seed: 1)
            var scores: [Float] = []
            var step = 0
            while bytes < header.fileByteCount {
                generator.fill(step: step, layer: 0, tokenCount: tokensPerBatch, into: &scores)
                bytes += scores.count * MemoryLayout<Float>.size
                step += 1
            }
        case .write:
            var batch = TraceBatch()
            batch.shape(for: header)
            let generator = SyntheticScoreGenerator(spec: SyntheticScoresSpec(zipfExponent: 1), experts: header.experts,
                                                    layers: 1, seed: 1)
            generator.fill(step: 0, layer: 0, tokenCount: header.tokensPerStep, into: &batch.scores)
            let writeStart = DispatchTime.now().uptimeNanoseconds
            let writer = try TraceWriter(path: path, header: header)
            for _ in 0..<header.batchCount { try writer.append(batch) }
            try writer.finish()
            return Row(phase: phase, bytes: writer.bytesWritten, wallSeconds: seconds(since: writeStart))
        case .read, .readAndRoute:
            let reader = try TraceReader(file: path)
            let router = SwitchRouting(gateProbabilities: false)
            let placement = ExpertPlacement.contiguous(experts: header.experts, gpuCount: header.gpus)
            var batch = TraceBatch()
            var buffer = RoutingBuffer()
            while try reader.nextBatch(into: &batch) {
                if phase == .readAndRoute {
                    batch.scores.withUnsafeBufferPointer {
                        router.route(scores: $0, tokenCount: header.tokensPerStep, placement: placement, into: &buffer)
                    }
                }
            }
            bytes = reader.bytesRead
        case .simulate:
            let text = """
            {"version": 1, "name": "bench-trace", "cluster": {"preset": "dgx-h100", "nodes": 1},
             "model": {"experts": \(header.experts)}, "routing": {"strategies": [{"name": "switch"}]},
             "trace": {"file": \(JSONValue.quoted(path))}, "simulation": {"network": "analytical"}}
            """
            let scenario = try Scenario.decode(try JSONParser.parse(text))
            _ = try Simulator.run(scenario)
            bytes = header.fileByteCount
        }
        return Row(phase: phase, bytes: bytes, wallSeconds: seconds(since: start))
    }

    private static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
