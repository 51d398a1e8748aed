/// Reads one member of a `ZIPArchive` front to back, stored or DEFLATE-compressed (`Inflate`),
/// checking its CRC-32 and sizes: `finish()` reads whatever the caller left and throws unless the
/// member decoded to exactly its recorded size and CRC-32, and its compressed data were used exactly.
/// Memory: one `Inflate` (about 400 KiB) for a compressed member, nothing for a stored one.
final class ZIPMemberReader: SequentialInput {
    private let file: InputFile
    private let member: ZIPArchive.Member
    /// Name for messages: `archive.npz[member.npy]`.
    let name: String
    /// File offset of the next compressed byte to read.
    private var nextCompressed: Int
    private var inflate: Inflate?
    private var crc = CRC32()
    /// Uncompressed bytes handed out so far.
    private(set) var position = 0

    /// A reader of `member` of the archive open as `file`.
    init(file: InputFile, member: ZIPArchive.Member) {
        self.file = file
        self.member = member
        name = "\(file.path)[\(member.name)]"
        nextCompressed = member.dataOffset
        if member.method == 8 {
            let end = member.dataOffset + member.compressedSize
            inflate = Inflate { [unowned self] buffer, count in
                let n = min(count, end - self.nextCompressed)
                guard n > 0 else { return 0 }
                try self.file.seek(to: self.nextCompressed)
                let got = try self.file.read(into: buffer, count: n)
                self.nextCompressed += got
                return got
            }
        }
    }

    /// The member's uncompressed size, as its directory entry records it.
    var size: Int { member.uncompressedSize }

    /// Reads up to `count` uncompressed bytes; fewer only at the member's end.
    /// - Throws: `TraceError` for corrupt compressed data or more data than the recorded size.
    /// - Complexity: O(count).
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        let wanted = min(count, member.uncompressedSize - position)
        guard wanted > 0 else { return 0 }
        let got: Int
        if let inflate {
            do { got = try inflate.read(into: buffer, count: wanted) } catch let error as Inflate.Error {
                throw TraceError.invalidField(file: file.path, at: .byte(member.dataOffset + error.offset),
                                              field: "compressed data of member \(member.name)", value: error.reason,
                                              allowed: "a valid DEFLATE stream (the archive is corrupt; write it again)")
            }
        } else {
            try file.seek(to: nextCompressed)
            got = try file.read(into: buffer, count: wanted)
            nextCompressed += got
        }
        crc.update(UnsafeRawBufferPointer(start: buffer, count: got))
        position += got
        return got
    }

    /// Reads the rest of the member and checks its size and CRC-32.
    /// - Throws: `TraceError.checksumMismatch` or `.invalidField` (sizes) for a corrupt member.
    /// - Complexity: O(bytes left).
    func finish() throws {
        var scratch = [UInt8](repeating: 0, count: 1 << 16)
        while try scratch.withUnsafeMutableBytes({ try read(into: $0.baseAddress!, count: $0.count) }) > 0 {}
        let at = TraceError.Location.byte(member.entryOffset)
        if let inflate {
            // The stream must end exactly where the member ends, after exactly its recorded size.
            var extra: UInt8 = 0
            let beyond: Int
            do { beyond = try inflate.read(into: &extra, count: 1) } catch let error as Inflate.Error {
                throw TraceError.invalidField(file: file.path, at: .byte(member.dataOffset + error.offset),
                                              field: "compressed data of member \(member.name)", value: error.reason,
                                              allowed: "a valid DEFLATE stream (the archive is corrupt; write it again)")
            }
            guard beyond == 0, inflate.isFinished, inflate.totalOutput == member.uncompressedSize,
                  inflate.compressedBytesUsed == member.compressedSize else {
                throw TraceError.invalidField(file: file.path, at: at, field: "member \(member.name)",
                                              value: "\(inflate.compressedBytesUsed) compressed bytes decoding to "
                                                  + (beyond == 0 ? "\(inflate.totalOutput)" : "more than \(member.uncompressedSize)")
                                                  + " bytes",
                                              allowed: "\(member.compressedSize) bytes decoding to \(member.uncompressedSize), "
                                                  + "as its directory entry says (the archive is corrupt)")
            }
        } else if position != member.uncompressedSize {
            throw TraceError.truncated(file: file.path, at: .byte(member.dataOffset), what: "member \(member.name)",
                                       neededBytes: member.uncompressedSize, availableBytes: position)
        }
        guard crc.value == member.crc32 else {
            throw TraceError.checksumMismatch(file: file.path, at: at, what: "member \(member.name)", stored: member.crc32,
                                              computed: crc.value)
        }
    }
}
