/// Standard Gumbel noise, G = −ln(−ln U) for U uniform on (0, 1), in single precision with our own
/// logarithm instead of the C library's.
///
/// Two reasons. Speed: the synthetic generator draws one G per (token, expert), billions for a
/// full-size model, and the noise was most of a simulation's time; this is a short polynomial on
/// 16 float lanes, with one 64-bit draw giving two uniforms. Reproducibility: it uses only
/// IEEE-754 additions, multiplications, one division and integer conversions, so every platform
/// gets the same bits, whereas C libraries may differ in the last place (and a last-place
/// difference can flip a near tie between two experts).
///
/// Distribution: U = (j + ½) · 2⁻²³ for j uniform on 0 ..< 2²³ (23 random bits), so G is a
/// Gumbel variate except that its tails are cut where U's grid ends: G ∈ [−2.82, 16.6], which
/// the true law leaves with probability below 1e-7. Each logarithm is within a few float ulps
/// (relative error below 3e-7). GumbelNoiseTests checks the law (χ² on the top-1 and ordered
/// top-2 choices the Gumbel-max property predicts) and the logarithm against the C library's.
public enum GumbelNoise {
    /// Sixteen floats at a time (four SSE registers): wide enough to hide the division's latency.
    typealias Lanes = SIMD16<Float>

    /// Adds independent standard Gumbel noise to `base`, writing `count` values to `out`.
    ///
    /// Values 2j and 2j + 1 take the low and the high 32 bits of the j-th draw of `rng`:
    /// ⌈count / 2⌉ draws in all. The draws of up to `chunkValues` values are taken first, into a
    /// scratch buffer on the stack (a tight scalar loop), then turned into noise 16 lanes at a time.
    /// - Complexity: O(count), no heap allocation.
    @inline(__always)
    public static func add(to base: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>,
                           rng: inout SplitMix64) {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: chunkValues / 2) { scratch in
            let draws = UnsafeMutableRawPointer(scratch.baseAddress!)
            var start = 0
            while start < count {
                let values = Swift.min(chunkValues, count - start)
                for pair in 0..<(values + 1) / 2 {
                    let draw = rng.next()
                    // In memory, the low 32 bits first on any byte order.
                    #if _endian(big)
                    draws.storeBytes(of: draw << 32 | draw >> 32, toByteOffset: pair * 8, as: UInt64.self)
                    #else
                    draws.storeBytes(of: draw, toByteOffset: pair * 8, as: UInt64.self)
                    #endif
                }
                var i = 0
                while i + Lanes.scalarCount <= values {
                    let noise = gumbel(draws.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<UInt32>.self))
                    let sum = UnsafeRawPointer(base + start + i).loadUnaligned(as: Lanes.self) + noise
                    UnsafeMutableRawPointer(out + start + i).storeBytes(of: sum, as: Lanes.self)
                    i += Lanes.scalarCount
                }
                if i < values {  // the last values mod 16, through the same arithmetic
                    var bits = SIMD16<UInt32>()
                    for lane in 0..<(values - i) { bits[lane] = draws.load(fromByteOffset: (i + lane) * 4, as: UInt32.self) }
                    let noise = gumbel(bits)
                    for lane in 0..<(values - i) { out[start + i + lane] = base[start + i + lane] + noise[lane] }
                }
                start += values
            }
        }
    }

    /// Values whose draws are taken at once (an even number: a row of up to this many experts uses
    /// each draw for two consecutive values).
    static let chunkValues = 512

    /// −ln(−ln U) for U = (bits >> 9 + ½) · 2⁻²³ in each lane.
    /// - Complexity: O(1).
    @inline(__always)
    static func gumbel(_ bits: SIMD16<UInt32>) -> Lanes {
        // Under 1.0's exponent the 23 bits make 1 + j·2⁻²³; subtracting 1 − 2⁻²⁴ leaves (2j + 1)·2⁻²⁴, exactly
        // (it fits 24 bits). Bit operations, because the generic SIMD integer-to-float conversion goes lane by lane.
        let uniform = unsafeBitCast(bits &>> 9 | 0x3f80_0000, to: Lanes.self) - (1 - 0x1p-24)
        return -naturalLog(-naturalLog(uniform))
    }

    /// The natural logarithm of each lane, every lane positive, finite and normal.
    ///
    /// x = m · 2^e with m in [√½, √2); ln m = 2 atanh(s) = 2(s + s³/3 + s⁵/5 + …) with
    /// s = (m − 1)/(m + 1), |s| ≤ 0.1716, so the terms through s⁹ leave a relative error below
    /// 0.1716¹⁰/11 ≈ 2e-9, under the float rounding; m − 1 is exact, so values near 1 keep their
    /// relative precision; ln 2 is split in a high part with few bits, so that e · ln 2 is exact.
    /// - Complexity: O(1).
    @inline(__always)
    static func naturalLog(_ x: Lanes) -> Lanes {
        // Adding 1.0's bits minus √½'s carries into the exponent exactly when x's mantissa field
        // reaches √½'s (that of √2, halved): then e is one higher and, once √½'s bits are added back
        // to the bare mantissa field, m is x's mantissa halved, in [√½, 1); otherwise m is x's mantissa,
        // in [1, √2). Exact integer additions instead of a comparison, a multiplication and two selections.
        let halfRoot2: UInt32 = 0x3f35_04f3  // 0.707_106_77, the float nearest √½
        let bits = unsafeBitCast(x, to: SIMD16<UInt32>.self) &+ (0x3f80_0000 - halfRoot2)
        // The biased exponent k = e + 127 (the sign bit is 0) written under 2²³'s exponent bits makes the float
        // 2²³ + k; subtracting 2²³ + 127 leaves e, exactly.
        let exponent = unsafeBitCast(bits &>> 23 | 0x4b00_0000, to: Lanes.self) - (0x1p23 + 127)
        let mantissa = unsafeBitCast((bits & 0x007f_ffff) &+ halfRoot2, to: Lanes.self)
        let f = mantissa - 1
        let s = f / (2 + f)
        let s2 = s * s
        // 1 + s²/3 + s⁴/5 + s⁶/7 + s⁸/9 by Horner's rule, one step per line.
        var series: Lanes = s2 * (1.0 / 9)
        series = s2 * (series + 1.0 / 7)
        series = s2 * (series + 1.0 / 5)
        series = s2 * (series + 1.0 / 3)
        series += 1
        let low: Lanes = exponent * 1.428_606_765_330_187e-6 + 2 * s * series
        return exponent * 0.693_145_751_953_125 + low
    }
}
