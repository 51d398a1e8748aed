/// A canonical Huffman code of DEFLATE (RFC 1951 §3.2.2) built from code lengths, decoded with one
/// table look-up for codes of up to `fastBits` bits and a bit-by-bit canonical walk for longer ones.
/// The storage is allocated once and rebuilt in place for every block.
final class HuffmanTable {
    /// Codes this short are decoded by one look-up.
    static let fastBits = 10
    /// The longest code DEFLATE allows.
    static let maxBits = 15

    /// Indexed by the next `fastBits` input bits (LSB first): `symbol << 4 | length`, or 0 when the
    /// code is longer than `fastBits` (or unused).
    let fast: UnsafeMutablePointer<UInt16>
    /// Codes of each length 0...15.
    private let counts: UnsafeMutablePointer<Int>
    /// Symbols in canonical order (by length, then by symbol).
    private let symbols: UnsafeMutablePointer<UInt16>
    private let capacity: Int

    /// Storage for codes of up to `capacity` symbols.
    init(capacity: Int) {
        self.capacity = capacity
        fast = .allocate(capacity: 1 << Self.fastBits)
        fast.initialize(repeating: 0, count: 1 << Self.fastBits)
        counts = .allocate(capacity: Self.maxBits + 1)
        counts.initialize(repeating: 0, count: Self.maxBits + 1)
        symbols = .allocate(capacity: capacity)
        symbols.initialize(repeating: 0, count: capacity)
    }

    deinit {
        fast.deallocate()
        counts.deallocate()
        symbols.deallocate()
    }

    /// Rebuilds the code of `lengths` (one per symbol, 0 = unused, at most `capacity`, each ≤ 15).
    /// Returns false for an over-subscribed code (more codes than lengths allow), which no valid
    /// stream has; an incomplete code is accepted and its unused codes fail when decoded.
    /// - Complexity: O(symbols + 2^fastBits).
    func build(lengths: UnsafeBufferPointer<UInt8>) -> Bool {
        let symbolCount = min(lengths.count, capacity)
        counts.update(repeating: 0, count: Self.maxBits + 1)
        for symbol in 0..<symbolCount { counts[Int(lengths[symbol])] += 1 }
        counts[0] = 0
        var left = 1
        for length in 1...Self.maxBits {
            left = left << 1 - counts[length]
            if left < 0 { return false }
        }
        // offsets[length]: where the symbols of that length start in canonical order.
        var offsets = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &offsets) { raw in
            let offset = raw.bindMemory(to: Int.self)
            for length in 1..<Self.maxBits { offset[length + 1] = offset[length] + counts[length] }
            for symbol in 0..<symbolCount where lengths[symbol] != 0 {
                let length = Int(lengths[symbol])
                symbols[offset[length]] = UInt16(symbol)
                offset[length] += 1
            }
        }
        fast.update(repeating: 0, count: 1 << Self.fastBits)
        // Codes are sent most significant bit first; the table is indexed by input bits LSB first, so
        // the canonical code is kept bit-reversed: the next code adds one at the top bit, carrying
        // downwards, and the longer codes' shift left leaves the reversed value as it is.
        var reversed = 0, index = 0
        for length in 1...Self.fastBits {
            for _ in 0..<counts[length] {
                let entry = UInt16(truncatingIfNeeded: Int(symbols[index]) << 4 | length)
                var slot = reversed
                while slot < 1 << Self.fastBits {
                    fast[slot] = entry
                    slot += 1 << length
                }
                var bit = 1 << (length - 1)
                while reversed & bit != 0 {
                    reversed ^= bit
                    bit >>= 1
                }
                reversed |= bit
                index += 1
            }
        }
        return true
    }

    /// Decodes a code longer than `fastBits` (or an unused one) from `bits` (LSB first), of which
    /// `available` are real input. Returns (symbol, length); length 0 means the input ends inside
    /// the code, length −1 that no symbol has this code.
    /// - Complexity: O(15).
    func decodeSlowly(_ bits: UInt64, available: Int) -> (symbol: Int, length: Int) {
        var code = 0, first = 0, index = 0
        var rest = bits
        for length in 1...Self.maxBits {
            if length > available { return (0, 0) }
            code |= Int(rest & 1)
            rest >>= 1
            let count = counts[length]
            if code - count < first { return (Int(symbols[index + code - first]), length) }
            index += count
            first = (first + count) << 1
            code <<= 1
        }
        return (0, -1)
    }
}
