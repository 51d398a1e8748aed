import Foundation

/// Published measurements paired with the scenarios that reproduce them.
///
/// A measurement file is CSV with at least the columns `id`, `metric`, `measured` and `unit`
/// (the layout of `scenarios/validation/published.csv`); row `id` is reproduced by the scenario
/// `<id>.json` next to the file, whose `validation.id` must be the same id and whose kernel must
/// report the row's metric in the row's unit.
public struct ValidationSet: Sendable {
    /// One measured figure and the scenario that reproduces it.
    public struct Case: Sendable {
        /// The row's id.
        public var id: String
        /// The measurement file.
        public var file: String
        /// The line of the row in `file`.
        public var line: Int
        /// The metric, as the file names it.
        public var metric: String
        /// The measured value, in `unit`.
        public var measured: Double
        /// The unit.
        public var unit: String
        /// The scenario file.
        public var scenarioFile: String
        /// The scenario, with its `validation` section.
        public var scenario: Scenario
    }

    /// The cases, file by file in the order given, rows in file order.
    public private(set) var cases: [Case]

    /// Makes every case price its kernel with `network` instead of its scenario's own model.
    public mutating func overrideNetwork(_ network: NetworkModelKind) {
        for i in cases.indices { cases[i].scenario.simulation.network = network }
    }

    /// Reads the measurement files and every scenario they name; nothing runs yet.
    /// - Throws: `ValidationError` for the first missing file, bad row, bad or mismatched scenario, or repeated id.
    /// - Complexity: O(total size of the files).
    public init(measurementFiles: [String]) throws {
        var cases: [Case] = []
        var seen: [String: String] = [:]
        for file in measurementFiles {
            let table: CSVTable
            do { table = try CSVTable.load(path: file) } catch let error as CSVError { throw ValidationError.measurements(error) }
            func column(_ name: String) throws -> Int {
                do { return try table.columnIndex(name, flag: "column") } catch let error as CSVError {
                    throw ValidationError.measurements(error)
                }
            }
            let idColumn = try column("id"), metricColumn = try column("metric")
            let measuredColumn = try column("measured"), unitColumn = try column("unit")
            let directory = (file as NSString).deletingLastPathComponent
            for (index, row) in table.rows.enumerated() {
                let place = "line \(table.lineNumbers[index])"
                let id = row[idColumn]
                guard !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                    throw ValidationError.invalid(file: file, where: "\(place), column id", message: "\"\(id)\" is not "
                        + "a usable id: it names the scenario file <id>.json, so use letters, digits, '-', '_' and '.'")
                }
                if let other = seen[id] {
                    throw ValidationError.invalid(file: file, where: "\(place), column id",
                                                  message: "\"\(id)\" is already the id of a row of \(other); ids must be unique")
                }
                seen[id] = file
                guard let measured = Double(row[measuredColumn]), measured.isFinite, measured > 0 else {
                    throw ValidationError.invalid(file: file, where: "\(place), column measured",
                                                  message: "\"\(row[measuredColumn])\" is not a positive number")
                }
                let scenarioFile = directory.isEmpty ? "\(id).json" : "\(directory)/\(id).json"
                let scenario: Scenario
                do { scenario = try Scenario.load(file: scenarioFile) } catch let error as ScenarioError {
                    throw ValidationError.scenario(error)
                }
                guard let spec = scenario.validation else {
                    throw ValidationError.invalid(file: scenarioFile, where: "validation", message: "missing; a validation "
                        + "scenario says which benchmark it reproduces, e.g. \"validation\": {\"id\": \"\(id)\", "
                        + "\"kernel\": \"deepep-normal\", \"phase\": \"dispatch\"}")
                }
                guard spec.id == id else {
                    throw ValidationError.invalid(file: scenarioFile, where: "validation.id", message: "is \"\(spec.id)\" "
                        + "but the file is named for row \"\(id)\" of \(file); make them the same")
                }
                let benchmark = KernelBenchmark(scenario: scenario)
                guard benchmark.metric == row[metricColumn], benchmark.unit == row[unitColumn] else {
                    throw ValidationError.invalid(file: scenarioFile, where: "validation.kernel", message: "\(spec.kernel.rawValue) "
                        + "reports \(benchmark.metric) in \(benchmark.unit), but row \"\(id)\" of \(file) measured "
                        + "\(row[metricColumn]) in \(row[unitColumn])")
                }
                cases.append(Case(id: id, file: file, line: table.lineNumbers[index], metric: row[metricColumn],
                                  measured: measured, unit: row[unitColumn], scenarioFile: scenarioFile, scenario: scenario))
            }
        }
        self.cases = cases
    }
}
