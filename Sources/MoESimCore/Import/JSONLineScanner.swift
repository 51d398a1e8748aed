import Foundation

/// Reads one JSON object from one line of bytes without building a document: the caller walks the
/// top-level members (`nextKey`), reads the values it wants as integers, numbers, strings or
/// (nested) arrays of numbers, and skips the others. No allocation per value: numbers go into
/// buffers the caller reuses. Every malformed input ends in `JSONLineScanner.Error` with the
/// 1-based column.
struct JSONLineScanner {
    /// What is wrong, and at which 1-based column of the line.
    struct Error: Swift.Error, Equatable {
        let column: Int
        let reason: String
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var firstMember = true

    /// A scanner of `line` (without its newline); throws unless it starts a JSON object.
    init(line: UnsafeBufferPointer<UInt8>) throws {
        bytes = line
        skipSpaces()
        try expect(UInt8(ascii: "{"), "a JSON object ({...}) on every line")
    }

    /// The next member's key (the raw bytes between its quotes), or nil after the closing brace,
    /// which must end the line. - Throws: for malformed JSON.
    mutating func nextKey() throws -> UnsafeBufferPointer<UInt8>? {
        skipSpaces()
        if peek == UInt8(ascii: "}") {
            index += 1
            skipSpaces()
            guard index == bytes.count else { throw fail("nothing after the object's closing brace") }
            return nil
        }
        if !firstMember {
            try expect(UInt8(ascii: ","), "',' or '}' between members")
            skipSpaces()
        }
        firstMember = false
        let key = try stringRange()
        skipSpaces()
        try expect(UInt8(ascii: ":"), "':' after a key")
        skipSpaces()
        return UnsafeBufferPointer(rebasing: bytes[key])
    }

    /// Skips the current value, whatever it is (objects and arrays nested to any depth).
    mutating func skipValue() throws {
        var depth = 0
        while true {
            skipSpaces()
            switch peek {
            case UInt8(ascii: "\""): _ = try stringRange()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                index += 1
                skipSpaces()
                guard peek == UInt8(ascii: "}") || peek == UInt8(ascii: "]") else { continue }   // a first member follows
                depth -= 1
                index += 1
            default: try scalar()
            }
            // After a value: closers, then a separator before the next value, or the end.
            while true {
                if depth == 0 { return }
                skipSpaces()
                guard let byte = peek else { throw fail("an array or object that ends before the line") }
                if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                    depth -= 1
                    index += 1
                } else if byte == UInt8(ascii: ",") || byte == UInt8(ascii: ":") {
                    index += 1
                    break
                } else {
                    throw fail("',' or a closing bracket")
                }
            }
        }
    }

    /// The current value's raw text: a string's bytes between its quotes, or a scalar's token.
    mutating func rawValue() throws -> UnsafeBufferPointer<UInt8> {
        if peek == UInt8(ascii: "\"") { return UnsafeBufferPointer(rebasing: bytes[try stringRange()]) }
        let start = index
        try scalar()
        return UnsafeBufferPointer(rebasing: bytes[start..<index])
    }

    /// Whether the current value is a JSON string.
    var atString: Bool { peek == UInt8(ascii: "\"") }

    /// The current value as an integer. - Throws: unless it is an integer literal in Int's range.
    mutating func integer() throws -> Int {
        let start = index
        let value = try number()
        guard value == value.rounded(), abs(value) < 9e15 else {
            index = start
            throw fail("an integer")
        }
        return Int(value)
    }

    /// Reads the current value, an array of numbers or an array of arrays of numbers (rows of the
    /// same length), into `values` (appended, row after row); returns (rows, values per row), rows
    /// 0 for a flat array. - Throws: for anything else, or rows of different lengths.
    mutating func numberArray(into values: inout [Double]) throws -> (rows: Int, width: Int) {
        try expect(UInt8(ascii: "["), "an array of numbers")
        skipSpaces()
        if peek == UInt8(ascii: "[") {
            var rows = 0, width = -1
            while true {
                skipSpaces()
                let before = values.count
                try flatNumbers(into: &values)
                guard width < 0 || values.count - before == width else {
                    throw fail("rows of the same length (this row has \(values.count - before), the first \(width))")
                }
                width = values.count - before
                rows += 1
                skipSpaces()
                if peek == UInt8(ascii: ",") { index += 1; continue }
                try expect(UInt8(ascii: "]"), "',' or ']' between rows")
                return (rows, width)
            }
        }
        index -= 1
        let before = values.count
        try flatNumbers(into: &values)
        return (0, values.count - before)
    }

