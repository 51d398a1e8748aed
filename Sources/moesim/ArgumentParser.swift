import Foundation

/// A small POSIX-style parser: `--flag value`, `--flag=value`, boolean `--flag`,
/// positional arguments, and `--` to end options. Unknown flags are usage errors, and so is a
/// flag given twice unless it is repeatable (`--set`, `--where`): then `allValues` holds every
/// value in command-line order.
struct ArgumentParser {
    let command: String
    private(set) var positionals: [String] = []
    private var values: [String: [String]] = [:]
    private var switches: Set<String> = []

    /// Parses `arguments` given the flags that take a value, those of them that may be given more
    /// than once, and the boolean flags.
    /// - Throws: `CommandLineError.usage` naming an unknown flag, a flag without its value, a
    ///   boolean flag with one, or a non-repeatable flag given twice.
    init(command: String, arguments: [String], valueFlags: [String], repeatableFlags: [String] = [],
         booleanFlags: [String]) throws {
        self.command = command
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if optionsEnded || !argument.hasPrefix("-") || argument == "-" {
                positionals.append(argument)
                continue
            }
            if argument == "--" { optionsEnded = true; continue }
            var name = argument
            var inline: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            if booleanFlags.contains(name) {
                guard inline == nil else { throw CommandLineError.usage("\(name) takes no value", command: command) }
                guard switches.insert(name).inserted else {
                    throw CommandLineError.usage("\(name) is given more than once; give it once", command: command)
                }
            } else if valueFlags.contains(name) || repeatableFlags.contains(name) {
                if values[name] != nil && !repeatableFlags.contains(name) {
                    throw CommandLineError.usage("\(name) is given more than once; give it once", command: command)
                }
                if let inline {
                    values[name, default: []].append(inline)
                } else {
                    guard index < arguments.count else {
                        throw CommandLineError.usage("\(name) needs a value", command: command)
                    }
                    values[name, default: []].append(arguments[index])
                    index += 1
                }
            } else {
                let known = (valueFlags + repeatableFlags + booleanFlags).sorted().joined(separator: ", ")
                throw CommandLineError.usage("unknown option \(name) for `moesim \(command)` (known: \(known))",
                                             command: command)
            }
        }
    }

    /// The value given for `flag` (the last one of a repeatable flag).
    func value(_ flag: String) -> String? { values[flag]?.last }

    /// The output path given with `flag`, nil when absent.
    /// - Throws: `CommandLineError.usage` for an empty path (`--out ''`), which would otherwise
    ///   quietly mean the current directory.
    func outputPath(_ flag: String) throws -> String? {
        guard let path = value(flag) else { return nil }
        guard !path.isEmpty else {
            throw CommandLineError.usage("\(flag) needs a path (got an empty one)", command: command)
        }
        return path
    }
    /// Every value given for a repeatable `flag`, in command-line order.
    func allValues(_ flag: String) -> [String] { values[flag] ?? [] }
    func has(_ flag: String) -> Bool { switches.contains(flag) }

    /// The value of `flag` as one of `allowed`, or `defaultValue` when absent.
    func choice(_ flag: String, allowed: [String], default defaultValue: String) throws -> String {
        guard let value = value(flag) else { return defaultValue }
        guard allowed.contains(value) else {
            throw CommandLineError.usage("\(flag) must be one of \(allowed.joined(separator: ", ")) (got \"\(value)\")",
                                         command: command)
        }
        return value
    }

    /// The integer value of `flag` in `range`, `defaultValue` when absent (nil: required).
    func integer(_ flag: String, default defaultValue: Int? = nil, in range: ClosedRange<Int>) throws -> Int {
        guard let text = value(flag) else {
            guard let defaultValue else { throw CommandLineError.usage("\(flag) is required", command: command) }
            return defaultValue
        }
        guard let value = Int(text), range.contains(value) else {
            throw CommandLineError.usage("\(flag) must be an integer in [\(range.lowerBound), \(range.upperBound)] (got \"\(text)\")",
                                         command: command)
        }
        return value
    }

    /// `--jobs N`: threads to run on, in [1, 1024]; all cores when absent.
    func jobs() throws -> Int {
        try integer("--jobs", default: ProcessInfo.processInfo.activeProcessorCount, in: 1...1024)
    }

    /// A number of `flag` in `range`, `defaultValue` when absent.
    func number(_ flag: String, default defaultValue: Double, in range: ClosedRange<Double>) throws -> Double {
        guard let text = value(flag) else { return defaultValue }
        guard let value = Double(text), range.contains(value) else {
            throw CommandLineError.usage("\(flag) must be a number in [\(range.lowerBound), \(range.upperBound)] (got \"\(text)\")",
                                         command: command)
        }
        return value
    }
}
