import Foundation

/// Measured against predicted, row by row, with the summary `moesim validate` prints.
public struct ValidationReport: Sendable {
    /// One row: a case and what the model predicts for it.
    public struct Row: Sendable {
        /// The case.
        public var measurement: ValidationSet.Case
        /// The model's prediction.
        public var prediction: KernelBenchmark.Prediction
        /// (predicted − measured) / measured, in percent.
        public var errorPercent: Double {
            (prediction.value - measurement.measured) / measurement.measured * 100
        }
    }

    /// The rows, in the set's order.
    public let rows: [Row]

    /// Pairs each case with its prediction.
    public init(rows: [Row]) {
        self.rows = rows
    }

    /// Runs every case of `set` on `jobs` threads; rows come back in the set's order whatever the
    /// thread count, so the report is deterministic.
    /// - Parameter progress: called on the calling thread after each row with (rows done, rows total).
    /// - Throws: the first case's error in set order (a trace that turns out corrupt).
    /// - Complexity: one `KernelBenchmark.predict()` per case.
    public init(running set: ValidationSet, jobs: Int = 1, progress: ((Int, Int) -> Void)? = nil) throws {
        var rows: [Row] = []
        let cases = set.cases
        try OrderedParallelMap.run(count: cases.count, jobs: jobs, work: { i in
            Row(measurement: cases[i], prediction: try KernelBenchmark(scenario: cases[i].scenario).predict())
        }, deliver: { i, row in
            rows.append(row)
            progress?(i + 1, cases.count)
        })
        self.rows = rows
    }

    /// Mean of |error| over the rows, in percent (0 for no rows).
    public var meanAbsoluteErrorPercent: Double {
        rows.isEmpty ? 0 : rows.reduce(0) { $0 + abs($1.errorPercent) } / Double(rows.count)
    }

    /// The row with the largest |error| (the first of equals), or nil for no rows.
    public var worst: Row? {
        rows.reduce(nil) { best, row in
            guard let best else { return row }
            return abs(row.errorPercent) > abs(best.errorPercent) ? row : best
        }
    }

    /// The rows whose |error| exceeds `tolerancePercent`.
    public func failures(tolerancePercent: Double) -> [Row] {
        rows.filter { abs($0.errorPercent) > tolerancePercent }
    }

    /// The summary: mean and worst absolute error over all rows, then per measurement file when
    /// there are several.
    public var summary: String {
        func line(_ label: String, _ report: ValidationReport) -> String {
            guard let worst = report.worst else { return "\(label): no rows\n" }
            return "\(label): mean |error| \(Self.percent(report.meanAbsoluteErrorPercent, format: "%.1f"))% over "
                + "\(report.rows.count) measurements; worst \(Self.percent(abs(worst.errorPercent), format: "%.1f"))% "
                + "(\(worst.measurement.id))\n"
        }
        var files: [String] = []
        for row in rows where !files.contains(row.measurement.file) { files.append(row.measurement.file) }
        var text = line("all", self)
        if files.count > 1 {
            for file in files { text += line(file, ValidationReport(rows: rows.filter { $0.measurement.file == file })) }
        }
        return text
    }

    /// CSV: `id,metric,measured,predicted,unit,error_pct,kernel_us,counted_bytes,scenario`, one line per row.
    public func csv() -> String {
        CSVWriter.render(header: ["id", "metric", "measured", "predicted", "unit", "error_pct", "kernel_us", "counted_bytes",
                                  "scenario"],
                         rows: rows.map { row in
            [row.measurement.id, row.measurement.metric, Self.number(row.measurement.measured),
             Self.number(row.prediction.value), row.measurement.unit, Self.percent(row.errorPercent, format: "%.2f"),
             String(format: "%.3f", row.prediction.kernelTime.microseconds), String(row.prediction.countedBytes),
             row.measurement.scenarioFile]
        })
    }

    /// An aligned table for people, then the summary line and, given a tolerance, the verdict.
    public func table(tolerancePercent: Double) -> String {
        let body = TableWriter.render(
            header: ["id", "metric", "measured", "predicted", "unit", "error", "kernel"],
            rows: rows.map { row in
                [row.measurement.id, row.measurement.metric, Self.number(row.measurement.measured),
                 String(format: "%.1f", row.prediction.value), row.measurement.unit,
                 Self.percent(row.errorPercent, format: "%+.1f") + "%", String(format: "%.1f us", row.prediction.kernelTime.microseconds)]
            },
            rightAligned: [false, false, true, true, false, true, true])
        let failed = failures(tolerancePercent: tolerancePercent)
        let verdict = failed.isEmpty
            ? String(format: "every row within %g%%", tolerancePercent)
            : String(format: "%d row(s) beyond %g%%: ", failed.count, tolerancePercent)
                + failed.map(\.measurement.id).joined(separator: ", ")
        return body + "\n" + summary + verdict + "\n"
    }

    /// A percentage in the fixed-point `format` ("%.1f"), or with 4 significant digits in
    /// exponent notation when it has more than 7 integer digits (a measurement of 1e-300 makes an
    /// error of 1e302 %, which fixed notation writes with 300 digits).
    static func percent(_ value: Double, format: String) -> String {
        guard value.isFinite, abs(value) >= 1e7 else { return String(format: format, value) }
        return String(format: format.hasPrefix("%+") ? "%+.3e" : "%.3e", value)
    }

    /// A measured or predicted value: integers as such, others with 3 decimals at most; from 1e15
    /// on, 6 significant digits (fixed notation would print up to 309 digits).
    private static func number(_ value: Double) -> String {
        if abs(value) >= 1e15 { return String(format: "%.6g", value) }
        return value == value.rounded() ? String(Int64(value)) : String(format: "%.3f", value)
    }
}
