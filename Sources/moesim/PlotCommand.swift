import Foundation
import MoESimCore

/// `moesim plot FILE.csv --x COL --y COL -o FIG.svg`: an SVG figure from any CSV with a header.
enum PlotCommand {
    static let help = """
    USAGE: moesim plot FILE.csv --x COL --y COL [--by COL] [--kind line|bar] [--where COL=VALUE]...
                       [--log-x] [--log-y] [--title TEXT] [--x-label TEXT] [--y-label TEXT] -o FIG.svg

    Draws one column of a CSV against another as a self-contained SVG: axes with round
    ticks and unit labels, one series per value of --by with a legend, light gridlines.
    Reads any RFC 4180 CSV with a header: `moesim simulate --format csv` or --out files,
    `moesim sweep` output, or your own.

    OPTIONS:
      --x COL              Column on the x axis. Line plots: numeric. Bar charts: any text,
                           one group of bars per distinct value, in order of first appearance.
      --y COL              Numeric column on the y axis.
      --by COL             One series per distinct value of COL, in order of first appearance.
      --kind line|bar      Line plot (default) or grouped bar chart (y axis includes 0).
      --where COL=VALUE    Keep only rows whose COL is exactly VALUE. Repeat to require several.
      --log-x, --log-y     Logarithmic axis with decade ticks; every value on it must be > 0.
                           (--log-x is for line plots.)
      --title TEXT         Figure title (default: "<y> vs <x>"; --where filters show below it).
      --x-label TEXT       Axis titles; by default derived from the column names, with the unit
      --y-label TEXT       the name ends in: _us µs, _ns ns, _ms ms, _s s, _bytes bytes (ticks
                           with SI prefixes: 1.5 G), _MB MB, _GB GB, _gbps GB/s, _tflops TFLOP/s,
                           _pct %.
      -o, --out FIG.svg    Where to write the figure (atomically; `-` writes to stdout).
      -h, --help           Show this help.

    Rows that share a (--by value, x) are averaged into one point, and a note on stderr says
    so; rows with an empty y (or, for line plots, an empty x) are skipped with a note.
    Exit codes: 0 ok, 64 usage, 65 bad CSV data (the message names the line, column and
    value), 66 CSV file missing or not openable, 73 cannot write the figure, 74 stdout
    (-o -) cannot be written. Nothing is written on error.

    EXAMPLES:
      moesim simulate scenarios/*.json --format csv > all.csv
      moesim plot all.csv --where scenario=sam-vs-topk-4nodes --where dedup=gpu \\
          --x strategy --y step_time_us --by k --kind bar -o step_time.svg
      moesim plot all.csv --x gpus --y dispatch_bytes --by strategy --log-y -o dispatch.svg
      moesim plot sweep.csv --x cluster.nodes --y step_time_us --by strategy --log-x -o nodes.svg
    """

    static func run(_ arguments: [String]) throws {
        let args = try ArgumentParser(command: "plot", arguments: arguments,
                                      valueFlags: ["--x", "--y", "--by", "--kind", "--title", "--x-label",
                                                   "--y-label", "-o", "--out"], repeatableFlags: ["--where"],
                                      booleanFlags: ["--log-x", "--log-y", "-h", "--help"])
        if args.has("-h") || args.has("--help") { try Console.print(help); return }
        guard args.positionals.count == 1 else {
            throw CommandLineError.usage("plot takes one CSV FILE (got \(args.positionals.count))", command: "plot")
        }
        func required(_ flag: String, _ what: String) throws -> String {
            guard let value = args.value(flag), !value.isEmpty else {
                throw CommandLineError.usage("plot needs \(flag) \(what)", command: "plot")
            }
            return value
        }
        let xColumn = try required("--x", "COL, the column for the x axis")
        let yColumn = try required("--y", "COL, the column for the y axis")
        if args.value("-o") != nil && args.value("--out") != nil {
            throw CommandLineError.usage("-o and --out name the same option; give one", command: "plot")
        }
        guard let output = try args.outputPath("-o") ?? args.outputPath("--out") else {
            throw CommandLineError.usage("plot needs -o FIG.svg, the file to write (or - for stdout)", command: "plot")
        }
        let kindName = try args.choice("--kind", allowed: PlotRequest.Kind.allCases.map(\.rawValue),
                                       default: PlotRequest.Kind.line.rawValue)
        let kind = PlotRequest.Kind(rawValue: kindName) ?? .line  // `choice` allowed only the kinds' names
        if kind == .bar && args.has("--log-x") {
            throw CommandLineError.usage("--log-x needs a numeric x axis; a bar chart's x axis holds categories "
                + "(use --kind line, or drop --log-x)", command: "plot")
        }
        let filters = try args.allValues("--where").map { text -> PlotRequest.Filter in
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                throw CommandLineError.usage("--where takes COL=VALUE (got \"\(text)\")", command: "plot")
            }
            return PlotRequest.Filter(column: String(text[..<equals]), value: String(text[text.index(after: equals)...]))
        }
        let request = PlotRequest(xColumn: xColumn, yColumn: yColumn, byColumn: args.value("--by"), kind: kind,
                                  filters: filters, logarithmicX: args.has("--log-x"), logarithmicY: args.has("--log-y"),
                                  title: args.value("--title"), xLabel: args.value("--x-label"), yLabel: args.value("--y-label"))

        let data: PlotData
        do {
            data = try PlotData(file: args.positionals[0], request: request)
        } catch let error as PlotError {
            throw error.exitCode == 66 ? CommandLineError.missingFile(error.description) : .data(error.description)
        }
        let svg = SVGPlot.render(data)
        if output == "-" {
            try Console.print(svg, terminator: "")
        } else {
            do { try AtomicFile.write(svg, to: output) } catch {
                throw CommandLineError.cannotWrite("\(error)")
            }
        }
        for note in data.notes {
            Console.printError("note: \(args.positionals[0]): \(note)\n")
        }
    }
}
