/// The axis label of a CSV column, derived from moesim's naming rule that a column's unit is
/// its suffix: `step_time_us` reads "step time (µs)", `dispatch_bytes` "dispatch (bytes)"
/// with SI-prefixed ticks (1.2 G), `inter_node_MB` "inter node (MB)", `x_pct` "x (%)",
/// `gpu_load_max_over_mean` "GPU load max/mean". Key-path columns of a sweep
/// (`cluster.nodes`, `routing.strategies[0].k`) are kept as they are.
public struct ColumnLabel: Sendable, Equatable {
    /// What the column measures, without its unit.
    public let quantity: String
    /// The unit shown in parentheses, if the column name carries one.
    public let unit: String?
    /// Whether tick labels should use SI prefixes (k, M, G, …) — byte counts.
    public let prefersSIPrefixes: Bool

    /// The full label: "quantity (unit)" or just the quantity.
    public var text: String { unit.map { "\(quantity) (\($0))" } ?? quantity }

    /// Column-name suffix → unit shown, and whether ticks take SI prefixes.
    static let units: [(suffix: String, unit: String, siPrefixes: Bool)] = [
        ("_us", "µs", false), ("_ns", "ns", false), ("_ms", "ms", false), ("_s", "s", false),
        ("_bytes", "bytes", true), ("_MB", "MB", false), ("_GB", "GB", false), ("_gbps", "GB/s", false),
        ("_tflops", "TFLOP/s", false), ("_pct", "%", false),
    ]

    /// The label of the column `name`.
    /// - Complexity: O(name length).
    public init(column name: String) {
        let match = Self.units.first { name.hasSuffix($0.suffix) && name.count > $0.suffix.count }
        var stem = match.map { String(name.dropLast($0.suffix.count)) } ?? name
        unit = match?.unit
        prefersSIPrefixes = match?.siPrefixes ?? false
        if !stem.contains(".") {
            stem = stem.replacingOccurrences(of: "_over_", with: "/")
            stem = stem.split(separator: "_").map { word in
                switch word {
                case "gpu": return "GPU"
                case "gpus": return "GPUs"
                case "cv": return "CV"
                default: return String(word)
                }
            }.joined(separator: " ")
        }
        quantity = stem
    }

    /// A label given in full by the user (`--x-label`): shown as is; `column` still decides
    /// the tick style.
    /// - Complexity: O(column length).
    public init(text: String, column: String) {
        quantity = text
        unit = nil
        prefersSIPrefixes = ColumnLabel(column: column).prefersSIPrefixes
    }
}
