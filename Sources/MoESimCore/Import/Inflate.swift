import Foundation

/// A streaming DEFLATE decoder (RFC 1951): stored, fixed-Huffman and dynamic-Huffman blocks.
/// Compressed bytes are pulled from `source` in 64 KiB reads and the output is handed out by
/// `read(into:count:)` through a 32 KiB history window plus a 256 KiB output area, so memory stays
/// about 400 KiB whatever the stream's size. Literal/length and distance codes are decoded by one
/// table look-up (`HuffmanTable`) from a 64-bit bit buffer refilled eight bytes at a time.
///
/// Every malformed stream ends in `Inflate.Error` (with the compressed byte offset): over-subscribed
/// codes, invalid symbols, distances reaching before the output's start, a stored length whose
/// complement is wrong, a stream that ends early. Nothing a stream holds can make it crash or loop.
final class Inflate {
    /// Why a stream cannot be decoded, and at which compressed byte.
    struct Error: Swift.Error, CustomStringConvertible, Equatable {
        /// Compressed bytes consumed when the problem was found.
        let offset: Int
        let reason: String
        var description: String { "byte \(offset) of the DEFLATE stream: \(reason)" }
    }

    /// Reads up to `count` compressed bytes into the buffer; returns how many (0 at the end).
    typealias Source = (UnsafeMutableRawPointer, Int) throws -> Int

    private enum State { case blockHeader, stored(remaining: Int), huffman, done }

    private static let inputCapacity = 1 << 16
    private static let history = 32_768
    /// The output area: decoding stops for the caller to drain once this much follows the history.
    private static let outputArea = 1 << 18
    /// Room past the output area: one longest match (258) plus an 8-byte over-copy.
    private static let windowCapacity = history + outputArea + 258 + 8

    private let source: Source
    private let input = UnsafeMutablePointer<UInt8>.allocate(capacity: Inflate.inputCapacity)
    private var inputStart = 0, inputEnd = 0
    /// Compressed bytes that were before `input[0]`.
    private var inputBase = 0
    private var sourceEnded = false
    /// Bits not yet used, LSB first; bits above `bitCount` are zero or copies of the next input bytes.
    private var bits: UInt64 = 0
    private var bitCount = 0

    private let window = UnsafeMutablePointer<UInt8>.allocate(capacity: Inflate.windowCapacity)
    /// Decoded bytes end here; the caller has been given those before `delivered`.
    private var written = 0, delivered = 0
    /// Output bytes that were slid out of the window.
    private var windowBase = 0

    private var state = State.blockHeader
    private var lastBlock = false
    private let literals = HuffmanTable(capacity: 288)
    private let distances = HuffmanTable(capacity: 32)
    private let codeLengths = HuffmanTable(capacity: 19)

    /// A decoder of the stream `source` yields.
    init(source: @escaping Source) {
        self.source = source
    }

    deinit {
        input.deallocate()
        window.deallocate()
    }

    /// Output bytes decoded so far.
    var totalOutput: Int { windowBase + written }
    /// True once the last block has been decoded and all its bytes read.
    var isFinished: Bool {
        if case .done = state { return delivered == written }
        return false
    }
    /// Compressed bytes the decoder has used (a partly used last byte counts).
    var compressedBytesUsed: Int { inputBase + inputStart - bitCount / 8 }

