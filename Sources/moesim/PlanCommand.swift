import Foundation
import MoESimCore

/// `moesim plan FILE`: the fastest configuration of a scenario's free choices that fits.
enum PlanCommand {
    static let help = """
    USAGE: moesim plan FILE [--objective step_time|tokens_per_s_per_gpu] [--max-drop-rate R] [--top N]
                      [--refine K] [--jobs N] [--gpus N1,N2,...] [--set key.path=v1,v2,... ...]
                      [--format table|csv|json] [--plot FILE.svg [--plot-x gpus|drop_rate]]

    Searches what FILE leaves free for the best configuration: FILE (model, hardware, tokens or trace)
    is the fixed part; the searched grid is, by default, one routing strategy per point (Switch;
    top-k and SAM-k for k = 2, 4, ... up to the largest k FILE lists; node-limited top-k with
    M = 1, 2, 4, ... nodes), the placement (contiguous, round-robin, replicated with one spare slot),
    the capacity factor (none, 1, 1.5), micro-batches (1, 2, 4) and nodes (half, same, twice FILE's).
    Every point is scored with the analytical network model (one batch, so micro-batches do not
    count there); the best K are re-run with the flow model and ranked by that. Points that are
    invalid (e.g. SAM-k with fewer than k experts per GPU), do not fit in HBM (cluster.gpu.hbmGB),
    or drop more than --max-drop-rate are skipped and counted. Output: the best N refined points,
    one column per grid axis; notes (counts, the first skipped point of each kind, the points the
    flow model reordered) go to stderr, as does progress.

    OPTIONS:
      --objective O       step_time (default: the shortest step) or tokens_per_s_per_gpu.
      --max-drop-rate R   Skip points whose drop rate exceeds R, in [0, 1] (default: no limit).
      --top N             Points printed, best first (default 10).
      --refine K          Best analytical points re-run under the flow model (default 20).
      --jobs N            Points simulated at once (default: all cores, here \(ProcessInfo.processInfo.activeProcessorCount)).
                          The output is byte-identical for any N.
      --gpus N1,N2,...    GPU counts to search (each a multiple of the GPUs per node): replaces the
                          default cluster.nodes axis with N / GPUs per node nodes.
      --set PATH=VALUES   Replace the default axis of PATH (routing.strategies, parallelism.placement,
                          routing.capacityFactor, parallelism.microbatches, cluster.nodes) or add an
                          axis, in the grid syntax of `moesim sweep` (1:64:x2, 0.5:2:+0.25, a,b,c).
      --format F          table (default), csv or json.
      --plot FILE.svg     Also write the Pareto front of step time against GPUs (or --plot-x drop_rate):
                          the front of every scored point (analytical model), that of the refined points
                          (flow model) and the chosen point. Written only if the plan succeeds.
      --plot-x X          gpus (default) or drop_rate.
      -h, --help          Show this help.

    Exit codes: 0 ok (at least one point fits), 64 usage, 65 bad scenario, or no point fits,
    66 missing file, 74 stdout cannot be written.

    EXAMPLES:
      moesim plan scenarios/plan-deepseek-v3.json --plot plan.svg
      moesim plan scenarios/plan-deepseek-v3.json --gpus 32,64,128 --max-drop-rate 0
      moesim plan scenarios/quickstart.json --set cluster.nodes=1,2 --set routing.capacityFactor=null --top 5
      moesim plan FILE --objective tokens_per_s_per_gpu --max-drop-rate 0.01 --refine 40 --format csv > plan.csv
      moesim plan FILE --set 'routing.strategies[0].k=2,4' --set parallelism.microbatches=1
    """

