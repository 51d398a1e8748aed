import Foundation
import MoESimCore

/// `moesim bench ...`: performance figures as CSV (build with -c release for meaningful numbers).
enum BenchCommand {
    static let help = """
    USAGE: moesim bench routing [--tokens N] [--experts E[,E...]] [--repeat R]
           moesim bench network [--gpus N[,N...]] [--patterns uniform,zipf] [--precision P[,P...]] [--repeat R] [--budget S]
           moesim bench sweep [--jobs N[,N...]]
           moesim bench trace [--bytes N]
           moesim bench scenario FILE [--jobs N[,N...]] [--repeat R]
           moesim bench import FILE [FILE...]

    Prints CSV on stdout: one row per (strategy, expert count) with the wall time of routing
    alone and tokens per second (one core). gate_probabilities says whether the softmax over all
    experts was computed (simulations need it only under a capacity limit, and for SAM,
    node-limited routing and expert choice). Scores are f32 synthetic logits (Zipf s = 1),
    routed in batches of 65,536 tokens until N tokens have been routed; each row is the fastest
    of R such timings (repeats), since a shared machine only ever slows a run. Progress on stderr.
    Measure with a release build: swift build -c release && .build/release/moesim bench routing
    (on x86-64 this package builds itself for SSE4.2, whose one-instruction vector blends the
    top-k selection uses; as another package's dependency it builds portable code, see Package.swift).

    bench network prints CSV on stdout: one dispatch all-to-all (every GPU sends 4096 tokens x
    top-8 copies of 7168 bytes) on DGX H100 nodes of 8 GPUs, uniform or Zipf-skewed (s = 1.2,
    each copy's destination GPU drawn from the law), under the flow model and, for comparison,
    the analytical bound. precision = the flow model's (simulation.flowPrecision; 1e-9 follows
    the exact max-min trajectory); wall_s times the network model alone (traffic generation excluded);
    events = flow starts + completions; instants = distinct times at which flows start or finish;
    repairs = rate repairs (one per instant with starts, one per batch of completions that the
    precision lets wait together); resolved_flows = flows the rate repairs visited;
    rate_changes = flows whose rate a repair changed (the max-min trajectory's own changes);
    full_solves = repairs that recomputed every rate from scratch (a large batch of starts, or
    a repair past its budget); simulated_us = the phase's predicted duration (or the instant
    reached, when unfinished); finished = false when a flow run was stopped at its time budget;
    repeats = runs per row, wall_s the fastest (--repeat); peak_rss_mb = the process's peak
    resident memory so far.

    bench sweep prints CSV on stdout: the wall time of a 500-point sweep of a 64-GPU scenario
    (8 DGX H100 nodes, 128 experts, 512 tokens per GPU, Switch / top-2 / SAM-2, analytical model;
    grid: zipf 0..1.8 x 2 GPU presets x 5 hidden sizes x 5 capacity factors) with each job count,
    and the speed-up over one job. Rows are rendered as `moesim sweep` does but not written.

    bench trace prints CSV on stdout: benchmark,bytes,wall_s,mb_per_s,peak_rss_mb for generating
    N bytes of synthetic logits in memory (f32, 256 experts; logits per second = mb_per_s x 250,000),
    writing a scores trace of about N bytes (default 1 GiB; f32, 64 experts, 8192 tokens per step) to the
    system temporary directory, streaming it back (CRC-32 and value checks), streaming it through
    Switch routing, and simulating a scenario that replays it; the file is deleted afterwards.
    peak_rss_mb is the process's peak resident memory during that phase (reset before each
    phase where Linux allows, else the peak so far).

    bench scenario prints CSV on stdout: one row per job count for simulating FILE as `moesim
    simulate` does (release build): wall_s of the fastest of R runs, and that run's time split into
    scores_cpu_s (generating or reading router scores), routing_cpu_s (routing every strategy, with
    the capacity limit and replicas) and pricing_cpu_s (counting copies, kernels, the network model,
    byte accounting), each summed over threads; token_layers = tokens x MoE layers x steps, routed
    under each strategy; token_layers_per_s per second of wall time; speedup_vs_1_job when one job
    was timed first; peak_rss_mb = the process's peak resident memory so far.

    bench import prints CSV on stdout: benchmark,file,bytes,wall_s,mb_per_s,peak_rss_mb for
    `moesim trace import FILE` into a temporary trace (bytes = FILE's size; one GPU, dropping no
    token) and, for an .npz with compressed members, for inflating those members alone (bytes =
    their decompressed size, CRC-32 checked). Make large inputs of every format with
    python3 Tests/Fixtures/traces/make_bench_inputs.py DIR [MB] (docs/traces.md).

    OPTIONS:
      --tokens N         Tokens per measurement (default 1000000).
      --experts LIST     Expert counts, comma-separated (default 64,256); each a multiple of 64.
      --repeat R         bench routing and network: timings per row, the fastest reported (default 3
                         for routing, 1 for network).
      --gpus LIST        bench network: GPU counts, multiples of 8 (default 64,256,1024).
      --patterns LIST    bench network: uniform and/or zipf (default uniform,zipf).
      --precision LIST   bench network: flow-model precisions, each in [1e-9, 0.01] (default 1e-4,
                         the scenario default); one flow row per precision.
      --budget S         bench network: stop a flow run after S seconds of wall time (default 60).
      --jobs LIST        bench sweep and scenario: job counts to time, comma-separated (default 1,2).
      --bytes N          bench trace: trace size in bytes (default 1073741824 = 1 GiB).
      -h, --help         Show this help.

    EXAMPLES:
      moesim bench routing
      moesim bench network --gpus 64,256
      moesim bench network --gpus 1024 --patterns uniform
      moesim bench network --gpus 256 --patterns zipf --precision 1e-9,1e-6,1e-4
      moesim bench routing --tokens 200000 --experts 64
      moesim bench sweep --jobs 1,2,4
      moesim bench trace --bytes 268435456
      moesim bench scenario scenarios/deepseek-v3-ep64.json --jobs 1,2
      moesim bench import /tmp/bench/scores_compressed.npz /tmp/bench/router.safetensors /tmp/bench/route.jsonl
    """