    private mutating func flatNumbers(into values: inout [Double]) throws {
        try expect(UInt8(ascii: "["), "an array of numbers")
        skipSpaces()
        if peek == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            skipSpaces()
            values.append(try number())
            skipSpaces()
            if peek == UInt8(ascii: ",") { index += 1; continue }
            try expect(UInt8(ascii: "]"), "',' or ']' in an array of numbers")
            return
        }
    }

    /// The current value as a number: digits with an optional sign, fraction and exponent (Python's
    /// `NaN` and `Infinity` are read as such, for the caller to refuse with a clear message).
    mutating func number() throws -> Double {
        let start = index
        var negative = false
        if peek == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        if peek == UInt8(ascii: "N") || peek == UInt8(ascii: "I") {
            for (word, value) in [("NaN", Double.nan), ("Infinity", Double.infinity)] where startsWith(word) {
                index += word.utf8.count
                return negative ? -value : value
            }
        }
        // Up to 19 significant digits in the mantissa; later integer digits scale it, later fraction digits are dropped.
        var mantissa: UInt64 = 0, significant = 0, scale = 0
        while let byte = peek, byte &- 0x30 < 10 {
            if significant < 19 {
                mantissa = mantissa &* 10 &+ UInt64(byte &- 0x30)
                if mantissa > 0 { significant += 1 }
            } else {
                scale += 1
            }
            index += 1
        }
        guard index > start + (negative ? 1 : 0) else { throw fail("a number") }
        if peek == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            while let byte = peek, byte &- 0x30 < 10 {
                if significant < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(byte &- 0x30)
                    scale -= 1
                    if mantissa > 0 { significant += 1 }
                }
                index += 1
            }
            guard index > fractionStart else { throw fail("digits after the decimal point") }
        }
        var exponent = 0
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            var exponentNegative = false
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") {
                exponentNegative = peek == UInt8(ascii: "-")
                index += 1
            }
            let exponentStart = index
            while let byte = peek, byte &- 0x30 < 10 {
                if exponent < 100_000 { exponent = exponent * 10 + Int(byte &- 0x30) }
                index += 1
            }
            guard index > exponentStart else { throw fail("digits in the exponent") }
            if exponentNegative { exponent = -exponent }
        }
        let power = scale + exponent
        // Exact when the mantissa and the power of ten are both exact doubles (Clinger's fast path).
        if mantissa < 1 << 53 && (-22...22).contains(power) {
            let value = power < 0 ? Double(mantissa) / Self.powerOfTen(-power) : Double(mantissa) * Self.powerOfTen(power)
            return negative ? -value : value
        }
        var text = [CChar](repeating: 0, count: index - start + 1)
        for i in start..<index { text[i - start] = CChar(bitPattern: bytes[i]) }
        return strtod(text, nil)
    }

    /// 10^n for n in 0...22, all exact doubles (a switch: no lazily initialised table on the hot path).
    @inline(__always) private static func powerOfTen(_ n: Int) -> Double {
        switch n {
        case 0: return 1e0
        case 1: return 1e1
        case 2: return 1e2
        case 3: return 1e3
        case 4: return 1e4
        case 5: return 1e5
        case 6: return 1e6
        case 7: return 1e7
        case 8: return 1e8
        case 9: return 1e9
        case 10: return 1e10
        case 11: return 1e11
        case 12: return 1e12
        case 13: return 1e13
        case 14: return 1e14
        case 15: return 1e15
        case 16: return 1e16
        case 17: return 1e17
        case 18: return 1e18
        case 19: return 1e19
        case 20: return 1e20
        case 21: return 1e21
        default: return 1e22
        }
    }

    @inline(__always) private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func startsWith(_ word: String) -> Bool {
        var i = index
        for byte in word.utf8 {
            guard i < bytes.count, bytes[i] == byte else { return false }
            i += 1
        }
        return true
    }

    @inline(__always) private mutating func skipSpaces() {
        while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0D { index += 1 }
    }

    @inline(__always) private mutating func expect(_ byte: UInt8, _ what: @autoclosure () -> String) throws {
        guard peek == byte else { throw fail(what()) }
        index += 1
    }

    /// A string's content range (escapes left as they are); the index moves past its closing quote.
    /// Eight bytes at a time (SWAR) up to the next quote, backslash or control character.
    private mutating func stringRange() throws -> Range<Int> {
        try expect(UInt8(ascii: "\""), "a string in double quotes")
        let start = index, count = bytes.count
        guard let base = bytes.baseAddress else { throw fail("a closing quote") }
        var i = index
        while true {
            while i + 8 <= count {
                let word = UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
                let special = Self.zeroBytes(word ^ 0x2222_2222_2222_2222) | Self.zeroBytes(word ^ 0x5C5C_5C5C_5C5C_5C5C)
                    | ((word &- 0x2020_2020_2020_2020) & ~word & 0x8080_8080_8080_8080)   // bytes below 0x20
                if special != 0 {
                    i += special.trailingZeroBitCount >> 3
                    break
                }
                i += 8
            }
            guard i < count else {
                index = count
                throw fail("a closing quote")
            }
            let byte = base[i]
            if byte == UInt8(ascii: "\"") {
                index = i + 1
                return start..<i
            }
            if byte < 0x20 {
                index = i
                throw fail("no control character inside a string")
            }
            i += byte == UInt8(ascii: "\\") ? 2 : 1
        }
    }

    /// The high bit of each zero byte of `word` set (exact for the lowest zero byte; a byte above
    /// a zero byte may be flagged too, which only the lowest flag's position is used for).
    @inline(__always) private static func zeroBytes(_ word: UInt64) -> UInt64 {
        (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
    }

    /// Skips a number or a literal (true, false, null).
    private mutating func scalar() throws {
        if let byte = peek, byte == UInt8(ascii: "t") || byte == UInt8(ascii: "f") || byte == UInt8(ascii: "n") {
            for word in ["true", "false", "null"] where startsWith(word) {
                index += word.utf8.count
                return
            }
        }
        _ = try number()
    }

    private func fail(_ expected: String) -> Error {
        let seen = index < bytes.count ? "'\(String(decoding: bytes[index..<min(index + 12, bytes.count)], as: UTF8.self))'"
                                       : "the end of the line"
        return Error(column: index + 1, reason: "expected \(expected), found \(seen)")
    }
}
