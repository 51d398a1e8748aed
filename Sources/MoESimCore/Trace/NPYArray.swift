/// A NumPy array stored in the `.npy` format (versions 1.0, 2.0 and 3.0), alone in a file or
/// as a member of an `.npz` archive: its element type, shape and where its data start.
/// Only C-order, little-endian arrays of f16, f32, f64, i32 and i64 are read.
struct NPYArray {
    /// Element types read.
    enum DType: String, CaseIterable {
        case f16 = "f2", f32 = "f4", f64 = "f8", i32 = "i4", i64 = "i8"

        var byteCount: Int { Int(rawValue.dropFirst())! }
        var isFloat: Bool { rawValue.hasPrefix("f") }
    }

    /// File and member name for messages (`x.npz` member `scores.npy` reads `x.npz[scores.npy]`).
    let name: String
    let dtype: DType
    let shape: [Int]
    /// Absolute file offset of the first element.
    let dataOffset: Int

    /// Elements in the array.
    var count: Int { shape.reduce(1, *) }

    /// Parses the `.npy` header at `base` of `input` (whose array occupies `length` bytes) and
    /// checks that its data fit.
    /// - Throws: `TraceError` for a missing magic, an unsupported version, a malformed header or
    ///   an unsupported dtype or order, or data shorter than the shape says.
    static func parse(_ input: InputFile, at base: Int, length: Int, name: String) throws -> NPYArray {
        try input.seek(to: base)
        let prefix = try input.readBytes(min(12, length))
        let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
        guard prefix.count >= 8, Array(prefix[0..<6]) == magic else {
            throw TraceError.badMagic(file: name, at: .byte(base), seen: TraceHeader.quoted(prefix.prefix(6)),
                                      expected: "the magic \"\\x93NUMPY\" of a .npy array (save with numpy.save)")
        }
        let major = Int(prefix[6])
        guard (1...3).contains(major) else {
            throw TraceError.unsupportedVersion(file: name, at: .byte(base + 6), version: major,
                                                supported: ".npy versions 1.0, 2.0 and 3.0")
        }
        let lengthBytes = major == 1 ? 2 : 4
        guard prefix.count >= 8 + lengthBytes else {
            throw TraceError.truncated(file: name, at: .byte(base + 8), what: ".npy header length", neededBytes: lengthBytes,
                                       availableBytes: prefix.count - 8)
        }
        let headerLength = major == 1 ? Int(prefix.loadLittleEndian(UInt16.self, at: 8))
                                      : Int(prefix.loadLittleEndian(UInt32.self, at: 8))
        let headerStart = base + 8 + lengthBytes
        guard headerLength <= length - 8 - lengthBytes, headerLength <= 1 << 20 else {
            throw TraceError.truncated(file: name, at: .byte(headerStart), what: ".npy header", neededBytes: headerLength,
                                       availableBytes: max(0, length - 8 - lengthBytes))
        }
        try input.seek(to: headerStart)
        let text = String(decoding: try input.readBytes(headerLength), as: UTF8.self)
        let at = TraceError.Location.byte(headerStart)
        let descr = try value(of: "descr", in: text, name: name, at: at)
        guard descr.count >= 3, descr.first == "'" || descr.first == "\"" else {
            throw TraceError.invalidField(file: name, at: at, field: "descr", value: descr, allowed: "a quoted dtype such as '<f4'")
        }
        let code = String(descr.dropFirst().dropLast())
        let order = code.first
        let dtype = DType(rawValue: String(code.dropFirst()))
        guard let dtype, order == "<" || order == "=" || (order == "|" && dtype.byteCount == 1) else {
            throw TraceError.invalidField(file: name, at: at, field: "dtype", value: "'\(code)'",
                                          allowed: "little-endian float16, float32 or float64 scores ('<f2', '<f4', '<f8') "
                                              + "or int32/int64 expert ids ('<i4', '<i8'); convert with .astype(numpy.float32)")
        }
        let fortran = try value(of: "fortran_order", in: text, name: name, at: at)
        guard fortran == "False" else {
            throw TraceError.invalidField(file: name, at: at, field: "fortran_order", value: fortran,
                                          allowed: "False (C order); save numpy.ascontiguousarray(a)")
        }
        let shapeText = try value(of: "shape", in: text, name: name, at: at)
        guard shapeText.hasPrefix("("), shapeText.hasSuffix(")") else {
            throw TraceError.invalidField(file: name, at: at, field: "shape", value: shapeText, allowed: "a tuple such as (4096, 64)")
        }
        var shape: [Int] = []
        for part in shapeText.dropFirst().dropLast().split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            guard let dimension = Int(trimmed), dimension >= 0, dimension <= TraceHeader.maxCount else {
                throw TraceError.invalidField(file: name, at: at, field: "shape", value: shapeText,
                                              allowed: "a tuple of integers in [0, \(TraceHeader.maxCount)]")
            }
            shape.append(dimension)
        }
        let dataOffset = headerStart + headerLength
        let (elements, overflow) = shape.reduce((1, false)) { partial, dimension in
            let (product, flag) = partial.0.multipliedReportingOverflow(by: dimension)
            return (product, partial.1 || flag)
        }
        let (bytes, bytesOverflow) = elements.multipliedReportingOverflow(by: dtype.byteCount)
        let available = length - (dataOffset - base)
        guard !overflow, !bytesOverflow, bytes <= available else {
            throw TraceError.truncated(file: name, at: .byte(dataOffset), what: "array data of shape \(shapeText)",
                                       neededBytes: overflow || bytesOverflow ? Int.max : bytes, availableBytes: available)
        }
        return NPYArray(name: name, dtype: dtype, shape: shape, dataOffset: dataOffset)
    }

    /// The text of the value of `key` in the header's Python dict literal.
    private static func value(of key: String, in text: String, name: String, at: TraceError.Location) throws -> String {
        guard let keyRange = text.range(of: "'\(key)'"),
              let colon = text[keyRange.upperBound...].firstIndex(of: ":") else {
            throw TraceError.invalidField(file: name, at: at, field: "the .npy header", value: String(text.prefix(80)).debugDescription,
                                          allowed: "a dict with 'descr', 'fortran_order' and 'shape'")
        }
        var rest = text[text.index(after: colon)...].drop { $0 == " " }
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else {
                throw TraceError.invalidField(file: name, at: at, field: key, value: String(rest.prefix(40)), allowed: "a closed tuple")
            }
            return String(rest[...close])
        }
        if let quote = rest.first, quote == "'" || quote == "\"" {
            rest = rest.dropFirst()
            guard let end = rest.firstIndex(of: quote) else {
                throw TraceError.invalidField(file: name, at: at, field: key, value: String(rest.prefix(40)), allowed: "a closed string")
            }
            return String(quote) + rest[..<end] + String(quote)
        }
        return String(rest.prefix { $0 != "," && $0 != "}" }).trimmingCharacters(in: .whitespaces)
    }
}
