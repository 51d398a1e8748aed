import Foundation

/// A numeric axis of a plot: its label, its ticks and how its numbers are written.
/// Tick labels have a fixed count of decimals per axis (enough to tell the ticks apart), so
/// output is byte-identical across runs; byte axes and values of a million or more take an
/// SI prefix (k, M, G, T, P, E) instead of long digit strings.
public struct PlotAxis: Sendable, Equatable {
    /// The axis title, with unit.
    public let label: ColumnLabel
    /// The tick values and the range they span.
    public let ticks: NiceTicks

    /// An axis labelled `label` whose ticks cover `min...max`; `includeZero` stretches a
    /// linear range to 0 (bar charts), `logarithmic` (needs `min` > 0) uses decade ticks.
    /// - Complexity: O(ticks).
    public init(label: ColumnLabel, min: Double, max: Double, logarithmic: Bool, includeZero: Bool) {
        self.label = label
        ticks = logarithmic
            ? NiceTicks.logarithmic(min: min, max: max)
            : NiceTicks.linear(min: includeZero ? Swift.min(min, 0) : min, max: includeZero ? Swift.max(max, 0) : max)
    }

    /// The text under or beside the tick at `value`.
    /// - Complexity: O(1).
    public func tickLabel(_ value: Double) -> String {
        if value == 0 { return "0" }
        guard let step = ticks.step else {
            // Logarithmic: each tick is 1, 2 or 5 times a power of ten, written by its own magnitude.
            let exponent = prefixExponent(abs(value))
            return Self.format(value, scaledBy: exponent, decimals: Self.decimals(for: value / pow(10, Double(exponent))))
        }
        let exponent = prefixExponent(Swift.max(abs(ticks.lower), abs(ticks.upper)))
        return Self.format(value, scaledBy: exponent, decimals: Self.decimals(for: step / pow(10, Double(exponent))))
    }

    /// A data value written with three significant digits (bar labels, tooltips), in the
    /// axis' style.
    /// - Complexity: O(1).
    public func valueLabel(_ value: Double) -> String {
        if value == 0 { return "0" }
        let exponent = prefixExponent(abs(value))
        let scaled = abs(value) / pow(10, Double(exponent))
        return Self.format(value, scaledBy: exponent, decimals: Swift.max(0, 2 - Int(floor(log10(scaled) + 1e-9))))
    }

    /// The power of ten (a multiple of 3, or 0) that `magnitude` is shown divided by.
    private func prefixExponent(_ magnitude: Double) -> Int {
        guard label.prefersSIPrefixes || magnitude >= 1e6, magnitude >= 1000, magnitude.isFinite else { return 0 }
        return Swift.min(18, Int(floor(log10(magnitude) + 1e-9)) / 3 * 3)
    }

    /// Decimals that show a number of magnitude `unit` (> 0) without losing its leading digit.
    private static func decimals(for unit: Double) -> Int {
        Swift.max(0, -Int(floor(log10(abs(unit)) + 1e-9)))
    }

    private static let prefixes = ["", "k", "M", "G", "T", "P", "E"]

    private static func format(_ value: Double, scaledBy exponent: Int, decimals: Int) -> String {
        let scaled = value / pow(10, Double(exponent))
        // Beyond the largest prefix (E) or below a nano-unit, fixed notation would print hundreds of digits.
        if abs(scaled) >= 1e6 || decimals > 9 { return String(format: "%.3g", value) }
        let number = String(format: "%.\(decimals)f", scaled)
        return exponent == 0 ? number : "\(number) \(prefixes[exponent / 3])"
    }
}
