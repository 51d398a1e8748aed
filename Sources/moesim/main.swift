import Foundation
import MoESimCore

/// moesim's command line: a thin shell over MoESimCore.
let version = "0.1.0"

let usage = """
moesim \(version) — a performance simulator for Mixture-of-Experts routing
(Switch, top-k and SAM) on GPU clusters.

USAGE: moesim COMMAND [OPTIONS]

COMMANDS:
  simulate FILE...   Simulate scenario files and compare their routing strategies.
  sweep FILE --set key.path=v1,v2,...
                     Simulate a scenario over a grid of values, in parallel (CSV).
  plan FILE          Search a scenario's free choices for the fastest configuration that fits.
  merge OUT SHARD... Join the shards of a sweep (--shard I/N) into one CSV.
  presets            List the cluster presets and their numbers.
  plot FILE.csv      Draw CSV columns as an SVG figure (line or bar, series per --by).
  trace SUBCOMMAND   Generate, inspect (stats), convert and import (.npy) token-to-expert traces.
  validate           Compare predictions with published hardware measurements (DeepEP, nccl-tests).
  bench routing      Measure routing throughput (CSV; use a release build).
  help [COMMAND]     Show help for a command.

OPTIONS:
  -h, --help         Show this help.
  --version          Print the version.

EXAMPLES:
  moesim simulate scenarios/quickstart.json
  moesim simulate scenarios/quickstart.json --format csv --out results/
  moesim sweep scenarios/quickstart.json --set cluster.nodes=1:8:x2 --set routing.capacityFactor=1,1.5 --out sweep.csv
  moesim presets
  moesim validate
  moesim trace generate --experts 64 --tokens 8192 --gpus 8 --zipf 1.2 -o zipf.moetrace

An option given twice is an error, except --set (sweep) and --where (plot).
Exit codes: 0 success, 64 usage error, 65 bad input data, 66 missing input file,
73 output not writable, 74 I/O error (stdout could not be written).
"""

let commands: [String: (help: String, run: ([String]) throws -> Void)] = [
    "simulate": (SimulateCommand.help, SimulateCommand.run),
    "presets": (PresetsCommand.help, PresetsCommand.run),
    "bench": (BenchCommand.help, BenchCommand.run),
    "sweep": (SweepCommand.help, SweepCommand.run),
    "plan": (PlanCommand.help, PlanCommand.run),
    "merge": (MergeCommand.help, MergeCommand.run),
    "plot": (PlotCommand.help, PlotCommand.run),
    "trace": (TraceCommand.help, TraceCommand.run),
    "validate": (ValidateCommand.help, ValidateCommand.run),
]

func fail(_ message: String, code: Int32) -> Never {
    Console.printError("moesim: \(message)\n")
    TemporaryFiles.removeAll()
    exit(code)
}

/// Runs the command `arguments` name; what it prints goes through `Console`.
func run(_ arguments: [String]) throws {
    guard let first = arguments.first else { return try Console.print(usage) }
    let rest = Array(arguments.dropFirst())
    switch first {
    case "-h", "--help":
        try Console.print(usage)
    case "--version":
        try Console.print("moesim \(version)")
    case "help":
        guard let name = rest.first else { return try Console.print(usage) }
        guard let command = commands[name] else {
            fail("no command \"\(name)\" (commands: \(commands.keys.sorted().joined(separator: ", ")))", code: 64)
        }
        try Console.print(command.help)
    default:
        guard let command = commands[first] else {
            fail("unknown command \"\(first)\"\nRun `moesim --help` for the commands.", code: 64)
        }
        try command.run(rest)
    }
}

// Interrupted or terminated: no temporary file is left beside an output (exit 130, 143 or 129).
TemporaryFiles.installSignalHandlers()

do {
    try run(Array(CommandLine.arguments.dropFirst()))
} catch let error as CommandLineError {
    fail(error.description, code: error.exitCode)
} catch let error as TraceError {
    fail(error.description, code: error.exitCode)
} catch let error as ScenarioError {
    fail(error.description, code: error.exitCode)
} catch {
    fail("internal error: \(error)", code: 70)
}
