/// Deterministic JSON text for reports: members in column order, two-space indent.
public enum JSONWriter {
    /// The summary of several scenario results: an array of objects keyed by the CSV column names.
    /// Integers are printed from their exact value, so seeds and byte counts above 2^53 survive.
    public static func summary(_ results: [ScenarioResult]) -> String {
        let columns = SummaryColumn.columns(for: results.map(\.scenario))
        let rows = results.flatMap { result in
            result.results.map { row -> String in
                let members = zip(columns, SummaryColumn.cells(result.scenario, row, columns: columns)).map {
                    "    \(JSONValue.quoted($0.name)): \($1.jsonText)"
                }
                return "  {\n" + members.joined(separator: ",\n") + "\n  }"
            }
        }
        return rows.isEmpty ? "[]\n" : "[\n" + rows.joined(separator: ",\n") + "\n]\n"
    }
}
