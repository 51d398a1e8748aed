/// The members of a ZIP archive as `numpy.savez` and `numpy.savez_compressed` write it (Zip64
/// included): stored (method 0) and DEFLATE-compressed (method 8) members, each with its sizes and
/// CRC-32. Every field a reader can check is checked: the end record against the directory it
/// points to, each directory entry against its member's local header (version, flags, method,
/// time, CRC, sizes, name), and each member's bytes inside the archive, before the directory.
/// Members' data are checked against their CRC-32 as they are read (`ZIPMemberReader`).
struct ZIPArchive {
    /// A member: its name, how it is stored and where its bytes are.
    struct Member: Equatable {
        let name: String
        /// 0 stored, 8 DEFLATE.
        let method: Int
        /// File offset of the first byte of the (compressed) data.
        let dataOffset: Int
        let compressedSize: Int
        let uncompressedSize: Int
        let crc32: UInt32
        /// File offset of the central directory entry (for messages).
        let entryOffset: Int
    }

    /// The archive's path (quoted in errors).
    let path: String
    /// Members in the order of the central directory.
    let members: [Member]

    /// Reads and checks the central directory of `input` and its members' local headers.
    /// - Throws: `TraceError` when the file is not a ZIP archive, is cut short, is inconsistent, or
    ///   holds members encrypted or compressed otherwise than by DEFLATE.
    /// - Complexity: O(directory size + members).
    static func read(_ input: InputFile) throws -> ZIPArchive {
        let file = input.path
        func corrupt(_ at: Int, _ field: String, _ value: String, _ allowed: String) -> TraceError {
            .invalidField(file: file, at: .byte(at), field: field, value: value, allowed: allowed + " (the archive is corrupt)")
        }
        let tailLength = min(input.size, 65_557)
        let base = input.size - tailLength
        try input.seek(to: base)
        let tail = try input.readBytes(tailLength)
        guard tail.count >= 22, let eocd = stride(from: tail.count - 22, through: 0, by: -1).first(where: {
            tail.loadLittleEndian(UInt32.self, at: $0) == 0x0605_4B50
                && $0 + 22 + Int(tail.loadLittleEndian(UInt16.self, at: $0 + 20)) == tail.count
        }) else {
            throw TraceError.badMagic(file: file, at: .file, seen: "no ZIP end-of-central-directory record",
                                      expected: "an .npz archive written by numpy.savez or numpy.savez_compressed")
        }
        let endRecord = base + eocd
        guard tail.loadLittleEndian(UInt16.self, at: eocd + 4) == 0, tail.loadLittleEndian(UInt16.self, at: eocd + 6) == 0,
              tail.loadLittleEndian(UInt16.self, at: eocd + 8) == tail.loadLittleEndian(UInt16.self, at: eocd + 10) else {
            throw corrupt(endRecord + 4, "disk numbers of the end record", "a multi-disk archive", "0 (one file)")
        }
        var entryCount = Int(tail.loadLittleEndian(UInt16.self, at: eocd + 10))
        var directorySize = Int(tail.loadLittleEndian(UInt32.self, at: eocd + 12))
        var directoryOffset = Int(tail.loadLittleEndian(UInt32.self, at: eocd + 16))
        var directoryEnd = endRecord
        if eocd >= 20, tail.loadLittleEndian(UInt32.self, at: eocd - 20) == 0x0706_4B50 {
            let locator = endRecord - 20
            let recordOffset = Int(tail.loadLittleEndian(UInt64.self, at: eocd - 12))
            guard recordOffset >= 0, recordOffset + 56 == locator else {
                throw corrupt(locator + 8, "Zip64 end record offset", String(recordOffset), "\(locator - 56), just before its locator")
            }
            try input.seek(to: recordOffset)
            let record = try input.readBytes(56)
            guard record.count == 56, record.loadLittleEndian(UInt32.self, at: 0) == 0x0606_4B50,
                  record.loadLittleEndian(UInt64.self, at: 4) == 44 else {
                throw TraceError.badMagic(file: file, at: .byte(recordOffset), seen: "something else",
                                          expected: "the Zip64 end-of-central-directory record")
            }
            entryCount = Int(truncatingIfNeeded: record.loadLittleEndian(UInt64.self, at: 32))
            directorySize = Int(truncatingIfNeeded: record.loadLittleEndian(UInt64.self, at: 40))
            directoryOffset = Int(truncatingIfNeeded: record.loadLittleEndian(UInt64.self, at: 48))
            directoryEnd = recordOffset
        }
        guard directoryOffset >= 0, directorySize >= 0, directoryOffset <= directoryEnd,
              directoryOffset + directorySize == directoryEnd else {
            throw corrupt(endRecord + 12, "central directory size and offset", "\(directorySize) bytes at \(directoryOffset)",
                          "a directory that ends at byte \(directoryEnd)")
        }
        guard entryCount <= directorySize / 46 else {
            throw corrupt(endRecord + 10, "number of members", String(entryCount),
                          "at most \(directorySize / 46) in a \(directorySize)-byte directory")
        }
        try input.seek(to: directoryOffset)
        let directory = try input.readBytes(directorySize)
        var members: [Member] = []
        var position = 0
        for _ in 0..<entryCount {
            let entryOffset = directoryOffset + position
            guard position + 46 <= directory.count, directory.loadLittleEndian(UInt32.self, at: position) == 0x0201_4B50 else {
                throw TraceError.badMagic(file: file, at: .byte(entryOffset), seen: "something else",
                                          expected: "a ZIP central directory entry")
            }
            func field<T: FixedWidthInteger>(_ type: T.Type, _ offset: Int) -> Int {
                Int(directory.loadLittleEndian(type, at: position + offset))
            }
            let nameLength = field(UInt16.self, 28), extraLength = field(UInt16.self, 30), commentLength = field(UInt16.self, 32)
            let entryEnd = position + 46 + nameLength + extraLength + commentLength
            guard entryEnd <= directory.count else {
                throw TraceError.truncated(file: file, at: .byte(entryOffset), what: "ZIP central directory entry",
                                           neededBytes: entryEnd - position, availableBytes: directory.count - position)
            }
            let name = String(decoding: directory[(position + 46)..<(position + 46 + nameLength)], as: UTF8.self)
            let flags = field(UInt16.self, 8), method = field(UInt16.self, 10)
            guard flags & 0x0001 == 0, flags & 0x0040 == 0 else {
                throw corrupt(entryOffset + 8, "flags of member \(name)", String(flags), "unencrypted")
            }
            guard method == 0 || method == 8 else {
                throw corrupt(entryOffset + 10, "compression of member \(name)", "method \(method)",
                              "0 (stored, numpy.savez) or 8 (DEFLATE, numpy.savez_compressed)")
            }
            guard field(UInt16.self, 34) == 0, field(UInt16.self, 36) & ~1 == 0 else {
                throw corrupt(entryOffset + 34, "disk number and internal attributes of member \(name)",
                              "\(field(UInt16.self, 34)), \(field(UInt16.self, 36))", "0 and 0 or 1")
            }
            var sizes = (uncompressed: field(UInt32.self, 24), compressed: field(UInt32.self, 20))
            var localOffset = field(UInt32.self, 42)
            let extraStart = position + 46 + nameLength
            try parseExtra(directory, extraStart..<(extraStart + extraLength), file: file, base: directoryOffset,
                           uncompressed: &sizes.uncompressed, compressed: &sizes.compressed, offset: &localOffset)
            guard method == 8 || sizes.compressed == sizes.uncompressed else {
                throw corrupt(entryOffset + 20, "sizes of stored member \(name)", "\(sizes.compressed) and \(sizes.uncompressed)",
                              "equal")
            }
            // The local header repeats version, flags, method, time, date, CRC, sizes and name.
            try input.seek(to: localOffset)
            let local = try input.readBytes(30 + nameLength)
            guard local.count == 30 + nameLength, local.loadLittleEndian(UInt32.self, at: 0) == 0x0403_4B50 else {
                throw TraceError.badMagic(file: file, at: .byte(localOffset), seen: "something else",
                                          expected: "the ZIP local header of member \(name)")
            }
            let localExtraLength = Int(local.loadLittleEndian(UInt16.self, at: 28))
            let descriptor = flags & 0x0008 != 0
            var localSizes = (uncompressed: Int(local.loadLittleEndian(UInt32.self, at: 22)),
                              compressed: Int(local.loadLittleEndian(UInt32.self, at: 18)))
            var unusedOffset = 0
            let localExtra = try input.readBytes(localExtraLength)
            guard localExtra.count == localExtraLength else {
                throw TraceError.truncated(file: file, at: .byte(localOffset + 30 + nameLength), what: "local extra field of \(name)",
                                           neededBytes: localExtraLength, availableBytes: localExtra.count)
            }
            try parseExtra(localExtra, 0..<localExtraLength, file: file, base: localOffset + 30 + nameLength,
                           uncompressed: &localSizes.uncompressed, compressed: &localSizes.compressed, offset: &unusedOffset)
            let sameHeader = (0..<10).allSatisfy { local[4 + $0] == directory[position + 6 + $0] }   // version … date
            let sameCRC = (0..<4).allSatisfy { local[14 + $0] == directory[position + 16 + $0] }
            let sameSizes = localSizes == sizes
            let sameName = local[30...].elementsEqual(directory[(position + 46)..<(position + 46 + nameLength)])
            guard sameHeader, sameName, (sameCRC && sameSizes) || descriptor else {
                throw corrupt(localOffset, "local header of member \(name)", "fields that differ from its central directory entry "
                              + "at byte \(entryOffset)", "the same version, flags, method, time, CRC, sizes and name")
            }
            let dataOffset = localOffset + 30 + nameLength + localExtraLength
            guard dataOffset + sizes.compressed <= directoryOffset else {
                throw TraceError.truncated(file: file, at: .byte(dataOffset), what: "member \(name)", neededBytes: sizes.compressed,
                                           availableBytes: max(0, directoryOffset - dataOffset))
            }
            members.append(Member(name: name, method: method, dataOffset: dataOffset, compressedSize: sizes.compressed,
                                  uncompressedSize: sizes.uncompressed, crc32: UInt32(field(UInt32.self, 16)),
                                  entryOffset: entryOffset))
            position = entryEnd
        }
        guard position == directory.count else {
            throw corrupt(directoryOffset + position, "central directory", "\(directory.count - position) bytes after its "
                          + "\(entryCount) entries", "exactly the entries the end record counts")
        }
        return ZIPArchive(path: file, members: members)
    }