    static func run(_ arguments: [String]) throws {
        let args = try ArgumentParser(command: "plan", arguments: arguments,
                                      valueFlags: ["--objective", "--max-drop-rate", "--top", "--refine", "--jobs", "--format",
                                                   "--gpus", "--plot", "--plot-x"],
                                      repeatableFlags: ["--set"], booleanFlags: ["-h", "--help"])
        if args.has("-h") || args.has("--help") { try Console.print(help); return }
        guard args.positionals.count == 1, let file = args.positionals.first else {
            throw CommandLineError.usage("plan takes one scenario FILE (got \(args.positionals.count))", command: "plan")
        }
        let objective = PlanObjective(rawValue: try args.choice("--objective", allowed: PlanObjective.allCases.map(\.rawValue),
                                                                default: PlanObjective.stepTime.rawValue)) ?? .stepTime
        let format = PlanReport.Format(rawValue: try args.choice("--format", allowed: PlanReport.Format.allCases.map(\.rawValue),
                                                                 default: PlanReport.Format.table.rawValue)) ?? .table
        let maxDropRate = args.value("--max-drop-rate") == nil ? nil : try args.number("--max-drop-rate", default: 1, in: 0...1)
        let top = try args.integer("--top", default: 10, in: 1...100_000)
        let refine = try args.integer("--refine", default: 20, in: 1...100_000)
        let jobs = try args.jobs()
        let plotAxis = PlanPlot.Axis(rawValue: try args.choice("--plot-x", allowed: PlanPlot.Axis.allCases.map(\.rawValue),
                                                               default: PlanPlot.Axis.gpus.rawValue)) ?? .gpus
        let plotFile = args.value("--plot")
        if args.value("--plot-x") != nil && plotFile == nil {
            throw CommandLineError.usage("--plot-x needs --plot FILE.svg", command: "plan")
        }
        if let plotFile {
            do { try AtomicFile.checkTarget(plotFile) } catch { throw CommandLineError.cannotWrite("\(error)") }
        }

        let space: PlanSpace
        do {
            let document = try Scenario.loadDocument(file: file)
            let scenario = try Scenario.decode(document, file: file)
            var axes = try args.allValues("--set").map(SweepAxis.init(parsing:))
            if let gpus = args.value("--gpus") { axes.insert(try nodesAxis(gpus: gpus, gpusPerNode: scenario.cluster.gpusPerNode), at: 0) }
            space = try PlanSpace(document: document, baseDirectory: (file as NSString).deletingLastPathComponent,
                                  scenario: scenario, overrides: axes)
        } catch let error as ScenarioError {
            throw CommandLineError(error)
        } catch let problem as SweepAxis.Problem {
            throw CommandLineError.usage(problem.description, command: "plan")
        } catch let error as SweepError {
            throw CommandLineError(error, command: "plan")
        }

        let analytical = Progress(label: "plan (analytical)", unit: "points")
        var flow: Progress?
        let start = Date()
        let outcome = try PlanSearch.run(space, options: .init(objective: objective, maxDropRate: maxDropRate,
                                                               refine: refine, jobs: jobs)) { phase, done, total in
            guard phase == "flow" else { return analytical.report(done: done, total: total) }
            if flow == nil {
                analytical.finish()
                flow = Progress(label: "plan (flow)", unit: "points")
            }
            flow?.report(done: done, total: total)
        }
        analytical.finish()
        flow?.finish()
        Console.printError(PlanReport.notes(outcome))
        Console.printError(String(format: "plan: %.1f s with %d job(s)\n", Date().timeIntervalSince(start), jobs))
        guard !outcome.ranked.isEmpty else {
            throw CommandLineError.data("\(file): none of the plan's \(space.grid.pointCount) point(s) fits: "
                + "\(outcome.skips.total) skipped (see above); widen the space with --set or raise --max-drop-rate")
        }
        try Console.print(PlanReport.render(outcome, top: top, format: format), terminator: "")
        if let plotFile {
            let svg: String
            do { svg = try PlanPlot.svg(outcome, axis: plotAxis) } catch let error as PlotError {
                throw CommandLineError.data(error.description)
            }
            do { try AtomicFile.write(svg, to: plotFile) } catch { throw CommandLineError.cannotWrite("\(error)") }
            Console.printError("plan: wrote \(plotFile)\n")
        }
    }

    /// The `cluster.nodes` axis of `--gpus N1,N2,...`: each count must be a positive multiple of `gpusPerNode`.
    static func nodesAxis(gpus text: String, gpusPerNode: Int) throws -> SweepAxis {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let nodes = try parts.map { part -> Int in
            guard let count = Int(part), count > 0, count % gpusPerNode == 0 else {
                throw CommandLineError.usage("--gpus: '\(part)' is not a positive multiple of the scenario's \(gpusPerNode) GPUs "
                    + "per node (cluster.gpusPerNode); give counts like \(gpusPerNode),\(2 * gpusPerNode),\(4 * gpusPerNode)",
                    command: "plan")
            }
            return count / gpusPerNode
        }
        return try SweepAxis(parsing: "cluster.nodes=" + nodes.map(String.init).joined(separator: ","))
    }
}
