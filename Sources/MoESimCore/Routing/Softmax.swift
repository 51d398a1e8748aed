/// The softmax over one token's logits, computed the same way on every platform.
///
/// `exp` reduces x = n·ln 2 + r with n the nearest integer to x / ln 2 and
/// ln 2 split in two parts (Cody–Waite), so |r| ≤ ln 2 / 2 is exact to a few
/// ulps, then evaluates e^r by its degree-6 Taylor polynomial and scales by 2^n
/// through the exponent bits: relative error below 5e-7 for x in [−87, 0].
/// Written in plain arithmetic, it gives bit-identical results on every
/// platform and vectorises (16 lanes at a time), which makes routing several
/// times faster than libm's `expf`. Routers only exponentiate `z − max z ≤ 0`.
public enum Softmax {
    /// 1.5 · 2^23: adding it rounds a float of magnitude below 2^22 to the nearest integer,
    /// which then sits in the low bits of the sum's bit pattern.
    static let roundingMagic: Float = 12_582_912
    static let log2e: Float = 1.442_695_04
    /// ln 2 = ln2High + ln2Low, with ln2High exact in few bits so that n · ln2High is exact.
    static let ln2High: Float = 0.693_145_751_953_125
    static let ln2Low: Float = 1.428_606_765_330_187e-6

    /// e^x for x ≤ 0 (inputs below −87 give e^−87 ≈ 1.6e-38 rather than a denormal).
    /// - Complexity: O(1).
    @inline(__always)
    public static func exp(_ x: Float) -> Float {
        let clamped = Swift.max(x, -87)
        let shifted = clamped * log2e + roundingMagic
        let n = shifted - roundingMagic
        let r = (clamped - n * ln2High) - n * ln2Low
        var p: Float = r * (1 / 720) + (1 / 120)
        p = p * r + (1 / 24)
        p = p * r + (1 / 6)
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let whole = Int32(bitPattern: shifted.bitPattern) &- Int32(bitPattern: roundingMagic.bitPattern)
        return p * Float(bitPattern: UInt32(bitPattern: (whole &+ 127) &<< 23))
    }

    /// e^x for 16 lanes at once, lane for lane identical to `exp(_:)`.
    @inline(__always)
    static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> {
        typealias V = SIMD16<Float>
        let clamped: V = x.replacing(with: -87, where: x .< -87)
        let magic = V(repeating: roundingMagic)
        let shifted: V = clamped * V(repeating: log2e) + magic
        let n: V = shifted - magic
        let r: V = (clamped - n * V(repeating: ln2High)) - n * V(repeating: ln2Low)
        var p: V = r * V(repeating: 1 / 720) + V(repeating: 1 / 120)
        p = p * r + V(repeating: 1 / 24)
        p = p * r + V(repeating: 1 / 6)
        p = p * r + V(repeating: 0.5)
        p = p * r + V(repeating: 1)
        p = p * r + V(repeating: 1)
        let whole = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- unsafeBitCast(magic, to: SIMD16<Int32>.self)
        return p * unsafeBitCast((whole &+ 127) &<< 23, to: V.self)
    }

    /// Writes e^(z − max z) of the row `scores[base ..< base + count]` into `out[0 ..< count]`
    /// and returns max z and the sum of the exponentials: softmax(z)[e] = out[e] / sum.
    /// - Complexity: O(count), vectorised; allocates nothing.
    @inline(__always)
    public static func exponentials(_ scores: UnsafeBufferPointer<Float>, base: Int, count: Int,
                                    into out: UnsafeMutablePointer<Float>) -> (max: Float, sum: Float) {
        let row = scores.baseAddress! + base
        let maxLogit = largest(row, count: count)
        return (maxLogit, sumOfExponentials(row, count: count, maxLogit: maxLogit, into: out))
    }

    /// The largest of `row[0 ..< count]`.
    /// - Complexity: O(count), vectorised.
    @inline(__always)
    static func largest(_ row: UnsafePointer<Float>, count: Int) -> Float {
        var maxLogit = -Float.infinity
        var e = 0
        if count >= 16 {
            var lanes = SIMD16<Float>(repeating: -.infinity)
            while e + 16 <= count {
                // A compare-and-select vectorises; `pointwiseMax` goes lane by lane (NaN rules).
                let values = UnsafeRawPointer(row + e).loadUnaligned(as: SIMD16<Float>.self)
                lanes.replace(with: values, where: values .> lanes)
                e += 16
            }
            maxLogit = largestLane(lanes)
        }
        while e < count { maxLogit = Swift.max(maxLogit, row[e]); e += 1 }
        return maxLogit
    }

    /// The sum of e^(z − maxLogit) over the row `row[0 ..< count]`, each term also written to
    /// `out[0 ..< count]` unless `out` is nil; `maxLogit` must equal the row's maximum. Routers that
    /// need only a few probabilities take the sum from here and exponentiate those few with `exp(_:)`,
    /// which gives the same bits as the lanes.
    /// - Complexity: O(count), vectorised; allocates nothing.
    @inline(__always)
    static func sumOfExponentials(_ row: UnsafePointer<Float>, count: Int, maxLogit: Float,
                                  into out: UnsafeMutablePointer<Float>?) -> Float {
        // Lane-wise partial sums, then a fixed-order reduction: the same sum on every run.
        var sums = SIMD16<Float>()
        var e = 0
        while e + 16 <= count {
            let values = exp(UnsafeRawPointer(row + e).loadUnaligned(as: SIMD16<Float>.self) - SIMD16(repeating: maxLogit))
            if let out { UnsafeMutableRawPointer(out + e).storeBytes(of: values, as: SIMD16<Float>.self) }
            sums += values
            e += 16
        }
        var sum = (sums.lowHalf + sums.highHalf).sum()
        while e < count {
            let value = exp(row[e] - maxLogit)
            out?[e] = value
            sum += value
            e += 1
        }
        return sum
    }

    /// The largest lane, by halving with compare-and-select (the stdlib's `max()` goes lane by lane).
    @inline(__always)
    static func largestLane(_ lanes: SIMD16<Float>) -> Float {
        var half8 = lanes.lowHalf
        half8.replace(with: lanes.highHalf, where: lanes.highHalf .> half8)
        var half4 = half8.lowHalf
        half4.replace(with: half8.highHalf, where: half8.highHalf .> half4)
        return Swift.max(Swift.max(half4[0], half4[1]), Swift.max(half4[2], half4[3]))
    }
}