    /// Reads the extra fields in `range` of `bytes`: the Zip64 field (id 1) holds, in this order,
    /// the sizes and offset whose 32-bit fields are 0xFFFFFFFF.
    private static func parseExtra(_ bytes: [UInt8], _ range: Range<Int>, file: String, base: Int,
                                   uncompressed: inout Int, compressed: inout Int, offset: inout Int) throws {
        var at = range.lowerBound
        while at < range.upperBound {
            guard at + 4 <= range.upperBound,
                  at + 4 + Int(bytes.loadLittleEndian(UInt16.self, at: at + 2)) <= range.upperBound else {
                throw TraceError.invalidField(file: file, at: .byte(base + at - range.lowerBound), field: "ZIP extra field",
                                              value: "a field running past its end", allowed: "whole fields (the archive is corrupt)")
            }
            let id = bytes.loadLittleEndian(UInt16.self, at: at)
            let end = at + 4 + Int(bytes.loadLittleEndian(UInt16.self, at: at + 2))
            if id == 1 {
                var next = at + 4
                for value in [0, 1, 2] {
                    let current = value == 0 ? uncompressed : value == 1 ? compressed : offset
                    guard current == 0xFFFF_FFFF else { continue }
                    guard next + 8 <= end else {
                        throw TraceError.invalidField(file: file, at: .byte(base + at - range.lowerBound), field: "Zip64 extra field",
                                                      value: "\(end - at - 4) bytes", allowed: "a 64-bit value for each 0xFFFFFFFF field")
                    }
                    let wide = Int(truncatingIfNeeded: bytes.loadLittleEndian(UInt64.self, at: next))
                    guard wide >= 0, wide <= 1 << 56 else {
                        throw TraceError.invalidField(file: file, at: .byte(base + next - range.lowerBound), field: "Zip64 size",
                                                      value: String(wide), allowed: "a size below 2^56 (the archive is corrupt)")
                    }
                    if value == 0 { uncompressed = wide } else if value == 1 { compressed = wide } else { offset = wide }
                    next += 8
                }
            }
            at = end
        }
    }
}
