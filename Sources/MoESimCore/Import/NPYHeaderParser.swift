/// Parses the header of a `.npy` file: the Python dict literal `numpy.lib.format` writes, such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (6, 4), }` padded with spaces and a newline.
/// Exactly the keys `descr`, `fortran_order` and `shape`, each once; values are strings, booleans
/// or tuples of non-negative integers. Anything else is an error naming the byte offset.
struct NPYHeaderParser {
    /// A header value.
    enum Value: Equatable, CustomStringConvertible {
        case string(String)
        case boolean(Bool)
        case tuple([Int])

        var description: String {
            switch self {
            case .string(let text): return "'\(text)'"
            case .boolean(let flag): return flag ? "True" : "False"
            case .tuple(let values): return "(" + values.map(String.init).joined(separator: ", ") + (values.count == 1 ? ",)" : ")")
            }
        }
    }

    private let bytes: [UInt8]
    private let name: String
    /// Offset of the header's first byte in the array (for messages).
    private let offset: Int
    private var index = 0

    /// A parser of the header `bytes` of array `name`, which start at byte `offset`.
    init(bytes: [UInt8], name: String, offset: Int) {
        self.bytes = bytes
        self.name = name
        self.offset = offset
    }

    /// The dict's keys and values. - Throws: `TraceError.invalidField` at the first byte that is wrong.
    /// - Complexity: O(header length).
    mutating func parseDict() throws -> [String: Value] {
        var fields: [String: Value] = [:]
        skipSpaces()
        try expect(UInt8(ascii: "{"), "a dict with the keys 'descr', 'fortran_order' and 'shape', such as {'descr': '<f4', 'fortran_order': False, 'shape': (6, 4), }")
        while true {
            skipSpaces()
            if peek == UInt8(ascii: "}") {
                index += 1
                break
            }
            let keyAt = index
            guard case .string(let key) = try parseValue(), ["descr", "fortran_order", "shape"].contains(key) else {
                throw error(at: keyAt, "one of the keys 'descr', 'fortran_order' and 'shape'")
            }
            guard fields[key] == nil else { throw error(at: keyAt, "each key once ('\(key)' is repeated)") }
            skipSpaces()
            try expect(UInt8(ascii: ":"), "':' after the key '\(key)'")
            skipSpaces()
            fields[key] = try parseValue()
            skipSpaces()
            if peek == UInt8(ascii: ",") {
                index += 1
            } else if peek != UInt8(ascii: "}") {
                throw error(at: index, "',' or '}' after the value of '\(key)'")
            }
        }
        skipSpaces()
        guard index == bytes.count else { throw error(at: index, "only spaces and a newline after the dict") }
        guard fields.count == 3 else {
            throw error(at: 0, "a dict with the keys 'descr', 'fortran_order' and 'shape' (has \(fields.keys.sorted()))")
        }
        return fields
    }

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipSpaces() {
        while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D { index += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws {
        guard peek == byte else { throw error(at: index, what) }
        index += 1
    }

    private mutating func parseValue() throws -> Value {
        let start = index
        switch peek {
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            let quote = bytes[index]
            index += 1
            guard let end = bytes[index...].firstIndex(of: quote) else { throw error(at: start, "a closed string") }
            let text = String(decoding: bytes[index..<end], as: UTF8.self)
            index = end + 1
            return .string(text)
        case UInt8(ascii: "("):
            index += 1
            var values: [Int] = []
            while true {
                skipSpaces()
                if peek == UInt8(ascii: ")") {
                    index += 1
                    return .tuple(values)
                }
                let numberStart = index
                var value = 0
                while let byte = peek, (0x30...0x39).contains(byte) {
                    let (product, overflow) = value.multipliedReportingOverflow(by: 10)
                    guard !overflow, product <= Int.max - 9 else { throw error(at: numberStart, "a dimension below 2^63") }
                    value = product + Int(byte - 0x30)
                    index += 1
                }
                guard index > numberStart else { throw error(at: index, "a non-negative integer or ')' in the shape tuple") }
                values.append(value)
                skipSpaces()
                if peek == UInt8(ascii: ",") {
                    index += 1
                } else if peek != UInt8(ascii: ")") {
                    throw error(at: index, "',' or ')' in the shape tuple")
                }
            }
        default:
            for (word, flag) in [("True", true), ("False", false)] where bytes[index...].starts(with: word.utf8) {
                index += word.utf8.count
                return .boolean(flag)
            }
            throw error(at: start, "a string, True, False or a tuple")
        }
    }

    private func error(at position: Int, _ allowed: String) -> TraceError {
        let excerpt = String(decoding: bytes[min(position, bytes.count)...].prefix(24), as: UTF8.self)
        return .invalidField(file: name, at: .byte(offset + position), field: "the .npy header", value: excerpt.debugDescription,
                             allowed: allowed)
    }
}
