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
    public static func summary(_ results: [ScenarioResult]) -> String {
        let rows = results.flatMap { result in
            result.results.map { row -> JSONValue in
                .object(zip(SummaryColumn.all, SummaryColumn.cells(result.scenario, row)).map { ($0.name, $1.json) })
            }
        }
        return render(.array(rows))
    }

    private static func write(_ value: JSONValue, indent: String, into out: inout String) {
        let inner = indent + "  "
        switch value {
        case .null, .bool, .number: out += value.brief
        case .string(let s): out += quote(s)
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
                out += inner + quote(member.key) + ": "
                write(member.value, indent: inner, into: &out)
                out += i + 1 < members.count ? ",\n" : "\n"
            }
            out += indent + "}"
        }
    }

    private static func quote(_ s: String) -> String {
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
