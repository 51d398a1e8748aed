import Foundation

/// Measures `trace import` on files the user supplies (make large ones with
/// Tests/Fixtures/traces/make_bench_inputs.py): the whole import of each file (bytes = the
/// input's size) and, for an `.npz` with compressed members, inflating them alone (bytes = the
/// decompressed output, CRC-32 included), each with the process's peak resident memory.
public enum ImportBenchmark {
    /// The CSV header of `bench import`.
    public static let columns = ["benchmark", "file", "bytes", "wall_s", "mb_per_s", "peak_rss_mb"]
    /// `columns` as a newline-terminated CSV line.
    public static var csvHeader: String { CSVWriter.line(columns) }

    /// One measured run.
    public struct Row: Sendable {
        /// `import` or `inflate`.
        public let benchmark: String
        public let file: String
        public let bytes: Int
        public let wallSeconds: Double
        /// Peak resident memory during the run, MiB (0 where unavailable).
        public let peakResidentMegabytes: Double
        /// Throughput in MB/s (1 MB = 1e6 bytes).
        public var megabytesPerSecond: Double { Double(bytes) / 1e6 / wallSeconds }

        /// The row as `bench import` prints it (newline-terminated).
        public var csvLine: String {
            CSVWriter.line([benchmark, file, String(bytes), String(format: "%.4f", wallSeconds),
                            String(format: "%.0f", megabytesPerSecond), String(format: "%.0f", peakResidentMegabytes)])
        }
    }

    /// Imports `file` into a temporary trace (deleted afterwards) and, for an archive with
    /// compressed members, also inflates them alone; returns one row per measurement.
    /// - Throws: `TraceError` for a bad input, `AtomicFile.WriteError`.
    public static func measure(file: String, options: TraceImporter.Options) throws -> [Row] {
        let output = FileManager.default.temporaryDirectory
            .appendingPathComponent("moesim-bench-import-\(ProcessInfo.processInfo.processIdentifier).moetrace").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let size = try InputFile(path: file).size
        var rows = [try timed("import", file: file, bytes: size) {
            _ = try TraceImporter.importFile(from: file, to: output, options: options)
        }]
        if file.lowercased().hasSuffix(".npz") {
            let input = try InputFile(path: file)
            let compressed = try ZIPArchive.read(input).members.filter { $0.method == 8 }
            if !compressed.isEmpty {
                rows.append(try timed("inflate", file: file, bytes: compressed.reduce(0) { $0 + $1.uncompressedSize }) {
                    for member in compressed { try ZIPMemberReader(file: input, member: member).finish() }
                })
            }
        }
        return rows
    }

    private static func timed(_ benchmark: String, file: String, bytes: Int, _ body: () throws -> Void) throws -> Row {
        ProcessMemory.resetPeak()
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Row(benchmark: benchmark, file: file, bytes: bytes, wallSeconds: seconds,
                   peakResidentMegabytes: ProcessMemory.peakResidentMegabytes())
    }
}
