/// What to plot from a CSV table: which columns go on which axis, how rows split into
/// series, which rows to keep, and the axis styles and texts.
public struct PlotRequest: Sendable, Equatable {
    /// Line plots join numeric (x, y) points; bar charts group one bar per series over each x category.
    public enum Kind: String, Sendable, CaseIterable {
        case line, bar
    }

    /// Keep only rows whose `column` holds exactly `value`.
    public struct Filter: Sendable, Equatable {
        public let column: String
        public let value: String
        public init(column: String, value: String) {
            self.column = column
            self.value = value
        }
    }

    /// The x column: numeric for line plots, any text for bar charts (one category per distinct value).
    public var xColumn: String
    /// The y column; must be numeric.
    public var yColumn: String
    /// The column whose distinct values make the series (nil: one series).
    public var byColumn: String?
    public var kind: Kind
    /// Filters that all must hold for a row to be plotted.
    public var filters: [Filter]
    public var logarithmicX: Bool
    public var logarithmicY: Bool
    /// Title override; nil gives "<y> vs <x>".
    public var title: String?
    /// Axis label overrides; nil derives them from the column names (see `ColumnLabel`).
    public var xLabel: String?
    public var yLabel: String?

    public init(xColumn: String, yColumn: String, byColumn: String? = nil, kind: Kind = .line,
                filters: [Filter] = [], logarithmicX: Bool = false, logarithmicY: Bool = false,
                title: String? = nil, xLabel: String? = nil, yLabel: String? = nil) {
        self.xColumn = xColumn
        self.yColumn = yColumn
        self.byColumn = byColumn
        self.kind = kind
        self.filters = filters
        self.logarithmicX = logarithmicX
        self.logarithmicY = logarithmicY
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    /// The x axis label: the override or the one derived from the column name.
    public var xAxisLabel: ColumnLabel { xLabel.map { ColumnLabel(text: $0, column: xColumn) } ?? ColumnLabel(column: xColumn) }
    /// The y axis label: the override or the one derived from the column name.
    public var yAxisLabel: ColumnLabel { yLabel.map { ColumnLabel(text: $0, column: yColumn) } ?? ColumnLabel(column: yColumn) }
    /// The title shown: the override, or "<y quantity> vs <x quantity>".
    public var titleText: String { title ?? "\(yAxisLabel.quantity) vs \(xAxisLabel.quantity)" }
}