    static func run(_ arguments: [String]) throws {
        let args = try ArgumentParser(command: "bench", arguments: arguments,
                                      valueFlags: ["--tokens", "--experts", "--repeat", "--gpus", "--patterns", "--precision", "--budget", "--jobs", "--bytes"], booleanFlags: ["-h", "--help"])
        if args.has("-h") || args.has("--help") { try Console.print(help); return }
        switch args.positionals {
        case ["routing"]: try runRouting(args)
        case ["network"]: try runNetwork(args)
        case ["sweep"]: try runSweep(args)
        case ["trace"]: try runTrace(args)
        case let positionals where positionals.first == "import":
            guard positionals.count >= 2 else {
                throw CommandLineError.usage("bench import needs at least one input FILE", command: "bench")
            }
            try runImport(files: Array(positionals.dropFirst()))
        case let positionals where positionals.first == "scenario":
            guard positionals.count == 2 else {
                throw CommandLineError.usage("bench scenario needs one scenario FILE (got \(positionals.count - 1))", command: "bench")
            }
            try runScenario(file: positionals[1], args)
        default:
            throw CommandLineError.usage("bench needs one benchmark name: routing, network, sweep, trace, scenario or import "
                                         + "(got \(args.positionals))",
                                         command: "bench")
        }
    }

    private static func runNetwork(_ args: ArgumentParser) throws {
        let counts = try list(args, "--gpus", default: "64,256,1024", parse: { Int($0) },
                              allowed: { $0 >= 8 && $0 % 8 == 0 && $0 <= Scenario.maxGPUs },
                              expected: "multiples of 8 up to \(Scenario.maxGPUs)")
        let patterns = try list(args, "--patterns", default: "uniform,zipf", parse: NetworkBenchmark.Pattern.init(rawValue:),
                                allowed: { _ in true }, expected: "uniform and/or zipf")
        let budgetText = args.value("--budget") ?? "60"
        guard let budget = Double(budgetText), budget > 0, budget <= 1e6 else {
            throw CommandLineError.usage("--budget must be a number of seconds in (0, 1e6] (got \"\(budgetText)\")",
                                         command: "bench")
        }
        let precisions = try list(args, "--precision", default: String(describing: FlowNetwork.defaultPrecision),
                                  parse: { Double($0) }, allowed: FlowNetwork.precisionRange.contains,
                                  expected: "numbers in [1e-9, 0.01]")
        let repeats = try args.integer("--repeat", default: 1, in: 1...1000)
        try Console.print(NetworkBenchmark.csvHeader, terminator: "")
        for gpus in counts {
            for pattern in patterns {
                let traffic = NetworkBenchmark.traffic(pattern, gpus: gpus)
                for (model, precision) in NetworkBenchmark.runs(precisions: precisions) {
                    let label = precision.map { "\(model.rawValue) at precision \($0)" } ?? model.rawValue
                    Console.printError("bench network: \(pattern.rawValue), \(gpus) GPUs, \(label)…\n")
                    let row = NetworkBenchmark.measure(pattern, model: model, traffic: traffic,
                                                       precision: precision ?? FlowNetwork.defaultPrecision,
                                                       repeats: repeats, budgetSeconds: budget)
                    try Console.print(row.csvLine, terminator: "")
                }
            }
        }
    }

    /// `--jobs LIST`: the job counts to time (default 1,2).
    private static func jobCounts(_ args: ArgumentParser) throws -> [Int] {
        try list(args, "--jobs", default: "1,2", parse: { Int($0) }, allowed: (1...1024).contains,
                 expected: "job counts in [1, 1024]")
    }

