/// Deterministic JSON text: object members in the order given, two-space indent.
public enum JSONWriter {
    /// Renders `value` as pretty-printed JSON ending in a newline.
    /// - Complexity: O(size of the value).
    public static func render(_ value: JSONValue) -> String {
        var out = ""
        write(value, indent: "", into: &out)
        return out + "\n"
    }

    /// The summary of several scenario results: an array of objects keyed by the CSV column names.
    /// Integers are printed from their exact value, so seeds and byte counts above 2^53 survive.
    public static func summary(_ results: [ScenarioResult]) -> String {
        let rows = results.flatMap { result in
            result.results.map { row -> String in
                let members = zip(SummaryColumn.all, SummaryColumn.cells(result.scenario, row)).map {
                    "    \(quoted($0.name)): \($1.jsonText)"
                }
                return "  {\n" + members.joined(separator: ",\n") + "\n  }"
            }
        }
        return rows.isEmpty ? "[]\n" : "[\n" + rows.joined(separator: ",\n") + "\n]\n"
    }

    private static func write(_ value: JSONValue, indent: String, into out: inout String) {
        let inner = indent + "  "
        switch value {
        case .null, .bool, .number: out += value.brief
        case .string(let s): out += quoted(s)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += inner
                write(item, indent: inner, into: &out)
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            out += indent + "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{\n"
            for (i, member) in members.enumerated() {
                out += inner + quoted(member.key) + ": "
                write(member.value, indent: inner, into: &out)
                out += i + 1 < members.count ? ",\n" : "\n"
            }
            out += indent + "}"
        }
    }

    /// `s` as a JSON string literal.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
