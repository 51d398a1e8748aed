import Foundation
import MoESimCore

/// `moesim bench ...`: performance figures as CSV (build with -c release for meaningful numbers).
enum BenchCommand {
    static let help = """
    USAGE: moesim bench routing [--tokens N] [--experts E[,E...]]

    Prints CSV on stdout: one row per (strategy, expert count) with the wall time of routing
    alone and tokens per second (one core). gate_probabilities says whether the softmax over all
    experts was computed (simulations need it only under a capacity limit, and for SAM,
    node-limited routing and expert choice). Scores are f32 synthetic logits (Zipf s = 1),
    routed in batches of 65,536 tokens until N tokens have been routed. Progress on stderr.
    Measure with a release build: swift build -c release && .build/release/moesim bench routing

    OPTIONS:
      --tokens N         Tokens per measurement (default 1000000).
      --experts LIST     Expert counts, comma-separated (default 64,256); each a multiple of 64.
      -h, --help         Show this help.

    EXAMPLES:
      moesim bench routing
      moesim bench routing --tokens 200000 --experts 64
    """

    static func run(_ arguments: [String]) throws {
        let args = try ArgumentParser(command: "bench", arguments: arguments,
                                      valueFlags: ["--tokens", "--experts"], booleanFlags: ["-h", "--help"])
        if args.has("-h") || args.has("--help") { print(help); return }
        guard args.positionals == ["routing"] else {
            throw CommandLineError.usage("bench needs one benchmark name: routing (got \(args.positionals))", command: "bench")
        }
        let tokensText = args.value("--tokens") ?? "1000000"
        guard let tokens = Int(tokensText), tokens >= 1, tokens <= 1_000_000_000 else {
            throw CommandLineError.usage("--tokens must be an integer in [1, 1e9] (got \"\(tokensText)\")", command: "bench")
        }
        let expertsText = args.value("--experts") ?? "64,256"
        let expertCounts = expertsText.split(separator: ",").map { Int($0) }
        guard !expertCounts.isEmpty, expertCounts.allSatisfy({ ($0 ?? 0) >= 64 && $0! % 64 == 0 && $0! <= 65_536 }) else {
            throw CommandLineError.usage("--experts must list multiples of 64 up to 65536 (got \"\(expertsText)\")",
                                         command: "bench")
        }
        print(CSVWriter.render(header: RoutingBenchmark.columns, rows: []), terminator: "")
        for experts in expertCounts.map({ $0! }) {
            for (spec, probabilities) in RoutingBenchmark.cases() {
                FileHandle.standardError.write(Data("bench routing: \(spec.label), \(experts) experts…\n".utf8))
                let row = RoutingBenchmark.measure(spec, gateProbabilities: probabilities, experts: experts, tokens: tokens)
                print(CSVWriter.render(header: [], rows: [[
                    "routing", row.strategy, String(row.k), String(row.gateProbabilities), String(row.experts), String(row.tokens),
                    String(format: "%.4f", row.wallSeconds), String(format: "%.0f", row.tokensPerSecond),
                ]]).dropFirst(), terminator: "")
            }
        }
    }
}
