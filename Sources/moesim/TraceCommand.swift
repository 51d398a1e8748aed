import Foundation
import MoESimCore

/// `moesim trace generate|stats|convert|import`: make, inspect and convert token-to-expert traces.
enum TraceCommand {
    static let help = """
    USAGE: moesim trace generate --experts E --layers L --tokens T --steps S --gpus G [--zipf S]
                                 [--hot F,P] [--drift D] [--layer-correlation C] [--seed N]
                                 [--dtype f32|f16] [--device-logits] -o OUT
           moesim trace stats IN [--k K] [--format table|csv|json]
           moesim trace convert IN -o OUT
           moesim trace import IN.npy|IN.npz|IN.safetensors|IN.jsonl -o OUT.moetrace [--gpus G [--drop-remainder|--pad]]
                               [--experts E] [--weights W.npy] [--tensor NAME|PATTERN] [--weights-tensor NAME|PATTERN]
                               [--where FIELD=VALUE[,...]] [--layer-field F] [--token-field F] [--step-field F]
                               [--experts-field F] [--weights-field F] [--logits-field F] [--strict]

    Traces hold, for every step, MoE layer and token, either router scores (one logit per expert,
    optionally one per GPU for SAM) or recorded expert choices (k ids and weights). Binary traces
    end in .moetrace (docs/trace-format.md), CSV traces in .csv; the output's extension picks its
    format. T is the tokens of one step over all G GPUs (T/G per GPU, in GPU order).

    generate   Seeded synthetic scores: Zipf(S) popularity over a random ranking of the experts
               (S = 0: uniform), optionally hot experts (--hot F,P: the fraction F of experts takes
               the fraction P of the load), drift (--drift D: ranks move D places per step) and
               layer correlation (--layer-correlation C in [0, 1]). Same as a scenario's
               "trace": {"synthetic": ...} with the same seed (default 1).
    stats      Per-layer expert load: recorded choices, or the experts top-K picks (--k, default 1)
               from scores. Columns: max_load, mean_load, max_over_mean, cv (std/mean),
               gini (Gini coefficient of the expert loads, as simulate reports it; 0 = balanced),
               entropy_bits (log2 E when balanced).
    convert    Binary <-> CSV (byte-identical round trip).
    import     Routing data recorded outside moesim (docs/traces.md has hooks that write it):
               .npy / .npz (numpy.savez or savez_compressed; every member's CRC-32 checked): a float
               array of router scores (last axis = experts) or an integer array of expert ids (last
               axis = k), shaped [tokens, n], [layers, tokens, n] or [steps, layers, tokens, n];
               archives hold arrays scores, or experts and weights. --experts: expert count of ids
               (default max id + 1); --weights: gate weights of the ids, same shape (default 1/k).
               .safetensors: BF16/F16/F32/F64 logits or I32/I64 ids (+ float weights), one tensor or
               one per layer; --tensor NAME, or a PATTERN whose * is the layer number
               (default: model.layers.N.mlp.gate and other recognised names); --weights-tensor.
               .jsonl: one JSON object per (layer, token), or per token with a row per layer; field
               names recognised (layer, token_pos, step/request_id, experts/topk_ids/expert_ids/
               selected_experts, gating_probs/topk_weights/weights/routing_weights,
               router_logits/logits) or given by --layer-field, --token-field, --step-field,
               --experts-field, --weights-field, --logits-field; --where type=route keeps matching
               lines only. Tokens missing from some layer of their step are dropped and counted;
               --strict makes that an error naming the line. Bad lines: exit 65 with the line number.
               --gpus G spreads a step's tokens over G source GPUs; when they do not divide,
               --drop-remainder drops the last T mod G tokens of every step (the message says how many);
               --pad instead pads every step up to the next multiple of G. A trace cannot mark a token
               absent, so padded tokens are routed (round-robin over the experts) and add load: the
               message says how much (under G/T of each layer's).

    Outputs are written atomically: on any error nothing is written.
    Exit codes: 0 ok, 64 usage, 65 bad trace data, 66 missing input file, 73 cannot write output,
    74 stdout cannot be written.

    EXAMPLES:
      moesim trace generate --experts 64 --layers 2 --tokens 8192 --steps 4 --gpus 8 --zipf 1.2 -o zipf.moetrace
      moesim trace stats zipf.moetrace --k 2
      moesim trace convert zipf.moetrace -o zipf.csv
      moesim trace import logits.npy -o model.moetrace --gpus 8
      moesim trace import choices.npz -o recorded.moetrace --gpus 8 --experts 64
      moesim trace import router_logits.safetensors -o model.moetrace --tensor 'model.layers.*.mlp.gate' --gpus 8
      moesim trace import route.jsonl -o served.moetrace --where type=route --gpus 4 --drop-remainder --experts 60
      moesim trace import log.jsonl -o log.moetrace --layer-field layer_no --experts-field chosen --strict
      moesim trace import qwen.jsonl -o qwen.moetrace --where type=route --gpus 4 --pad
    """