    /// Decodes up to `count` bytes into `buffer`; returns how many (fewer only at the end of the stream).
    /// - Throws: `Inflate.Error` for a malformed or truncated stream; whatever `source` throws.
    /// - Complexity: O(count) amortised.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        var done = 0
        while done < count {
            if delivered < written {
                let n = min(count - done, written - delivered)
                (buffer + done).copyMemory(from: window + delivered, byteCount: n)
                delivered += n
                done += n
                continue
            }
            if case .done = state { break }
            if written >= Self.history + Self.outputArea {
                window.update(from: window + written - Self.history, count: Self.history)
                windowBase += written - Self.history
                written = Self.history
                delivered = written
            }
            try decode()
        }
        return done
    }

    /// Decodes until the output area is full or the stream ends.
    private func decode() throws {
        while written < Self.history + Self.outputArea {
            switch state {
            case .done:
                return
            case .blockHeader:
                if lastBlock {
                    state = .done
                    return
                }
                try need(3)
                lastBlock = take(1) == 1
                switch take(2) {
                case 0:
                    _ = take(bitCount % 8)   // a stored block starts at a byte boundary
                    try need(32)
                    let length = Int(take(16)), complement = Int(take(16))
                    guard length == ~complement & 0xFFFF else {
                        throw failure("stored block length \(length) does not match its complement \(complement)", back: 4)
                    }
                    state = .stored(remaining: length)
                case 1:
                    try buildFixedTables()
                    state = .huffman
                case 2:
                    try readDynamicTables()
                    state = .huffman
                default:
                    throw failure("block type 3 is reserved", back: 1)
                }
            case .stored(let remaining):
                try copyStored(remaining)
            case .huffman:
                try decodeHuffman()
            }
        }
    }

    // MARK: Bits

    private func failure(_ reason: String, back: Int = 0) -> Error {
        Error(offset: max(0, compressedBytesUsed - back), reason: reason)
    }

    /// Moves unread input to the front of the buffer and reads more from the source.
    private func fillInput() throws {
        guard !sourceEnded else { return }
        let leftover = inputEnd - inputStart
        if inputStart > 0 {
            memmove(input, input + inputStart, leftover)
            inputBase += inputStart
            inputStart = 0
            inputEnd = leftover
        }
        let n = try source(input + inputEnd, Self.inputCapacity - inputEnd)
        if n <= 0 { sourceEnded = true } else { inputEnd += n }
    }

    /// Tops the bit buffer up to at least 56 bits, or to the end of the stream.
    @inline(__always) private func refill() throws {
        while inputEnd - inputStart < 8 && !sourceEnded { try fillInput() }
        if inputEnd - inputStart >= 8 {
            bits |= UInt64(littleEndian: UnsafeRawPointer(input + inputStart).loadUnaligned(as: UInt64.self)) << UInt64(bitCount)
            inputStart += (63 - bitCount) >> 3
            bitCount |= 56
        } else {
            while bitCount <= 56 && inputStart < inputEnd {
                bits |= UInt64(input[inputStart]) << UInt64(bitCount)
                inputStart += 1
                bitCount += 8
            }
        }
    }

    /// Ensures `count` (≤ 56) bits are buffered. - Throws: when the stream ends first.
    @inline(__always) private func need(_ count: Int) throws {
        if bitCount < count {
            try refill()
            guard bitCount >= count else { throw failure("the stream ends early (truncated)") }
        }
    }

    /// The next `count` buffered bits, consumed.
    @inline(__always) private func take(_ count: Int) -> UInt64 {
        let value = bits & ((1 << UInt64(count)) - 1)
        bits >>= UInt64(count)
        bitCount -= count
        return value
    }

    /// The next symbol of `table`. - Throws: for an unused code or a stream that ends inside one.
    @inline(__always) private func decodeSymbol(_ table: HuffmanTable) throws -> Int {
        if bitCount < HuffmanTable.maxBits { try refill() }
        let entry = Int(table.fast[Int(bits & UInt64((1 << HuffmanTable.fastBits) - 1))])
        if entry != 0 && entry & 15 <= bitCount {
            _ = take(entry & 15)
            return entry >> 4
        }
        let (symbol, length) = table.decodeSlowly(bits, available: bitCount)
        if length == 0 { throw failure("the stream ends early (truncated) inside a Huffman code") }
        if length < 0 { throw failure("invalid Huffman code (no symbol has it)") }
        _ = take(length)
        return symbol
    }

    // MARK: Blocks

    private func copyStored(_ remaining: Int) throws {
        var left = remaining
        // Whole bytes still in the bit buffer come first (bitCount is a multiple of 8 here).
        while left > 0 && bitCount >= 8 && written < Self.history + Self.outputArea {
            window[written] = UInt8(truncatingIfNeeded: take(8))
            written += 1
            left -= 1
        }
        if bitCount == 0 { bits = 0 }
        while left > 0 && written < Self.history + Self.outputArea {
            if inputStart == inputEnd { try fillInput() }
            guard inputStart < inputEnd else { throw failure("the stream ends early (truncated) inside a stored block") }
            let n = min(left, inputEnd - inputStart, Self.history + Self.outputArea - written)
            (window + written).update(from: input + inputStart, count: n)
            inputStart += n
            written += n
            left -= n
        }
        state = left == 0 ? .blockHeader : .stored(remaining: left)
    }

    private func buildFixedTables() throws {
        var lengths = [UInt8](repeating: 8, count: 288)
        for symbol in 144..<256 { lengths[symbol] = 9 }
        for symbol in 256..<280 { lengths[symbol] = 7 }
        _ = lengths.withUnsafeBufferPointer { literals.build(lengths: $0) }
        let distanceLengths = [UInt8](repeating: 5, count: 30)
        _ = distanceLengths.withUnsafeBufferPointer { distances.build(lengths: $0) }
    }

    /// The order in which the code length code's lengths are sent.
    private static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    private func readDynamicTables() throws {
        try need(14)
        let literalCount = Int(take(5)) + 257, distanceCount = Int(take(5)) + 1, codeLengthCount = Int(take(4)) + 4
        guard literalCount <= 286, distanceCount <= 30 else {
            throw failure("dynamic block declares \(literalCount) literal/length and \(distanceCount) distance codes "
                + "(at most 286 and 30)")
        }
        var codeLengthLengths = [UInt8](repeating: 0, count: 19)
        for index in 0..<codeLengthCount {
            try need(3)
            codeLengthLengths[Self.codeLengthOrder[index]] = UInt8(take(3))
        }
        guard codeLengthLengths.withUnsafeBufferPointer({ codeLengths.build(lengths: $0) }) else {
            throw failure("over-subscribed code length code")
        }
        var lengths = [UInt8](repeating: 0, count: literalCount + distanceCount)
        var index = 0
        while index < lengths.count {
            let symbol = try decodeSymbol(codeLengths)
            if symbol < 16 {
                lengths[index] = UInt8(symbol)
                index += 1
                continue
            }
            var value: UInt8 = 0, repeats: Int
            switch symbol {
            case 16:
                guard index > 0 else { throw failure("code length 16 (repeat) with no previous length") }
                value = lengths[index - 1]
                try need(2)
                repeats = 3 + Int(take(2))
            case 17:
                try need(3)
                repeats = 3 + Int(take(3))
            default:
                try need(7)
                repeats = 11 + Int(take(7))
            }
            guard index + repeats <= lengths.count else {
                throw failure("code lengths repeat past the \(lengths.count) codes declared")
            }
            for _ in 0..<repeats {
                lengths[index] = value
                index += 1
            }
        }
        guard lengths[256] != 0 else { throw failure("dynamic block has no end-of-block code") }
        let built = lengths.withUnsafeBufferPointer { all in
            literals.build(lengths: UnsafeBufferPointer(rebasing: all[0..<literalCount]))
                && distances.build(lengths: UnsafeBufferPointer(rebasing: all[literalCount...]))
        }
        guard built else { throw failure("over-subscribed literal/length or distance code") }
    }

    private static let lengthBase: [Int] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99,
                                            115, 131, 163, 195, 227, 258]
    private static let lengthExtra: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    private static let distanceBase: [Int] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769,
                                              1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    private static let distanceExtra: [Int] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11,
                                               12, 12, 13, 13]

    /// Decodes symbols of the current Huffman block until its end or a full output area.
    private func decodeHuffman() throws {
        let limit = Self.history + Self.outputArea
        try Self.lengthBase.withUnsafeBufferPointer { lengthBase in
        try Self.lengthExtra.withUnsafeBufferPointer { lengthExtra in
        try Self.distanceBase.withUnsafeBufferPointer { distanceBase in
        try Self.distanceExtra.withUnsafeBufferPointer { distanceExtra in
            while written < limit {
                if inputEnd - inputStart >= 16 {
                    try decodeFast(limit: limit)
                    if case .blockHeader = state { return }
                    if written >= limit { return }
                    // Short input or a long code: one symbol by the general path below, then fast again.
                }
                let symbol = try decodeSymbol(literals)
                if symbol < 256 {
                    window[written] = UInt8(truncatingIfNeeded: symbol)
                    written += 1
                    continue
                }
                if symbol == 256 {
                    state = .blockHeader
                    return
                }
                let lengthCode = symbol - 257
                guard lengthCode < 29 else { throw failure("invalid literal/length symbol \(symbol)") }
                try need(lengthExtra[lengthCode])
                let length = lengthBase[lengthCode] + Int(take(lengthExtra[lengthCode]))
                let distanceCode = try decodeSymbol(distances)
                guard distanceCode < 30 else { throw failure("invalid distance symbol \(distanceCode)") }
                try need(distanceExtra[distanceCode])
                let distance = distanceBase[distanceCode] + Int(take(distanceExtra[distanceCode]))
                guard distance <= windowBase + written else {
                    throw failure("distance \(distance) reaches before the start of the output (\(windowBase + written) bytes)")
                }
                copyMatch(at: written, length: length, distance: distance)
                written += length
            }
        }
        }
        }
        }
    }

    /// The fast loop (as zlib's inflate_fast): while at least 16 input bytes are buffered, every
    /// symbol with its extra bits (at most 48 bits) fits one 56-bit refill, so the bit buffer, the
    /// input and output positions live in locals and no bound is checked per bit. Returns at the end
    /// of the block, a full output area, short input, or a literal/length code longer than the
    /// table (left for `decodeHuffman`'s general path).
    private func decodeFast(limit: Int) throws {
        var bits = self.bits, count = bitCount, position = inputStart, out = written
        func sync() {
            (self.bits, bitCount, inputStart, written) = (bits, count, position, out)
        }
        defer { sync() }
        func fail(_ reason: String) -> Error {
            sync()
            return failure(reason)
        }
        let last = inputEnd - 8
        let literalTable = literals.fast, distanceTable = distances.fast
        let mask = UInt64((1 << HuffmanTable.fastBits) - 1)
        while out < limit && position <= last {
            bits |= UInt64(littleEndian: UnsafeRawPointer(input + position).loadUnaligned(as: UInt64.self)) << UInt64(count)
            position += (63 - count) >> 3
            count |= 56
            let entry = Int(literalTable[Int(bits & mask)])
            guard entry != 0 else { return }
            bits >>= UInt64(entry & 15)
            count -= entry & 15
            let symbol = entry >> 4
            if symbol < 256 {
                window[out] = UInt8(truncatingIfNeeded: symbol)
                out += 1
                // Up to two more literals from the same refill: 56 bits minus three table codes
                // (at most `fastBits` each) never runs out.
                for _ in 0..<2 where out < limit {
                    let next = Int(literalTable[Int(bits & mask)])
                    guard next != 0, next >> 4 < 256 else { break }
                    bits >>= UInt64(next & 15)
                    count -= next & 15
                    window[out] = UInt8(truncatingIfNeeded: next >> 4)
                    out += 1
                }
                continue
            }
            if symbol == 256 {
                state = .blockHeader
                return
            }
            let lengthCode = symbol - 257
            guard lengthCode < 29 else { throw fail("invalid literal/length symbol \(symbol)") }
            let lengthBits = Self.lengthExtra[lengthCode]
            let length = Self.lengthBase[lengthCode] + Int(bits & ((1 << UInt64(lengthBits)) - 1))
            bits >>= UInt64(lengthBits)
            count -= lengthBits
            var distanceCode = Int(distanceTable[Int(bits & mask)])
            if distanceCode != 0 {
                bits >>= UInt64(distanceCode & 15)
                count -= distanceCode & 15
                distanceCode >>= 4
            } else {
                let (symbol, codeLength) = distances.decodeSlowly(bits, available: count)
                guard codeLength > 0 else { throw fail("invalid Huffman code (no symbol has it)") }
                bits >>= UInt64(codeLength)
                count -= codeLength
                distanceCode = symbol
            }
            guard distanceCode < 30 else { throw fail("invalid distance symbol \(distanceCode)") }
            let distanceBits = Self.distanceExtra[distanceCode]
            let distance = Self.distanceBase[distanceCode] + Int(bits & ((1 << UInt64(distanceBits)) - 1))
            bits >>= UInt64(distanceBits)
            count -= distanceBits
            guard distance <= windowBase + out else {
                throw fail("distance \(distance) reaches before the start of the output (\(windowBase + out) bytes)")
            }
            copyMatch(at: out, length: length, distance: distance)
            out += length
        }
    }

    /// Writes `length` bytes at `out` copied from `distance` back (they may overlap what is being written).
    @inline(__always) private func copyMatch(at out: Int, length: Int, distance: Int) {
        var to = window + out
        var from = UnsafePointer(to - distance)
        let end = to + length
        if distance >= 8 {
            // Eight bytes at a time; each read is of bytes already written. May write 7 bytes past end.
            while to < end {
                UnsafeMutableRawPointer(to).storeBytes(of: UnsafeRawPointer(from).loadUnaligned(as: UInt64.self), as: UInt64.self)
                to += 8
                from += 8
            }
        } else {
            while to < end {
                to.pointee = from.pointee
                to += 1
                from += 1
            }
        }
    }
}