    /// The comma-separated values of `flag` (`defaultText` when absent), each read by `parse` and
    /// accepted by `allowed`; else a usage error saying the flag must list `expected`.
    private static func list<Value>(_ args: ArgumentParser, _ flag: String, default defaultText: String,
                                    parse: (String) -> Value?, allowed: (Value) -> Bool, expected: String) throws -> [Value] {
        let text = args.value(flag) ?? defaultText
        let items = text.split(separator: ",").map { String($0) }
        let values = items.compactMap(parse).filter(allowed)
        guard !items.isEmpty, values.count == items.count else {
            throw CommandLineError.usage("\(flag) must list \(expected) (got \"\(text)\")", command: "bench")
        }
        return values
    }

    private static func runScenario(file: String, _ args: ArgumentParser) throws {
        let repeats = try args.integer("--repeat", default: 1, in: 1...1000)
        let counts = try jobCounts(args)
        let scenario: Scenario
        do { scenario = try Scenario.load(file: file) } catch let error as ScenarioError { throw CommandLineError(error) }
        try Console.print(ScenarioBenchmark.csvHeader, terminator: "")
        var oneJobSeconds: Double?
        for jobs in counts {
            let progress = Progress(label: "bench scenario \(scenario.name), \(jobs) job(s)", unit: "batches")
            let row = try ScenarioBenchmark.measure(scenario, jobs: jobs, repeats: repeats, oneJobSeconds: oneJobSeconds) {
                progress.report(done: $0, total: $1)
            }
            progress.finish()
            oneJobSeconds = row.oneJobSeconds
            try Console.print(row.csvLine, terminator: "")
        }
    }

    private static func runImport(files: [String]) throws {
        print(ImportBenchmark.csvHeader, terminator: "")
        for file in files {
            FileHandle.standardError.write(Data("bench import: \(file)…\n".utf8))
            do {
                for row in try ImportBenchmark.measure(file: file, options: TraceImporter.Options()) { print(row.csvLine, terminator: "") }
            } catch let error as AtomicFile.WriteError {
                throw CommandLineError.cannotWrite("\(error)")
            }
        }
    }

    private static func runSweep(_ args: ArgumentParser) throws {
        let plan = try SweepBenchmark.plan()
        try Console.print(SweepBenchmark.csvHeader, terminator: "")
        var oneJobSeconds: Double?
        for jobs in try jobCounts(args) {
            let progress = Progress(label: "bench sweep, \(jobs) job(s)", unit: "points")
            let row = try SweepBenchmark.measure(plan, jobs: jobs, oneJobSeconds: oneJobSeconds) {
                progress.report(done: $0, total: $1)
            }
            progress.finish()
            oneJobSeconds = row.oneJobSeconds
            try Console.print(row.csvLine, terminator: "")
        }
    }

    private static func runTrace(_ args: ArgumentParser) throws {
        let bytesText = args.value("--bytes") ?? "1073741824"
        guard let bytes = Int(bytesText), bytes >= 1 << 20, bytes <= 1 << 40 else {
            throw CommandLineError.usage("--bytes must be an integer in [1048576, 2^40] (got \"\(bytesText)\")", command: "bench")
        }
        let header = TraceBenchmark.header(bytes: bytes)
        let path = TraceBenchmark.temporaryPath()
        TemporaryFiles.register(path)
        defer {
            try? FileManager.default.removeItem(atPath: path)
            TemporaryFiles.unregister(path)
        }
        try Console.print(TraceBenchmark.csvHeader, terminator: "")
        for phase in TraceBenchmark.Phase.allCases {
            Console.printError("bench trace: \(phase.rawValue), \(header.fileByteCount) bytes at \(path)…\n")
            let row: TraceBenchmark.Row
            do { row = try TraceBenchmark.measure(phase, path: path, header: header) } catch let error as AtomicFile.WriteError {
                throw CommandLineError.cannotWrite("\(error)")
            }
            try Console.print(row.csvLine, terminator: "")
        }
    }

    private static func runRouting(_ args: ArgumentParser) throws {
        let tokensText = args.value("--tokens") ?? "1000000"
        guard let tokens = Int(tokensText), tokens >= 1, tokens <= 1_000_000_000 else {
            throw CommandLineError.usage("--tokens must be an integer in [1, 1e9] (got \"\(tokensText)\")", command: "bench")
        }
        let expertCounts = try list(args, "--experts", default: "64,256", parse: { Int($0) },
                                    allowed: { $0 >= 64 && $0 % 64 == 0 && $0 <= 65_536 },
                                    expected: "multiples of 64 up to 65536")
        let repeats = try args.integer("--repeat", default: 3, in: 1...1000)
        try Console.print(RoutingBenchmark.csvHeader, terminator: "")
        for experts in expertCounts {
            for (spec, probabilities) in RoutingBenchmark.cases() {
                Console.printError("bench routing: \(spec.label), \(experts) experts…\n")
                let row = RoutingBenchmark.measure(spec, gateProbabilities: probabilities, experts: experts, tokens: tokens,
                                                   repeats: repeats)
                try Console.print(row.csvLine, terminator: "")
            }
        }
    }
}
