/// The element types of imported arrays and tensors (NumPy dtypes, safetensors dtypes), all
/// little-endian, and their decoding into the trace's `Float` scores and weights or `Int` ids.
enum ElementType: String, CaseIterable, Sendable {
    case f16, bf16, f32, f64, i32, i64

    /// Bytes per element.
    var byteCount: Int {
        switch self {
        case .f16, .bf16: return 2
        case .f32, .i32: return 4
        case .f64, .i64: return 8
        }
    }

    /// Floating point (scores, logits, weights) rather than integer (expert ids).
    var isFloat: Bool { self != .i32 && self != .i64 }

    /// Decodes the first `count` floats of `raw` into `values`. bf16, f16 and f32 convert exactly;
    /// f64 rounds to the nearest f32. Returns the index of the first NaN or infinite value (and
    /// its original text), or nil when all are finite.
    /// - Complexity: O(count).
    func decodeFloats(_ raw: UnsafeRawBufferPointer, count: Int, into values: inout [Float]) -> (index: Int, value: String)? {
        values.withUnsafeMutableBufferPointer { out in
            // One loop per type (no switch per element); f32 is a bulk copy, then a scan for NaN and infinities.
            switch self {
            case .f32:
                guard count > 0, let destination = out.baseAddress, let source = raw.baseAddress else { return nil }
                UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: 4 * count)
                if Int(littleEndian: 1) != 1 {
                    for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: out[i].bitPattern)) }
                }
            case .bf16:
                for i in 0..<count {
                    out[i] = Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
                }
            case .f16:
                for i in 0..<count {
                    out[i] = Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
                }
            default:   // f64 (integer types are never decoded as floats)
                for i in 0..<count {
                    let wide = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
                    out[i] = Float(wide)
                    if !out[i].isFinite { return (i, wide.isFinite ? "\(wide) (beyond f32's range)" : "\(wide)") }
                }
                return nil
            }
            // All exponent bits set: NaN or an infinity. Branch-free over the whole part, then located.
            var special: UInt32 = 0
            for i in 0..<count { special |= ~out[i].bitPattern & 0x7F80_0000 == 0 ? 1 : 0 }
            guard special != 0, let i = out[..<count].firstIndex(where: { !$0.isFinite }) else { return nil }
            return (i, "\(out[i])")
        }
    }

    /// The integer at element `index` of `raw` (i32 or i64).
    @inline(__always) func integer(_ raw: UnsafeRawBufferPointer, at index: Int) -> Int {
        self == .i32 ? Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * index, as: Int32.self)))
                     : Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * index, as: Int64.self)))
    }
}
