/// The tensor directory of a `.safetensors` file: an 8-byte little-endian header length N, N bytes
/// of JSON (`{"name": {"dtype": "BF16", "shape": [T, E], "data_offsets": [begin, end]}, …}`, with
/// an optional `"__metadata__"` object), then the raw little-endian tensor bytes, `begin` and
/// `end` counted from the end of the header. Every entry is checked: a known dtype, a shape of
/// non-negative integers, offsets inside the data whose length is the shape's.
struct SafetensorsFile {
    /// One tensor.
    struct Tensor: Equatable {
        let name: String
        let type: ElementType
        let shape: [Int]
        /// Absolute file offset of the first byte.
        let offset: Int
    }

    /// The file's path (quoted in errors).
    let path: String
    /// Tensors sorted by name.
    let tensors: [Tensor]

    /// The largest JSON header read (safetensors itself caps it at 100 MB).
    static let maxHeaderBytes = 100_000_000

    /// The dtypes read, by their safetensors names.
    private static let dtypes: [String: ElementType] = ["F16": .f16, "BF16": .bf16, "F32": .f32, "F64": .f64, "I32": .i32,
                                                        "I64": .i64]

    /// Reads and checks the header of `input`.
    /// - Throws: `TraceError` for a short file, a header that is not such JSON, an unsupported dtype
    ///   or a tensor whose bytes do not match its shape or lie outside the file.
    /// - Complexity: O(header size + tensors · log tensors).
    static func read(_ input: InputFile) throws -> SafetensorsFile {
        let file = input.path
        try input.seek(to: 0)
        let lengthBytes = try input.readArray(8)
        guard lengthBytes.count == 8 else {
            throw TraceError.truncated(file: file, at: .byte(0), what: "safetensors header length", neededBytes: 8,
                                       availableBytes: lengthBytes.count)
        }
        let length = lengthBytes.loadLittleEndian(UInt64.self, at: 0)
        guard length <= UInt64(min(maxHeaderBytes, input.size - 8)), length >= 2 else {
            throw TraceError.invalidField(file: file, at: .byte(0), field: "safetensors header length", value: String(length),
                                          allowed: "at least 2 and at most the \(input.size - 8) bytes after it (and 100 MB): "
                                              + "not a safetensors file, or cut short")
        }
        let headerBytes = try input.readArray(Int(length))
        let dataStart = 8 + Int(length)
        let dataLength = input.size - dataStart
        let json: JSONValue
        do { json = try JSONParser.parse(headerBytes) } catch {
            throw TraceError.invalidField(file: file, at: .byte(8), field: "safetensors JSON header", value: "\(error)",
                                          allowed: "a JSON object of tensors")
        }
        guard case .object(let members) = json else {
            throw TraceError.invalidField(file: file, at: .byte(8), field: "safetensors JSON header", value: json.brief,
                                          allowed: "a JSON object of tensors")
        }
        var tensors: [Tensor] = []
        for (name, value) in members where name != "__metadata__" {
            func bad(_ what: String, _ seen: String, _ allowed: String) -> TraceError {
                .invalidField(file: file, at: .byte(8), field: "tensor \"\(name)\" \(what)", value: seen, allowed: allowed)
            }
            guard case .object(let fields) = value else { throw bad("entry", value.brief, "an object") }
            func field(_ key: String) -> JSONValue? { fields.first { $0.key == key }?.value }
            guard case .string(let dtypeName)? = field("dtype") else {
                throw bad("dtype", field("dtype")?.brief ?? "nothing", "a string")
            }
            guard let type = dtypes[dtypeName] else {
                throw bad("dtype", "\"\(dtypeName)\"", "one of BF16, F16, F32, F64 (router logits, weights) or I32, I64 (expert ids)")
            }
            func integers(_ key: String) throws -> [Int] {
                guard case .array(let items)? = field(key) else { throw bad(key, field(key)?.brief ?? "nothing", "an array of integers") }
                return try items.map { item in
                    guard case .number(let n) = item, n >= 0, n <= 9e15, n == n.rounded() else {
                        throw bad(key, item.brief, "non-negative integers")
                    }
                    return Int(n)
                }
            }
            let shape = try integers("shape"), offsets = try integers("data_offsets")
            guard offsets.count == 2, offsets[0] <= offsets[1], offsets[1] <= dataLength else {
                throw bad("data_offsets", "\(offsets)", "[begin, end] within the \(dataLength) data bytes")
            }
            let (elements, overflow) = shape.reduce((1, false)) { partial, dimension in
                let (product, flag) = partial.0.multipliedReportingOverflow(by: dimension)
                return (product, partial.1 || flag)
            }
            guard !overflow, elements <= dataLength, elements * type.byteCount == offsets[1] - offsets[0] else {
                throw bad("data_offsets", "\(offsets) (\(offsets[1] - offsets[0]) bytes)",
                          "\(overflow ? "a shape whose size fits" : "\(elements) × \(type.byteCount) bytes for shape \(shape) \(dtypeName)")")
            }
            tensors.append(Tensor(name: name, type: type, shape: shape, offset: dataStart + offsets[0]))
        }
        return SafetensorsFile(path: file, tensors: tensors.sorted { $0.name < $1.name })
    }
}
