import Foundation
import MoESimCore

/// `moesim validate`: the model against published hardware measurements.
enum ValidateCommand {
    static let defaultFiles = ["scenarios/validation/published.csv", "scenarios/validation/published-more.csv",
                               "scenarios/validation/compute.csv"]

    static let help = """
    USAGE: moesim validate [MEASUREMENTS.csv...] [--format table|csv] [--tolerance PCT] [--network MODEL] [--jobs N]

    Runs every validation scenario and compares moesim's prediction with the published
    measurement it reproduces: per row the id, the metric, the measured value, the prediction,
    the relative error and the modelled kernel time; then the mean and worst absolute error.
    The metrics are computed as the sources' benchmark scripts compute them (docs/validation.md).

    MEASUREMENTS.csv has the columns id, metric, measured and unit (others are ignored); row
    <id> is reproduced by the scenario <id>.json in the same folder, whose "validation" section
    names the benchmark. Default: \(defaultFiles.joined(separator: " ")).

    OPTIONS:
      --format FORMAT   table (default, for people) or csv (id,metric,measured,predicted,unit,
                        error_pct,kernel_us,counted_bytes,scenario) on stdout.
      --tolerance PCT   Largest |error| in percent a row may have (default 10).
      --network MODEL   Price every kernel with this network model, flow or analytical, instead of
                        each scenario's own (the shipped ones use analytical; flow is slower, most
                        of all on the EP 256 rows, with up to 256 x 255 flows per all-to-all).
      --jobs N          Rows simulated at once (default: all cores, here \(ProcessInfo.processInfo.activeProcessorCount)).
      -h, --help        Show this help.

    EXIT STATUS: 0 when every row is within the tolerance, 1 when some row is not (the table
    names them), 64/65/66 for bad flags, bad data or a missing file, 74 when stdout cannot be written.

    EXAMPLES:
      moesim validate
      moesim validate --format csv > validation.csv
      moesim validate scenarios/validation/published.csv --tolerance 5
      moesim validate scenarios/validation/published.csv --network flow
    """

    static func run(_ arguments: [String]) throws {
        let args = try ArgumentParser(command: "validate", arguments: arguments,
                                      valueFlags: ["--format", "--tolerance", "--network", "--jobs"], booleanFlags: ["-h", "--help"])
        if args.has("-h") || args.has("--help") { try Console.print(help); return }
        let format = try args.choice("--format", allowed: ["table", "csv"], default: "table")
        var tolerance = 10.0
        if let text = args.value("--tolerance") {
            guard let value = Double(text), value.isFinite, value >= 0 else {
                throw CommandLineError.usage("--tolerance must be a number of percent ≥ 0 (got \"\(text)\")", command: "validate")
            }
            tolerance = value
        }
        let jobs = try args.jobs()
        // nil keeps each scenario's own model; `choice` rejects anything but the model names.
        let network = NetworkModelKind(rawValue: try args.choice("--network", allowed: NetworkModelKind.allCases.map(\.rawValue),
                                                                  default: ""))
        let files = args.positionals.isEmpty ? defaultFiles : args.positionals

        var set: ValidationSet
        do { set = try ValidationSet(measurementFiles: files) } catch let error as ValidationError {
            throw error.exitCode == 66 ? CommandLineError.missingFile(error.description) : CommandLineError.data(error.description)
        }
        if let network { set.overrideNetwork(network) }
        let progress = Progress(label: "validate", unit: "measurements")
        let report = try ValidationReport(running: set, jobs: jobs) { progress.report(done: $0, total: $1) }
        progress.finish()
        switch format {
        case "csv":
            try Console.print(report.csv(), terminator: "")
            Console.printError(report.summary)
        default:
            try Console.print(report.table(tolerancePercent: tolerance), terminator: "")
        }
        if !report.failures(tolerancePercent: tolerance).isEmpty { exit(1) }
    }
}
