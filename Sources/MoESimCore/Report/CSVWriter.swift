/// Tidy CSV: a header, then one row per observation; fields quoted only when needed (RFC 4180).
public enum CSVWriter {
    /// Renders `header` and `rows` as CSV text ending in a newline.
    /// - Complexity: O(total characters).
    public static func render(header: [String], rows: [[String]]) -> String {
        var out = line(header)
        for row in rows { out += line(row) }
        return out
    }

    /// The summary CSV of several scenario results: one row per (scenario, strategy).
    public static func summary(_ results: [ScenarioResult]) -> String {
        let columns = SummaryColumn.columns(for: results.map(\.scenario))
        let rows = results.flatMap { result in
            result.results.map { SummaryColumn.cells(result.scenario, $0, columns: columns).map(\.text) }
        }
        return render(header: columns.map(\.name), rows: rows)
    }

    /// One CSV line (fields escaped as needed, newline-terminated).
    static func line(_ fields: [String]) -> String {
        fields.map(escape).joined(separator: ",") + "\n"
    }

    private static func escape(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
