/// Deterministic JSON text for reports: members in column order, two-space indent.
public enum JSONWriter {
    /// The summary of several scenario results: an array of objects keyed by the CSV column names.
    /// Integers are printed from their exact value, so seeds and byte counts above 2^53 survive.
    public static func summary(_ results: [ScenarioResult]) -> String {
        let columns = SummaryColumn.columns(for: results.map(\.scenario))
        let rows = results.flatMap { result in
            result.results.map { SummaryColumn.cells(result.scenario, $0, columns: columns) }
        }
        return objects(keys: columns.map(\.name), rows: rows)
    }

    /// An array of objects, one per row, its members `keys` in order.
    /// - Complexity: O(total characters).
    public static func objects(keys: [String], rows: [[ReportCell]]) -> String {
        let objects = rows.map { row -> String in
            let members = zip(keys, row).map { "    \(JSONValue.quoted($0)): \($1.jsonText)" }
            return "  {\n" + members.joined(separator: ",\n") + "\n  }"
        }
        return objects.isEmpty ? "[]\n" : "[\n" + objects.joined(separator: ",\n") + "\n]\n"
    }
}
