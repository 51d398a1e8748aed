import Foundation

/// Imbalance statistics of a load vector (tokens per expert, or per GPU).
public struct LoadStatistics: Equatable, Sendable {
    /// max / mean; 1 is perfect balance. 0 for an all-zero vector.
    public var maxOverMean: Double
    /// Coefficient of variation: population standard deviation / mean. 0 for an all-zero vector.
    public var coefficientOfVariation: Double
    /// Gini coefficient in [0, 1 − 1/n]: 0 when all loads are equal. 0 for an all-zero vector.
    public var gini: Double

    /// Statistics of `loads`.
    /// - Complexity: O(n log n) (the Gini coefficient sorts a copy).
    public init(_ loads: [Int]) {
        let n = Double(loads.count)
        let total = Double(loads.reduce(0, +))
        guard !loads.isEmpty, total > 0 else {
            self.init(maxOverMean: 0, coefficientOfVariation: 0, gini: 0)
            return
        }
        let mean = total / n
        let variance = loads.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        var weighted = 0.0
        for (i, load) in loads.sorted().enumerated() {
            weighted += (2 * Double(i + 1) - n - 1) * Double(load)
        }
        self.init(maxOverMean: Double(loads.max()!) / mean, coefficientOfVariation: variance.squareRoot() / mean,
                  gini: weighted / (n * total))
    }

    /// Creates statistics from known values.
    public init(maxOverMean: Double, coefficientOfVariation: Double, gini: Double) {
        self.maxOverMean = maxOverMean
        self.coefficientOfVariation = coefficientOfVariation
        self.gini = gini
    }
}
