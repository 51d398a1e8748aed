/// Bytes read front to back: a plain file (`InputFile`) or an archive member (`ZIPMemberReader`).
protocol SequentialInput: AnyObject {
    /// Reads up to `count` bytes into `buffer`; returns how many (fewer only at the end).
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int
}

extension InputFile: SequentialInput {}

extension SequentialInput {
    /// Reads exactly `count` bytes into `buffer`, or throws `TraceError.truncated` naming `file`,
    /// the offset `at` where the read started and `what` was being read.
    func readExactly(into buffer: UnsafeMutableRawPointer, count: Int, file: String, at: Int, what: String) throws {
        let got = try read(into: buffer, count: count)
        guard got == count else {
            throw TraceError.truncated(file: file, at: .byte(at), what: what, neededBytes: count, availableBytes: got)
        }
    }

    /// Reads up to `count` bytes as an array (for small headers).
    func readArray(_ count: Int) throws -> [UInt8] {
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        let got = try bytes.withUnsafeMutableBytes { try read(into: $0.baseAddress!, count: count) }
        return Array(bytes.prefix(got))
    }
}
