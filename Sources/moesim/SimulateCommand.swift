import Foundation
import MoESimCore

/// `moesim simulate FILE...`: runs scenarios and reports one row per routing strategy.
enum SimulateCommand {
    static let help = """
    USAGE: moesim simulate FILE... [--format table|csv|json] [--out DIR] [--seed N] [--jobs N] [--timeline FILE.json]

    Simulates each scenario file and compares its routing strategies on the same tokens:
    predicted step time and its breakdown, load imbalance, communication volume, drops.

    OPTIONS:
      --format table|csv|json  What to print on stdout (default: table).
                               csv: the summary CSV, one row per (scenario, strategy).
                               json: the same rows as an array of objects.
      --out DIR                Also write, per scenario, DIR/<name>.csv (the summary),
                               DIR/<name>.per_gpu.csv and DIR/<name>.per_expert.csv
                               (atomically, all or nothing; DIR is created).
      --seed N                 Override simulation.seed of every scenario (echoed in outputs).
      --jobs N                 Batches (one MoE layer of one step) priced at once (default: all
                               cores, here \(ProcessInfo.processInfo.activeProcessorCount)). Output is identical for every N;
                               each job holds one batch's router scores (tokens x experts x 4 B).
      --timeline FILE.json     Write every kernel and flow of the first step as Chrome trace-event
                               JSON (open in ui.perfetto.dev or chrome://tracing). Needs one
                               scenario with "simulation": {"network": "flow"} (the default).
      -h, --help               Show this help.

    All files are read and validated, and every output path checked, before anything runs; the
    outputs are written together at the end, so on any error nothing is written. A symbolic link
    stays a link (its target is replaced); a device or pipe (--timeline /dev/null) is written through.
    Exit codes: 0 ok, 64 usage, 65 bad scenario data, 66 missing file, 73 cannot write output,
    74 stdout cannot be written.

    EXAMPLES:
      moesim simulate scenarios/quickstart.json
      moesim simulate scenarios/*.json --format csv > summary.csv
      moesim simulate scenarios/quickstart.json --seed 7 --out results/
      moesim simulate scenarios/sam-vs-topk-4nodes.json --jobs 1
      moesim simulate scenarios/quickstart.json --timeline quickstart.trace.json
    """

    static func run(_ arguments: [String]) throws {
        let args = try ArgumentParser(command: "simulate", arguments: arguments,
                                      valueFlags: ["--format", "--out", "--seed", "--jobs", "--timeline"], booleanFlags: ["-h", "--help"])
        if args.has("-h") || args.has("--help") { try Console.print(help); return }
        guard !args.positionals.isEmpty else {
            throw CommandLineError.usage("simulate needs at least one scenario FILE", command: "simulate")
        }
        let format = try args.choice("--format", allowed: ["table", "csv", "json"], default: "table")
        let jobs = try args.jobs()
        var seed: UInt64?
        if let text = args.value("--seed") {
            guard let value = UInt64(text), value <= UInt64(Int64.max) else {
                throw CommandLineError.usage("--seed must be an integer in [0, \(Int64.max)] (got \"\(text)\")",
                                             command: "simulate")
            }
            seed = value
        }

        let outputDirectory = try args.outputPath("--out")
        let timelinePath = try args.outputPath("--timeline")

        // Load and validate everything first: a bad file anywhere means nothing runs and nothing is written.
        var scenarios: [Scenario] = []
        var fileOfName: [String: String] = [:]
        for file in args.positionals {
            var scenario: Scenario
            do { scenario = try Scenario.load(file: file) } catch let error as ScenarioError {
                throw CommandLineError(error)
            }
            if let seed { scenario.simulation.seed = seed }
            if outputDirectory != nil, let other = fileOfName[scenario.name] {
                throw CommandLineError.usage("\(file) and \(other) both have name \"\(scenario.name)\"; "
                    + "with --out they would write the same file. Rename one.", command: "simulate")
            }
            fileOfName[scenario.name] = file
            scenarios.append(scenario)
        }

        if timelinePath != nil {
            guard scenarios.count == 1 else {
                throw CommandLineError.usage("--timeline takes one scenario FILE (got \(scenarios.count))", command: "simulate")
            }
            guard scenarios[0].simulation.network == .flow else {
                throw CommandLineError.usage("--timeline needs the flow model, but \(args.positionals[0]) sets "
                    + "\"simulation\": {\"network\": \"analytical\"}; remove that key or set it to \"flow\"",
                    command: "simulate")
            }
        }

        // Every output path is checked before anything runs; all of them are written together at the end.
        let outputPaths = (timelinePath.map { [$0] } ?? [])
            + scenarios.flatMap { scenario in outputDirectory.map { outputFiles(of: scenario, in: $0) } ?? [] }
        for path in outputPaths {
            do { try AtomicFile.checkTarget(path) } catch { throw CommandLineError.cannotWrite("\(error)") }
        }

        for scenario in scenarios where scenario.simulation.network == .flow && scenario.cluster.gpuCount >= 512 {
            Console.printError("note: \(scenario.name) runs \(scenario.cluster.gpuCount) GPUs under the flow model; "
                + "with skewed traffic each all-to-all is slow (every flow completion re-shares the bandwidth of the flows "
                + "still running), and slower at a finer simulation.flowPrecision than the default 1e-4. "
                + "For fast sweeps set \"simulation\": {\"network\": \"analytical\"}.\n")
        }

        var results: [ScenarioResult] = []
        for scenario in scenarios {
            let progress = Progress(label: "simulating \(scenario.name)", unit: "batches (one MoE layer of one step each)")
            results.append(try Simulator.run(scenario, jobs: jobs, timeline: timelinePath != nil) { done, total in
                progress.report(done: done, total: total)
            })
            progress.finish()
        }
        var files: [(text: String, path: String)] = []
        if let timelinePath, let timeline = results.first?.timeline {
            files.append((TimelineWriter.render(timeline), timelinePath))
        }
        if let outputDirectory {
            for result in results {
                let paths = outputFiles(of: result.scenario, in: outputDirectory)
                files += zip([CSVWriter.summary([result]), DetailCSV.perGPU(result), DetailCSV.perExpert(result)], paths)
                    .map { (text: $0, path: $1) }
            }
        }
        do { try AtomicFile.write(files) } catch { throw CommandLineError.cannotWrite("\(error)") }
        if let timelinePath, let timeline = results.first?.timeline {
            let kernels = timeline.tracks.reduce(0) { $0 + $1.compute.count }
            let flows = timeline.tracks.reduce(0) { $0 + $1.flows.count }
            Console.printError("timeline: \(kernels) kernels and \(flows) flows of the first step "
                + "written to \(timelinePath) (open it in ui.perfetto.dev or chrome://tracing)\n")
        }

        switch format {
        case "csv": try Console.print(CSVWriter.summary(results), terminator: "")
        case "json": try Console.print(JSONWriter.summary(results), terminator: "")
        default:
            try Console.print(results.map(TableWriter.summary).joined(separator: "\n"), terminator: "")
        }
    }

    /// The files `--out DIRECTORY` gets for `scenario`: its summary, per-GPU and per-expert CSVs.
    private static func outputFiles(of scenario: Scenario, in directory: String) -> [String] {
        let stem = (directory as NSString).appendingPathComponent(scenario.name)
        return [stem + ".csv", stem + ".per_gpu.csv", stem + ".per_expert.csv"]
    }
}