    static func run(_ arguments: [String]) throws {
        guard let subcommand = arguments.first, !["-h", "--help"].contains(subcommand) else {
            if arguments.isEmpty {
                throw CommandLineError.usage("trace needs a subcommand: generate, stats, convert or import", command: "trace")
            }
            try Console.print(help)
            return
        }
        let rest = Array(arguments.dropFirst())
        switch subcommand {
        case "generate": try generate(rest)
        case "stats": try stats(rest)
        case "convert": try convert(rest)
        case "import": try importArrays(rest)
        default:
            throw CommandLineError.usage("unknown trace subcommand \"\(subcommand)\" (generate, stats, convert, import)",
                                         command: "trace")
        }
    }

    private static func parse(_ arguments: [String], values: [String], booleans: [String] = []) throws -> ArgumentParser? {
        let args = try ArgumentParser(command: "trace", arguments: arguments, valueFlags: values + ["-o"],
                                      booleanFlags: booleans + ["-h", "--help"])
        if args.has("-h") || args.has("--help") {
            try Console.print(help)
            return nil
        }
        return args
    }

    /// The output path of `-o`, which must end in one of `extensions`.
    private static func output(_ args: ArgumentParser, extensions: [String]) throws -> String {
        guard let path = try args.outputPath("-o") else {
            throw CommandLineError.usage("-o OUT is required (\(extensions.joined(separator: " or ")))", command: "trace")
        }
        guard extensions.contains(where: { path.lowercased().hasSuffix($0) }) else {
            throw CommandLineError.usage("-o \(path): the output must end in \(extensions.joined(separator: " or ")), "
                + "which picks its format", command: "trace")
        }
        return path
    }

    /// The one input file of a subcommand.
    private static func input(_ args: ArgumentParser, _ subcommand: String) throws -> String {
        guard args.positionals.count == 1 else {
            throw CommandLineError.usage("trace \(subcommand) takes one input file (got \(args.positionals.count))", command: "trace")
        }
        return args.positionals[0]
    }

