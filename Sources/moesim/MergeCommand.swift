import Foundation
import MoESimCore

/// `moesim merge OUT.csv SHARD...`: joins the shards of a sweep into the file one run would have written.
enum MergeCommand {
    static let help = """
    USAGE: moesim merge OUT.csv SHARD.csv...

    Merges the outputs of `moesim sweep ... --shard I/N --out SHARD.csv` (I = 0..N-1) into OUT.csv:
    the same bytes as the unsharded sweep, rows in grid order. Refuses (exit 65, nothing written)
    shards of different sweeps (their grid ids or columns differ), a point present in two shards,
    a shard cut short, a row with another number of columns than the header (the message names
    the file and line), and missing points (a shard not given or not finished: finish it with
    --resume). Refuses (exit 64) a shard given twice or OUT.csv given as a shard, by any path
    (./s0.csv and s0.csv are the same file). OUT.csv is written atomically.

    OPTIONS:
      -h, --help   Show this help.

    EXAMPLES:
      moesim merge sweep.csv shard-0.csv shard-1.csv shard-2.csv shard-3.csv
      moesim merge sweep.csv shards/*.csv
    """

    static func run(_ arguments: [String]) throws {
        let args = try ArgumentParser(command: "merge", arguments: arguments, valueFlags: [], booleanFlags: ["-h", "--help"])
        if args.has("-h") || args.has("--help") { try Console.print(help); return }
        guard args.positionals.count >= 2, let output = args.positionals.first else {
            throw CommandLineError.usage("merge needs OUT.csv and at least one SHARD.csv", command: "merge")
        }
        guard !output.isEmpty else { throw CommandLineError.usage("OUT.csv is an empty path", command: "merge") }
        let shardPaths = Array(args.positionals.dropFirst())
        // Paths are compared as files (device and inode), so ./s0.csv, s0.csv and a link to it are one.
        let outputIdentity = FileIdentity(path: output)
        var seen: [FileIdentity: String] = [:]
        var shards: [(path: String, text: String)] = []
        for path in shardPaths {
            guard let identity = FileIdentity(path: path) else {
                throw CommandLineError.missingFile("\(path): no such file (list the --out files of every shard)")
            }
            if identity == outputIdentity {
                throw CommandLineError.usage("OUT.csv (\(output)) is also given as a shard (\(path)); write the merge to a new file",
                                             command: "merge")
            }
            if let first = seen[identity] {
                throw CommandLineError.usage("\(path) is given twice (also as \(first), the same file); give each shard once",
                                             command: "merge")
            }
            seen[identity] = path
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw CommandLineError.missingFile("\(path): is a directory, not a shard; list the shard files (e.g. shards/*.csv)")
            }
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw CommandLineError.data("\(path): cannot be read as UTF-8 text; it is not a sweep's output")
            }
            shards.append((path, text))
        }
        let merged: String
        do { merged = try SweepMerge.merge(shards) } catch let error as SweepError {
            throw CommandLineError(error, command: "merge")
        }
        do { try AtomicFile.write(merged, to: output) } catch { throw CommandLineError.cannotWrite("\(error)") }
        let rows = merged.utf8.reduce(0) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 } - 1
        Console.printError("merge: \(shards.count) shard(s), \(rows) rows written to \(output)\n")
    }
}
