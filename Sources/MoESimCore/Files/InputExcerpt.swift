/// A short, printable excerpt of user input for an error message, the one way every parser
/// echoes what it read: at most `limit` characters, in double quotes, with control and invisible
/// characters escaped (`\n`, `\r`, `\t`, `\u{FEFF}`, …) so a message is always one readable line,
/// and "… (N characters)" when the input was longer.
public enum InputExcerpt {
    /// Characters of input a message echoes at most.
    public static let defaultLimit = 40

    /// `text` quoted, escaped and cut to `limit` characters (Unicode scalars).
    /// - Complexity: O(min(text length, limit)) plus O(text length) to count a longer text.
    public static func quoted<Text: StringProtocol>(_ text: Text, limit: Int = defaultLimit) -> String {
        var result = "\""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit {
                return result + "\"… (\(text.unicodeScalars.count) characters)"
            }
            result += escaped(scalar)
            count += 1
        }
        return result + "\""
    }

    /// `bytes` decoded as UTF-8 (invalid sequences become U+FFFD), quoted, escaped and cut to `limit` characters.
    /// - Complexity: O(bytes.count).
    public static func quoted<Bytes: Collection>(bytes: Bytes, limit: Int = defaultLimit) -> String where Bytes.Element == UInt8 {
        quoted(String(decoding: bytes, as: UTF8.self), limit: limit)
    }

    /// One scalar as it appears in a message.
    private static func escaped(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        case "\"": return "\\\""
        case "\\": return "\\\\"
        default:
            let value = scalar.value
            // C0 and C1 controls, DEL, zero-width and bidirectional controls, the BOM.
            let invisible = value < 0x20 || (0x7F...0x9F).contains(value) || (0x200B...0x200F).contains(value)
                || (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value) || value == 0xFEFF
            return invisible ? "\\u{" + String(value, radix: 16, uppercase: true) + "}" : String(scalar)
        }
    }
}