    /// Runs `body`, turning a write failure into exit 73.
    private static func writing<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as AtomicFile.WriteError {
            throw CommandLineError.cannotWrite("\(error)")
        }
    }

    private static func progressReporter(_ label: String) -> (Progress, (Int, Int) -> Void) {
        let progress = Progress(label: label, unit: "batches (one layer of one step each)")
        return (progress, { progress.report(done: $0, total: $1) })
    }

    private static func generate(_ arguments: [String]) throws {
        guard let args = try parse(arguments, values: ["--experts", "--layers", "--tokens", "--steps", "--gpus", "--zipf", "--hot",
                                                       "--drift", "--layer-correlation", "--seed", "--dtype"],
                                   booleans: ["--device-logits"]) else { return }
        guard args.positionals.isEmpty else {
            throw CommandLineError.usage("trace generate takes no positional arguments (got \(args.positionals))", command: "trace")
        }
        let limit = TraceHeader.maxCount
        let experts = try args.integer("--experts", in: 1...65_536)
        let layers = try args.integer("--layers", default: 1, in: 1...1_024)
        let tokens = try args.integer("--tokens", in: 1...limit)
        let steps = try args.integer("--steps", default: 1, in: 1...limit)
        let gpus = try args.integer("--gpus", default: 1, in: 1...Scenario.maxGPUs)
        guard tokens % gpus == 0 else {
            throw CommandLineError.usage("--tokens (\(tokens), all GPUs together) must be a multiple of --gpus (\(gpus))",
                                         command: "trace")
        }
        let deviceLogits = args.has("--device-logits")
        guard !deviceLogits || experts % gpus == 0 else {
            throw CommandLineError.usage("--device-logits needs --experts (\(experts)) to be a multiple of --gpus (\(gpus)): "
                + "each GPU's logit sums its contiguous experts", command: "trace")
        }
        var hot: SyntheticScoresSpec.HotExperts?
        if let text = args.value("--hot") {
            let parts = text.split(separator: ",").map { Double($0) }
            guard parts.count == 2, let f = parts[0], let p = parts[1], f > 0, f < 1, p > 0, p < 1 else {
                throw CommandLineError.usage("--hot must be F,P with both in (0, 1), e.g. 0.1,0.5 (got \"\(text)\")", command: "trace")
            }
            hot = .init(expertFraction: f, loadFraction: p)
        }
        let spec = SyntheticScoresSpec(zipfExponent: try args.number("--zipf", default: 0, in: 0...10), hotExperts: hot,
                                       driftExpertsPerStep: try args.number("--drift", default: 0, in: 0...1e6),
                                       layerCorrelation: try args.number("--layer-correlation", default: 0, in: 0...1))
        let seed = UInt64(try args.integer("--seed", default: 1, in: 0...Int.max))
        let dtype = try args.choice("--dtype", allowed: ["f32", "f16"], default: "f32")
        let path = try output(args, extensions: [".moetrace", ".csv"])
        let header = TraceHeader(payload: .scores, scoreType: dtype == "f16" ? .f16 : .f32, hasDeviceLogits: deviceLogits,
                                 experts: experts, layers: layers, tokensPerStep: tokens, steps: steps, gpus: gpus)
        let (progress, report) = progressReporter("generating \(path)")
        let bytes = try writing {
            try TraceSource(header: header, synthetic: spec, seed: seed).write(to: path, progress: report)
        }
        progress.finish()
        Console.printError("trace: \(steps) step(s) × \(layers) layer(s) × \(tokens) tokens × \(experts) experts "
            + "(\(spec.summary), seed \(seed)) written to \(path) (\(bytes) bytes)\n")
    }

    private static func stats(_ arguments: [String]) throws {
        guard let args = try parse(arguments, values: ["--k", "--format"]) else { return }
        let file = try input(args, "stats")
        let format = try args.choice("--format", allowed: ["table", "csv", "json"], default: "table")
        let source = try TraceSource(file: file)
        let k = try args.integer("--k", default: 1, in: 1...max(1, min(source.header.experts, TraceHeader.maxK)))
        if source.header.payload == .choices && args.value("--k") != nil && k != source.header.k {
            throw CommandLineError.usage("--k \(k): \(file) records k = \(source.header.k) experts per token; "
                + "omit --k for a choices trace", command: "trace")
        }
        let (progress, report) = progressReporter("stats of \(file)")
        let statistics = try TraceStatistics(source: source, topK: k, progress: report)
        progress.finish()
        let columns = ["layer", "experts", "tokens", "k", "assignments", "min_load", "max_load", "mean_load", "max_over_mean",
                       "cv", "gini", "entropy_bits"]
        let rows = statistics.layers.map { layer -> [String] in
            [String(layer.layer), String(statistics.header.experts), String(statistics.tokens), String(statistics.k),
             String(layer.total), String(layer.minLoad), String(layer.maxLoad), String(format: "%.3f", layer.meanLoad),
             String(format: "%.4f", layer.maxOverMean), String(format: "%.4f", layer.coefficientOfVariation),
             String(format: "%.4f", layer.gini), String(format: "%.4f", layer.entropyBits)]
        }
        switch format {
        case "csv":
            try Console.print(CSVWriter.render(header: columns, rows: rows), terminator: "")
        case "json":
            let objects = zip(statistics.layers, rows).map { layer, row -> String in
                let members = zip(columns, row).map { name, value in "    \"\(name)\": \(value)" }
                    + ["    \"loads\": [" + layer.loads.map(String.init).joined(separator: ", ") + "]"]
                return "  {\n" + members.joined(separator: ",\n") + "\n  }"
            }
            try Console.print("[\n" + objects.joined(separator: ",\n") + "\n]")
        default:
            let h = statistics.header
            let what = h.payload == .choices ? "recorded choices (k = \(h.k))" : "top-\(k) of \(h.scoreType.name) scores"
            try Console.print("trace \(file): \(h.steps) step(s), \(h.layers) layer(s), \(h.tokensPerStep) tokens per step from \(h.gpus) GPU(s), "
                + "\(h.experts) experts; loads from \(what)\n")
            try Console.print(TableWriter.render(header: columns, rows: rows, rightAligned: columns.map { _ in true }), terminator: "")
            for layer in statistics.layers { try Console.print("\n" + histogram(layer)) }
        }
    }

    /// How many experts carry each band of load relative to the mean, as text bars.
    private static func histogram(_ layer: TraceStatistics.Layer) -> String {
        let edges = [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 4]
        var counts = [Int](repeating: 0, count: edges.count)
        let mean = layer.meanLoad
        for load in layer.loads {
            let ratio = mean > 0 ? Double(load) / mean : 0
            counts[(edges.lastIndex { ratio >= $0 }) ?? 0] += 1
        }
        let widest = max(counts.max() ?? 1, 1)
        var lines = ["layer \(layer.layer): experts by load / mean load"]
        for (index, count) in counts.enumerated() {
            let band = index + 1 < edges.count ? String(format: "[%.2f, %.2f)", edges[index], edges[index + 1])
                                               : String(format: "[%.2f, inf)", edges[index])
            let bar = String(repeating: "#", count: (count * 40 + widest - 1) / widest)
            lines.append(band.padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: "%6d ", count) + bar)
        }
        return lines.joined(separator: "\n")
    }

    private static func convert(_ arguments: [String]) throws {
        guard let args = try parse(arguments, values: []) else { return }
        let file = try input(args, "convert")
        let path = try output(args, extensions: [".moetrace", ".csv"])
        let source = try TraceSource(file: file)
        let (progress, report) = progressReporter("converting \(file)")
        let bytes = try writing { try source.write(to: path, progress: report) }
        progress.finish()
        Console.printError("trace: \(file) converted to \(path) (\(bytes) bytes)\n")
    }

    private static func importArrays(_ arguments: [String]) throws {
        let fieldFlags = JSONLRoutingLog.Options.fieldFlags
        guard let args = try parse(arguments, values: ["--gpus", "--experts", "--weights", "--tensor", "--weights-tensor", "--where"]
                                       + fieldFlags, booleans: ["--drop-remainder", "--pad", "--strict"]) else { return }
        let file = try input(args, "import")
        guard TraceImporter.extensions.contains(where: { file.lowercased().hasSuffix($0) }) else {
            throw CommandLineError.usage("trace import reads \(TraceImporter.extensions.joined(separator: ", ")) files (got \(file))",
                                         command: "trace")
        }
        let path = try output(args, extensions: [".moetrace"])
        var options = TraceImporter.Options()
        options.gpus = try args.integer("--gpus", default: 1, in: 1...Scenario.maxGPUs)
        options.dropRemainder = args.has("--drop-remainder")
        options.pad = args.has("--pad")
        guard !(options.dropRemainder && options.pad) else {
            throw CommandLineError.usage("--drop-remainder and --pad exclude each other: drop the last T mod G tokens of every step, "
                                         + "or pad every step up to a multiple of G", command: "trace")
        }
        options.experts = try args.value("--experts").map { _ in try args.integer("--experts", in: 1...65_536) }
        options.weightsFile = args.value("--weights")
        options.tensor = args.value("--tensor")
        options.weightsTensor = args.value("--weights-tensor")
        options.log.strict = args.has("--strict")
        for flag in fieldFlags {
            if let name = args.value(flag) { _ = options.log.setField(flag: flag, name: name) }
        }
        if let text = args.value("--where") {
            options.log.filters = try text.split(separator: ",").map { condition in
                let parts = condition.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, !parts[0].isEmpty else {
                    throw CommandLineError.usage("--where takes FIELD=VALUE[,FIELD=VALUE...], e.g. --where type=route (got \"\(text)\")",
                                                 command: "trace")
                }
                return JSONLRoutingLog.Filter(field: String(parts[0]), value: String(parts[1]))
            }
        }
        let progress = Progress(label: "importing \(file)", unit: "MB of routing data")
        let summary = try writing {
            try TraceImporter.importFile(from: file, to: path, options: options) { progress.report(done: $0 / 1_000_000, total: $1 / 1_000_000) }
        }
        progress.finish()
        let header = summary.header
        let kind = header.payload == .scores ? "\(header.scoreType.name) scores" : "recorded choices (k = \(header.k))"
        var message = "trace: \(file) imported as \(kind): \(header.steps) step(s) × \(header.layers) "
            + "layer(s) × \(header.tokensPerStep) tokens (\(header.gpus) GPU(s)) × \(header.experts) experts → \(path)\n"
        for note in summary.notes { message += "trace: \(note)\n" }
        Console.printError(message)
    }
}
