import Foundation

/// One dimension of a sweep: a scenario key path and the values it takes, parsed from
/// `--set key.path=v1,v2,...`. Several paths joined by `+` (`--set a.k+b.k=1,2,4`) take the
/// same value together: one axis, not a grid of their combinations.
///
/// Each comma-separated item is either a range or one JSON-like value:
/// - `start:end:xF` — geometric, start, start·F, start·F², … while ≤ end (F > 1, start > 0;
///   `×F` and `*F` are the same);
/// - `start:end:+S` — arithmetic, start, start+S, … while ≤ end (S > 0); `start:end` means +1;
/// - `8`, `0.5`, `true`, `null`, `"quoted"` — that JSON value; anything else is a string (`sam`, `dgx-h100`).
public struct SweepAxis: Equatable, Sendable {
    /// Where the values go: one path, or several that move together.
    public let keyPaths: [ScenarioKeyPath]
    /// The axis's name and output column: its key paths joined by `+`, as written.
    public var name: String { keyPaths.map(\.description).joined(separator: "+") }
    /// The values in sweep order.
    public let values: [JSONValue]
    /// Each value as it appears in the output's column for this axis.
    public let labels: [String]

    /// Most values one axis may expand to (a typo like `1:1e9` must not exhaust memory).
    public static let maxValues = 100_000

    /// Why a `--set` argument could not be parsed; the message quotes it and says what is allowed.
    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    /// An axis of given values, labelled as given (`moesim plan` builds its strategy and placement axes so: their
    /// objects hold the commas that `init(parsing:)` splits on).
    /// - Complexity: O(1).
    public init(keyPath: ScenarioKeyPath, values: [JSONValue], labels: [String]) {
        precondition(values.count == labels.count, "one label per value")
        keyPaths = [keyPath]
        self.values = values
        self.labels = labels
    }

    /// Parses one `--set` argument.
    /// - Throws: `Problem` for a missing `=`, a bad key path, an empty or malformed value or range.
    /// - Complexity: O(values).
    public init(parsing argument: String) throws {
        guard let equals = argument.firstIndex(of: "=") else {
            throw Problem(description: "--set \(argument): expected key.path=value1,value2,... (e.g. --set cluster.nodes=1,2,4)")
        }
        do {
            keyPaths = try argument[..<equals].split(separator: "+", omittingEmptySubsequences: false)
                .map { try ScenarioKeyPath(String($0)) }
        } catch let problem as ScenarioKeyPath.Problem {
            throw Problem(description: "--set \(argument): \(problem.description)")
        }
        var values: [JSONValue] = []
        for item in argument[argument.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false) {
            let item = item.trimmingCharacters(in: .whitespaces)
            guard !item.isEmpty else {
                throw Problem(description: "--set \(argument): empty value (remove the stray comma)")
            }
            values += try SweepAxis.expand(item, in: argument)
            guard values.count <= SweepAxis.maxValues else {
                throw Problem(description: "--set \(argument): more than \(SweepAxis.maxValues) values; use a coarser range")
            }
        }
        self.values = values
        labels = values.map { value in
            if case .string(let s) = value { return s }
            return value.compactText
        }
    }

    /// One item: a range's values, or a single value.
    private static func expand(_ item: String, in argument: String) throws -> [JSONValue] {
        let parts = item.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, let start = number(parts[0]), let end = number(parts[1]) else {
            return [literal(item)]
        }
        func fail(_ reason: String) -> Problem {
            Problem(description: "--set \(argument): range \"\(item)\" \(reason) "
                + "(ranges are start:end:xFACTOR or start:end:+STEP, e.g. 1:64:x2 or 0.5:2:+0.25)")
        }
        guard parts.count <= 3 else { throw fail("has too many colons") }
        guard start <= end else { throw fail("goes down (start \(parts[0]) > end \(parts[1]))") }
        let stepText = parts.count == 3 ? parts[2] : "+1"
        guard let kind = stepText.first, "x×*+".contains(kind), let step = number(String(stepText.dropFirst())) else {
            throw fail("has step \"\(stepText)\"")
        }
        // Points are computed from the start (not accumulated) and rounded to 12 significant
        // digits, so 0.1:0.3:+0.1 gives 0.1, 0.2, 0.3 rather than 0.30000000000000004.
        let tolerance = 1e-9 * max(abs(end), abs(step), 1e-300)
        var values: [JSONValue] = []
        var i = 0.0
        while true {
            let value: Double
            if kind != "+" {
                guard step > 1 else { throw fail("needs a factor above 1") }
                guard start > 0 else { throw fail("needs a start above 0 with a factor") }
                value = start * pow(step, i)
            } else {
                guard step > 0 else { throw fail("needs a step above 0") }
                value = start + i * step
            }
            guard value <= end + tolerance else { break }
            values.append(.number(Double(String(format: "%.12g", value)) ?? value))
            guard values.count <= maxValues else { throw fail("has more than \(maxValues) values") }
            i += 1
        }
        return values
    }

    /// A finite number written in JSON syntax, or nil.
    private static func number(_ text: String) -> Double? {
        guard case .number(let n)? = try? JSONParser.parse(text) else { return nil }
        return n
    }

    /// A JSON value, or a bare word taken as a string.
    private static func literal(_ text: String) -> JSONValue {
        (try? JSONParser.parse(text)) ?? .string(text)
    }
}
