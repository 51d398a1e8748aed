/// The members of an `.npz` archive (a ZIP file, as `numpy.savez` writes it, Zip64 included):
/// where each stored member's bytes are. Compressed members (`numpy.savez_compressed`) are refused.
struct NPZArchive {
    /// A stored member: its name and the file range of its bytes.
    struct Member {
        let name: String
        let offset: Int
        let size: Int
    }

    /// Members in the order of the central directory.
    let members: [Member]

    /// Reads the central directory of `input`.
    /// - Throws: `TraceError` when the file is not a ZIP archive, is cut short or holds compressed members.
    static func read(_ input: InputFile) throws -> NPZArchive {
        let file = input.path
        let tailLength = min(input.size, 65_557)
        try input.seek(to: input.size - tailLength)
        let tail = try input.readBytes(tailLength)
        guard let eocd = stride(from: tail.count - 22, through: 0, by: -1).first(where: {
            tail.loadLittleEndian(UInt32.self, at: $0) == 0x0605_4B50
        }) else {
            throw TraceError.badMagic(file: file, at: .file, seen: "no ZIP end-of-central-directory record",
                                      expected: "an .npz archive written by numpy.savez")
        }
        var entryCount = Int(tail.loadLittleEndian(UInt16.self, at: eocd + 10))
        var directoryOffset = Int(tail.loadLittleEndian(UInt32.self, at: eocd + 16))
        let base = input.size - tailLength
        if directoryOffset == 0xFFFF_FFFF || entryCount == 0xFFFF, eocd >= 20,
           tail.loadLittleEndian(UInt32.self, at: eocd - 20) == 0x0706_4B50 {
            let recordOffset = Int(tail.loadLittleEndian(UInt64.self, at: eocd - 12))
            try input.seek(to: recordOffset)
            let record = try input.readBytes(56)
            guard record.count == 56, record.loadLittleEndian(UInt32.self, at: 0) == 0x0606_4B50 else {
                throw TraceError.badMagic(file: file, at: .byte(recordOffset), seen: "something else",
                                          expected: "the Zip64 end-of-central-directory record")
            }
            entryCount = Int(record.loadLittleEndian(UInt64.self, at: 32))
            directoryOffset = Int(record.loadLittleEndian(UInt64.self, at: 48))
        }
        guard directoryOffset < base + eocd, entryCount <= 65_536 else {
            throw TraceError.invalidField(file: file, at: .byte(base + eocd + 16), field: "central directory offset",
                                          value: String(directoryOffset), allowed: "before the end record at byte \(base + eocd)")
        }
        try input.seek(to: directoryOffset)
        let directory = try input.readBytes(base + eocd - directoryOffset)
        var members: [Member] = []
        var position = 0
        for _ in 0..<entryCount {
            let at = TraceError.Location.byte(directoryOffset + position)
            guard position + 46 <= directory.count, directory.loadLittleEndian(UInt32.self, at: position) == 0x0201_4B50 else {
                throw TraceError.badMagic(file: file, at: at, seen: "something else", expected: "a ZIP central directory entry")
            }
            let method = Int(directory.loadLittleEndian(UInt16.self, at: position + 10))
            var size = Int(directory.loadLittleEndian(UInt32.self, at: position + 20))
            let nameLength = Int(directory.loadLittleEndian(UInt16.self, at: position + 28))
            let extraLength = Int(directory.loadLittleEndian(UInt16.self, at: position + 30))
            let commentLength = Int(directory.loadLittleEndian(UInt16.self, at: position + 32))
            var localOffset = Int(directory.loadLittleEndian(UInt32.self, at: position + 42))
            let uncompressed = Int(directory.loadLittleEndian(UInt32.self, at: position + 24))
            guard position + 46 + nameLength + extraLength <= directory.count else {
                throw TraceError.truncated(file: file, at: at, what: "ZIP central directory entry",
                                           neededBytes: 46 + nameLength + extraLength, availableBytes: directory.count - position)
            }
            let name = String(decoding: directory[(position + 46)..<(position + 46 + nameLength)], as: UTF8.self)
            // Zip64 extra field: the sizes and offset that did not fit in 32 bits, in this order.
            var extra = position + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = directory.loadLittleEndian(UInt16.self, at: extra)
                let dataLength = Int(directory.loadLittleEndian(UInt16.self, at: extra + 2))
                if id == 1 {
                    var field = extra + 4
                    func next() -> Int? {
                        guard field + 8 <= extra + 4 + dataLength else { return nil }
                        defer { field += 8 }
                        return Int(directory.loadLittleEndian(UInt64.self, at: field))
                    }
                    if uncompressed == 0xFFFF_FFFF { _ = next() }
                    if size == 0xFFFF_FFFF, let value = next() { size = value }
                    if localOffset == 0xFFFF_FFFF, let value = next() { localOffset = value }
                }
                extra += 4 + dataLength
            }
            guard method == 0 else {
                throw TraceError.invalidField(file: file, at: at, field: "compression of member \(name)", value: "method \(method)",
                                              allowed: "0 (stored): write the archive with numpy.savez, not numpy.savez_compressed")
            }
            try input.seek(to: localOffset)
            let local = try input.readBytes(30)
            guard local.count == 30, local.loadLittleEndian(UInt32.self, at: 0) == 0x0403_4B50 else {
                throw TraceError.badMagic(file: file, at: .byte(localOffset), seen: "something else",
                                          expected: "the ZIP local header of member \(name)")
            }
            let dataOffset = localOffset + 30 + Int(local.loadLittleEndian(UInt16.self, at: 26))
                + Int(local.loadLittleEndian(UInt16.self, at: 28))
            guard dataOffset + size <= input.size else {
                throw TraceError.truncated(file: file, at: .byte(dataOffset), what: "member \(name)", neededBytes: size,
                                           availableBytes: max(0, input.size - dataOffset))
            }
            members.append(Member(name: name, offset: dataOffset, size: size))
            position = extraEnd + commentLength
        }
        return NPZArchive(members: members)
    }
}
