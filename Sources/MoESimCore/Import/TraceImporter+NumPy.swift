extension TraceImporter {
    /// Imports a `.npy` array or the arrays of an `.npz` archive (members `scores`, or `experts`
    /// and optionally `weights`; stored or DEFLATE-compressed, each member's CRC-32 checked).
    /// Arrays are shaped `[tokens, n]`, `[layers, tokens, n]` or `[steps, layers, tokens, n]`.
    /// - Complexity: O(array size); memory O(one batch) plus 400 KiB per compressed member.
    static func importNumPy(from input: String, to output: String, options: Options,
                            progress: (_ doneBytes: Int, _ totalBytes: Int) -> Void) throws -> Summary {
        let file = try InputFile(path: input)
        guard input.lowercased().hasSuffix(".npz") else {
            return try writeTrace(open: { (try npyFile(input), try options.weightsFile.map(npyFile)) }, to: output, options: options,
                                  progress: progress)
        }
        let archive = try ZIPArchive.read(file)
        let names = archive.members.map(\.name)
        let main = archive.members.first { $0.name == "scores.npy" } ?? archive.members.first { $0.name == "experts.npy" }
        guard let main else {
            throw TraceError.invalidField(file: input, at: .file, field: "the archive's arrays",
                                          value: "[" + names.joined(separator: ", ") + "]",
                                          allowed: "an array named scores, or experts (and weights): numpy.savez(f, scores=a)")
        }
        let weights = main.name == "experts.npy" ? archive.members.first { $0.name == "weights.npy" } : nil
        func open(_ member: ZIPArchive.Member) throws -> ArrayBatches {
            let reader = ZIPMemberReader(file: file, member: member)
            var array = try batches(of: reader, length: reader.size, name: reader.name)
            array.finish = reader.finish
            return array
        }
        return try writeTrace(open: {
            (try open(main), try options.weightsFile.map(npyFile) ?? weights.map(open))
        }, to: output, options: options, progress: progress)
    }

    /// The batches of the `.npy` file at `path`.
    private static func npyFile(_ path: String) throws -> ArrayBatches {
        let file = try InputFile(path: path)
        return try batches(of: file, length: file.size, name: path)
    }

    /// The batches of the `.npy` array at the start of `input` (`length` bytes), read in order.
    private static func batches(of input: SequentialInput, length: Int, name: String) throws -> ArrayBatches {
        let array = try NPYArray.parse(input, length: length, name: name)
        guard (2...4).contains(array.shape.count) else {
            throw TraceError.invalidField(file: name, at: .byte(array.dataOffset), field: "shape", value: "\(array.shape)",
                                          allowed: "[tokens, n], [layers, tokens, n] or [steps, layers, tokens, n]")
        }
        let dims = [Int](repeating: 1, count: 4 - array.shape.count) + array.shape
        let width = array.dtype.byteCount
        let (batchBytes, tokenBytes) = (dims[2] * dims[3] * width, dims[3] * width)
        return ArrayBatches(name: name, type: array.dtype, steps: dims[0], layers: dims[1], tokens: dims[2], last: dims[3],
                            read: { index, first, count, buffer in
                                try input.readExactly(into: buffer, count: count * tokenBytes, file: name,
                                                      at: array.dataOffset + index * batchBytes + first * tokenBytes,
                                                      what: "array data of \(name)")
                            },
                            byteOffset: { index, element in array.dataOffset + index * batchBytes + element * width })
    }
}
