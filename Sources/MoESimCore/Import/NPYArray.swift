/// A NumPy array stored in the `.npy` format (versions 1.0, 2.0 and 3.0), alone in a file or
/// as a member of an `.npz` archive: its element type, shape and where its data start.
/// Only C-order, little-endian arrays of f16, f32, f64, i32 and i64 are read.
struct NPYArray {
    /// File and member name for messages (`x.npz` member `scores.npy` reads `x.npz[scores.npy]`).
    let name: String
    let dtype: ElementType
    let shape: [Int]
    /// Offset of the first element from the start of the array's bytes (the file, or the member).
    let dataOffset: Int

    /// Elements in the array.
    var count: Int { shape.reduce(1, *) }

    /// Reads the `.npy` preamble and header from `input` (positioned at the array's first byte; the
    /// array occupies `length` bytes), leaving it at the first element, and checks that the data fit.
    /// - Throws: `TraceError` for a missing magic, an unsupported version, a malformed header or
    ///   an unsupported dtype or order, or data shorter than the shape says.
    /// - Complexity: O(header length).
    static func parse(_ input: SequentialInput, length: Int, name: String) throws -> NPYArray {
        let prefix = try input.readArray(min(10, length))
        let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
        guard prefix.count >= 8, Array(prefix[0..<6]) == magic else {
            throw TraceError.badMagic(file: name, at: .byte(0), seen: TraceHeader.quoted(prefix.prefix(6)),
                                      expected: "the magic \"\\x93NUMPY\" of a .npy array (save with numpy.save)")
        }
        let major = Int(prefix[6])
        guard (1...3).contains(major), prefix[7] == 0 else {
            throw TraceError.unsupportedVersion(file: name, at: .byte(6), version: major,
                                                supported: ".npy versions 1.0, 2.0 and 3.0")
        }
        let lengthBytes = major == 1 ? 2 : 4
        let lengthField = prefix.dropFirst(8) + (try input.readArray(lengthBytes == 4 && length >= 12 ? 2 : 0))
        guard lengthField.count == lengthBytes else {
            throw TraceError.truncated(file: name, at: .byte(8), what: ".npy header length", neededBytes: lengthBytes,
                                       availableBytes: lengthField.count)
        }
        let field = Array(lengthField)
        let headerLength = lengthBytes == 2 ? Int(field.loadLittleEndian(UInt16.self, at: 0))
                                            : Int(field.loadLittleEndian(UInt32.self, at: 0))
        let headerStart = 8 + lengthBytes
        guard headerLength <= length - headerStart, headerLength <= 1 << 20 else {
            throw TraceError.truncated(file: name, at: .byte(headerStart), what: ".npy header", neededBytes: headerLength,
                                       availableBytes: max(0, length - headerStart))
        }
        var header = NPYHeaderParser(bytes: try input.readArray(headerLength), name: name, offset: headerStart)
        let fields = try header.parseDict()
        let at = TraceError.Location.byte(headerStart)
        guard case .string(let code)? = fields["descr"] else {
            throw TraceError.invalidField(file: name, at: at, field: "descr", value: fields["descr"].map { "\($0)" } ?? "nothing",
                                          allowed: "a quoted dtype such as '<f4'")
        }
        let order = code.first
        let dtype = Self.dtypes[String(code.dropFirst())]
        guard let dtype, order == "<" || order == "=" else {
            throw TraceError.invalidField(file: name, at: at, field: "dtype", value: "'\(code)'",
                                          allowed: "little-endian float16, float32 or float64 scores ('<f2', '<f4', '<f8') "
                                              + "or int32/int64 expert ids ('<i4', '<i8'); convert with .astype(numpy.float32)")
        }
        guard case .boolean(false)? = fields["fortran_order"] else {
            throw TraceError.invalidField(file: name, at: at, field: "fortran_order",
                                          value: fields["fortran_order"].map { "\($0)" } ?? "nothing",
                                          allowed: "False (C order); save numpy.ascontiguousarray(a)")
        }
        guard case .tuple(let shape)? = fields["shape"], shape.allSatisfy({ $0 <= TraceHeader.maxCount }) else {
            throw TraceError.invalidField(file: name, at: at, field: "shape", value: fields["shape"].map { "\($0)" } ?? "nothing",
                                          allowed: "a tuple of integers in [0, \(TraceHeader.maxCount)] such as (4096, 64)")
        }
        let dataOffset = headerStart + headerLength
        let (elements, overflow) = shape.reduce((1, false)) { partial, dimension in
            let (product, flag) = partial.0.multipliedReportingOverflow(by: dimension)
            return (product, partial.1 || flag)
        }
        let (bytes, bytesOverflow) = elements.multipliedReportingOverflow(by: dtype.byteCount)
        let available = length - dataOffset
        guard !overflow, !bytesOverflow, bytes <= available else {
            throw TraceError.truncated(file: name, at: .byte(dataOffset), what: "array data of shape \(shape)",
                                       neededBytes: overflow || bytesOverflow ? Int.max : bytes, availableBytes: available)
        }
        return NPYArray(name: name, dtype: dtype, shape: shape, dataOffset: dataOffset)
    }

    /// The NumPy type codes read (after the byte-order character).
    private static let dtypes: [String: ElementType] = ["f2": .f16, "f4": .f32, "f8": .f64, "i4": .i32, "i8": .i64]
}
