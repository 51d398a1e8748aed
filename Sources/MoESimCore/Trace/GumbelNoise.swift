/// Standard Gumbel noise, G = −ln(−ln U) for U uniform on (0, 1), computed with our own
/// logarithm instead of the C library's.
///
/// Two reasons. Speed: the synthetic generator draws one G per (token, expert), tens of
/// millions per batch, and libm's `log` was most of a sweep's time; this one is a short
/// polynomial the compiler can vectorise. Reproducibility: it uses only IEEE-754 additions,
/// multiplications and one division, so every platform gets the same bits, whereas C
/// libraries may differ in the last place (and a last-place difference can flip a near tie
/// between two experts).
///
/// Accuracy: |relative error| of each logarithm below 1e-12 (the series is cut after s¹³, see
/// `naturalLog`), far below the Float precision the scores are stored in.
public enum GumbelNoise {
    /// Adds independent standard Gumbel noise to `base`, writing `count` values to `out`, drawing
    /// one uniform per value from `rng` (the same draws as `rng.nextOpenUnitDouble()`).
    ///
    /// Eight values at a time: the scalar generator fills a vector of uniforms (integer work, which
    /// overlaps the vector arithmetic of the previous eight), then both logarithms run on the vector.
    /// - Complexity: O(count), no allocation.
    @inline(__always)
    public static func add(to base: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>,
                           rng: inout SplitMix64) {
        var i = 0
        while i + Lanes.scalarCount <= count {
            var u = Lanes()
            for lane in 0..<Lanes.scalarCount { u[lane] = rng.nextOpenUnitDouble() }
            let gumbel = -naturalLog(-naturalLog(u))
            let sum = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD8<Float>.self) + SIMD8<Float>(gumbel)
            UnsafeMutableRawPointer(out + i).storeBytes(of: sum, as: SIMD8<Float>.self)
            i += Lanes.scalarCount
        }
        if i < count {  // the last count mod 8 values, through the same arithmetic
            var u = Lanes(repeating: 0.5)
            for lane in 0..<(count - i) { u[lane] = rng.nextOpenUnitDouble() }
            let gumbel = -naturalLog(-naturalLog(u))
            for lane in 0..<(count - i) { out[i + lane] = base[i + lane] + Float(gumbel[lane]) }
        }
    }

    /// Eight doubles at a time: the widest vector that still speeds this up on SSE2.
    typealias Lanes = SIMD8<Double>

    /// The natural logarithm of each lane, every lane positive, finite and normal.
    ///
    /// x = m · 2^e with m in [√½, √2); ln m = 2 atanh(s) = 2(s + s³/3 + s⁵/5 + …) with
    /// s = (m − 1)/(m + 1), |s| ≤ 0.1716, so the terms through s¹³ leave a relative error
    /// below 0.1716¹⁴/15 ≈ 1.3e-12; ln 2 is split in a high and a low part so that e · ln 2
    /// is exact to about 1e-16 relative.
    /// - Complexity: O(1).
    @inline(__always)
    static func naturalLog(_ x: Lanes) -> Lanes {
        // Adding 1.0's bits minus `halfRoot2Above`'s carries into the exponent exactly when the mantissa
        // field reaches that of the double after √2 (1.414_213_562_373_095_1, the double nearest √2): then
        // e is one higher and, once `halfRoot2Above`'s bits are added back to the bare mantissa field, m
        // is that mantissa halved, exactly; otherwise m is the mantissa in [1, √2]. Integer additions
        // instead of a comparison, a multiplication and two selections.
        let halfRoot2Above: UInt64 = 0x3fe6_a09e_667f_3bce
        let bits = unsafeBitCast(x, to: SIMD8<UInt64>.self) &+ (0x3ff0_0000_0000_0000 - halfRoot2Above)
        // The biased exponent k = e + 1023 (the sign bit is 0) becomes the double 2^52 + k by
        // writing it under 2^52's exponent bits; subtracting 2^52 + 1023 leaves e, exactly.
        let exponent = unsafeBitCast((bits &>> 52) | 0x4330_0000_0000_0000, to: Lanes.self) - (0x1p52 + 1023)
        let mantissa = unsafeBitCast((bits & 0x000f_ffff_ffff_ffff) &+ halfRoot2Above, to: Lanes.self)
        let f = mantissa - 1
        let s = f / (2 + f)
        let s2 = s * s
        // 1 + s²/3 + s⁴/5 + … + s¹²/13 by Horner's rule, one step per line (one long
        // expression of SIMD operators is too much for the type checker).
        var series: Lanes = s2 * (1.0 / 13)
        series = s2 * (series + 1.0 / 11)
        series = s2 * (series + 1.0 / 9)
        series = s2 * (series + 1.0 / 7)
        series = s2 * (series + 1.0 / 5)
        series = s2 * (series + 1.0 / 3)
        series += 1
        let low: Lanes = exponent * 1.908_214_929_270_587_7e-10 + 2 * s * series
        return exponent * 0.693_147_180_369_123_8 + low
    }
}
