import Foundation

/// The tick values of an axis and the range they span: round numbers a reader takes in at
/// a glance. Linear axes step by 1, 2 or 5 times a power of ten; logarithmic axes tick at
/// every decade (also at 2× and 5× when the range spans at most two decades). The range
/// always starts and ends on a tick and covers the data it was made for.
public struct NiceTicks: Sendable, Equatable {
    /// The first tick: the low end of the axis.
    public let lower: Double
    /// The last tick: the high end of the axis.
    public let upper: Double
    /// The tick values, ascending, from `lower` to `upper`.
    public let values: [Double]
    /// Linear axes: the distance between ticks; logarithmic axes: nil.
    public let step: Double?

    /// Whether positions on this axis go by the logarithm of a value.
    public var isLogarithmic: Bool { step == nil }

    /// Ticks for a linear axis covering `min...max`, about `targetCount` of them.
    /// A single value gets a range around it; all zeros get 0...1. Near the largest Double
    /// (±1.8e308), where the next round tick does not exist, the axis ends at the data instead.
    /// - Complexity: O(ticks).
    public static func linear(min: Double, max: Double, targetCount: Int = 6) -> NiceTicks {
        precondition(min <= max && min.isFinite && max.isFinite && targetCount >= 2, "bad tick request")
        var low = min, high = max
        if low == high {
            let pad = low == 0 ? 1 : abs(low) * 0.1
            low = low == 0 ? 0 : Swift.max(low - pad, -.greatestFiniteMagnitude)
            high = Swift.min(high + pad, .greatestFiniteMagnitude)
        }
        // Subnormal spans (0 and 5e-324) have no power of ten to step by: widen them to one that has.
        if high / 2 - low / 2 < 1e-300 { high = low + 1e-299 }
        // Halves first: high - low itself overflows when the data spans more than the largest Double.
        let rough = (high / 2 - low / 2) / Double(targetCount - 1) * 2
        let magnitude = pow(10, floor(log10(rough)))
        let multiple = [1.0, 2, 5, 10].first { $0 * magnitude >= rough * (1 - 1e-9) } ?? 10
        let step = multiple * magnitude
        let first = Int(floor(low / step + 1e-9)), last = Int(ceil(high / step - 1e-9))
        let ticks = (first...last).map { Double($0) * step }
        let lower = ticks[0].isFinite ? ticks[0] : low, upper = ticks[ticks.count - 1].isFinite ? ticks[ticks.count - 1] : high
        return NiceTicks(lower: lower, upper: upper, values: ticks.filter(\.isFinite), step: step)
    }

    /// Ticks for a logarithmic axis covering `min...max` (both > 0): decades, thinned to at
    /// most about nine labels; with two decades or fewer, 2× and 5× ticks in between too.
    /// - Complexity: O(decades).
    public static func logarithmic(min: Double, max: Double) -> NiceTicks {
        precondition(min > 0 && min <= max && max.isFinite, "a logarithmic axis needs 0 < min <= max")
        let lowExponent = Int(floor(log10(min) + 1e-9))
        var decades = Swift.max(1, Int(ceil(log10(max) - 1e-9)) - lowExponent)
        let stride = (decades + 7) / 8
        decades = (decades + stride - 1) / stride * stride
        var values: [Double] = []
        for exponent in Swift.stride(from: lowExponent, through: lowExponent + decades, by: stride) {
            let decade = pow(10, Double(exponent))
            values.append(decade)
            if decades <= 2 && exponent < lowExponent + decades { values += [2 * decade, 5 * decade] }
        }
        // With 1-2-5 ticks, end the axis at the ticks just around the data, not at whole decades
        // (data up to 16 ends at 20, not 100).
        // A decade beyond the Double range (1e309, 1e-324) does not exist: the axis then ends at the data.
        values = values.filter { $0.isFinite && $0 > 0 }
        let lower = values.last { $0 <= min * (1 + 1e-12) } ?? values.first.map { Swift.min($0, min) } ?? min
        let upper = values.first { $0 >= max * (1 - 1e-12) } ?? values.last.map { Swift.max($0, max) } ?? max
        values = values.filter { $0 >= lower && $0 <= upper }
        return NiceTicks(lower: lower, upper: upper, values: values, step: nil)
    }

    /// Where `value` lies on the axis: 0 at `lower`, 1 at `upper` (linear or by logarithm).
    /// - Complexity: O(1).
    public func fraction(of value: Double) -> Double {
        if isLogarithmic { return (log10(value) - log10(lower)) / (log10(upper) - log10(lower)) }
        // Halves: the differences themselves overflow on an axis wider than the largest Double.
        return (value / 2 - lower / 2) / (upper / 2 - lower / 2)
    }
}
