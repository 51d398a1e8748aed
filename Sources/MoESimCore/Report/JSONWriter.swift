/// Deterministic JSON text for reports: members in column order, two-space indent.
public enum JSONWriter {
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
