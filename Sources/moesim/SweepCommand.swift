import Foundation
import MoESimCore

/// `moesim sweep FILE --set key=v1,v2 ...`: a scenario simulated at every point of a grid, in parallel.
enum SweepCommand {
    static let help = """
    USAGE: moesim sweep FILE --set key.path=v1,v2,... [--set ...] [--jobs N] [--shard I/N]
                       [--out FILE.csv] [--resume]

    Simulates scenario FILE at every point of the grid the --set options span (their cartesian
    product) and prints one CSV row per (point, strategy), in grid order: the first --set varies
    slowest, the last fastest. Columns: grid (an id of the scenario and the grid), point (0-based
    index), points (grid size), one column per --set key holding the point's value, then the
    columns of `moesim simulate --format csv`. Every point is validated before anything runs.

    VALUES (comma-separated; ranges and single values may be mixed):
      8, 0.5, true, null   JSON values; any other word is a string (sam, dgx-h100, analytical)
      1:64:x2              a geometric range: 1, 2, 4, ..., 64 (start:end:xFACTOR; ×FACTOR and *FACTOR work too)
      0.5:2:+0.25          an arithmetic range: 0.5, 0.75, ..., 2 (start:end:+STEP; start:end = +1)
    KEY PATHS name any scenario key: cluster.nodes, routing.capacityFactor, trace.synthetic.zipf,
    routing.strategies[1].k (array elements by 0-based index), simulation.network. Paths joined by
    + take each value together (one axis): --set routing.strategies[1].k+routing.strategies[2].k=1:8

    OPTIONS:
      --set PATH=VALUES   One grid axis (repeat for more axes).
      --jobs N            Points simulated at once (default: all cores, here \(ProcessInfo.processInfo.activeProcessorCount)).
                          The output is byte-identical for any N.
      --shard I/N         Run only points I, I+N, I+2N, ... (0 ≤ I < N), e.g. one task of a Slurm
                          job array: --shard $SLURM_ARRAY_TASK_ID/N. Join shards with `moesim merge`.
      --out FILE.csv      Write the rows to FILE.csv instead of stdout: the header atomically first,
                          then each point's rows as soon as it and every earlier point are done, so
                          an interrupted sweep keeps every finished point.
      --resume            With --out: keep the points FILE.csv already has (from the same command)
                          and run only the rest; a row cut short by the interruption is redone.
      -h, --help          Show this help.

    Progress goes to stderr. Sweeps of many points run fastest under the analytical network model
    (--set simulation.network=analytical, or set it in FILE).
    Exit codes: 0 ok, 64 usage (bad --set, path or value), 65 bad scenario or results file,
    66 missing file, 73 cannot write output, 74 stdout cannot be written.

    EXAMPLES:
      moesim sweep scenarios/sweep-k.json --set 'routing.strategies[1].k+routing.strategies[2].k=1:8'
      moesim sweep scenarios/quickstart.json --set cluster.nodes=1:16:x2 --set trace.synthetic.zipf=0,0.5,1 --out nodes.csv
      moesim sweep scenarios/capacity-skew.json --set routing.capacityFactor=null,1,1.25,1.5,2 --jobs 2
      moesim sweep FILE --set cluster.nodes=1:64:x2 --shard 3/8 --out shard-3.csv   # then: moesim merge all.csv shard-*.csv
    """

    static func run(_ arguments: [String]) throws {
        let args = try ArgumentParser(command: "sweep", arguments: arguments,
                                      valueFlags: ["--jobs", "--shard", "--out"], repeatableFlags: ["--set"],
                                      booleanFlags: ["--resume", "-h", "--help"])
        if args.has("-h") || args.has("--help") { try Console.print(help); return }
        guard args.positionals.count == 1, let file = args.positionals.first else {
            throw CommandLineError.usage("sweep takes one scenario FILE (got \(args.positionals.count))", command: "sweep")
        }
        guard !args.allValues("--set").isEmpty else {
            throw CommandLineError.usage("sweep needs at least one --set key.path=v1,v2,... (e.g. --set cluster.nodes=1,2,4)",
                                         command: "sweep")
        }
        let jobs = try args.jobs()
        let shard = try args.value("--shard").map(parseShard)
        let output = try args.outputPath("--out")
        if args.has("--resume") && output == nil {
            throw CommandLineError.usage("--resume needs --out FILE.csv (the file to continue)", command: "sweep")
        }

        let plan: SweepPlan
        do {
            let document = try Scenario.loadDocument(file: file)
            _ = try Scenario.decode(document, file: file)  // the base file itself must be valid, its errors named as such
            let axes = try args.allValues("--set").map(SweepAxis.init(parsing:))
            plan = try SweepPlan(grid: SweepGrid(base: document, baseDirectory: (file as NSString).deletingLastPathComponent,
                                                 axes: axes), shard: shard)
        } catch let error as ScenarioError {
            throw CommandLineError(error)
        } catch let problem as SweepAxis.Problem {
            throw CommandLineError.usage(problem.description, command: "sweep")
        } catch let error as SweepError {
            throw CommandLineError(error, command: "sweep")
        }
        if let slow = plan.scenarios.first(where: { $0.simulation.network == .flow && $0.cluster.gpuCount >= 512 }) {
            Console.printError("note: points such as \(slow.cluster.gpuCount) GPUs under the flow model are "
                + "slow with skewed traffic (every flow completion re-shares the bandwidth of the flows still running); "
                + "--set simulation.network=analytical sweeps much faster.\n")
        }

        // Rows go to stdout, or to a file that grows point by point (resumable).
        let outputFile: SweepFile?
        do {
            outputFile = try output.map { try SweepFile(path: $0, plan: plan, resume: args.has("--resume")) }
        } catch let error as SweepError {
            throw CommandLineError(error, command: "sweep")
        }
        if let note = outputFile?.resumeNote { Console.printError(note + "\n") }
        if outputFile == nil { try Console.print(plan.table.header, terminator: "") }
        let kept = outputFile?.keptPoints ?? 0
        let remaining = plan.points.count - kept
        let progress = Progress(label: "sweep", unit: "points")
        let start = Date()
        do {
            try OrderedParallelMap.run(count: remaining, jobs: jobs, work: { [plan] i in try plan.rows(at: kept + i) },
                                       deliver: { i, rows in
                if let outputFile { try outputFile.append(rows) } else { try Console.print(rows, terminator: "") }
                progress.report(done: i + 1, total: remaining)
            })
        } catch let error as SweepError {
            throw CommandLineError(error, command: "sweep")
        }
        progress.finish()
        do { try outputFile?.close() } catch let error as SweepError { throw CommandLineError(error, command: "sweep") }
        var summary = String(format: "sweep: %d point(s) in %.1f s with %d job(s)", remaining,
                             Date().timeIntervalSince(start), min(jobs, max(remaining, 1)))
        if let shard { summary += " (shard \(shard.index)/\(shard.count) of a \(plan.grid.pointCount)-point grid)" }
        if kept > 0 { summary += "; \(kept) point(s) kept from before" }
        if let output { summary += "; rows in \(output)" }
        Console.printError(summary + "\n")
    }

    private static func parseShard(_ text: String) throws -> (index: Int, count: Int) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1, index >= 0, index < count else {
            throw CommandLineError.usage("--shard must be I/N with 0 ≤ I < N, e.g. 0/4 (got \"\(text)\")", command: "sweep")
        }
        return (index, count)
    }
}
