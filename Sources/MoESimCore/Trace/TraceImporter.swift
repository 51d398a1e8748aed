/// Turns NumPy arrays into a binary trace: a float array of router scores whose last axis is the
/// experts, or an integer array of recorded expert ids whose last axis is k (with an optional
/// float array of gate weights of the same shape). Shapes `[tokens, ·]`, `[layers, tokens, ·]`
/// and `[steps, layers, tokens, ·]` are read; tokens are spread over `gpus` source GPUs in order.
/// Arrays come from `.npy` files or from `.npz` archives (members `scores`, or `experts` and `weights`).
public enum TraceImporter {
    /// What to import and how.
    public struct Options: Sendable {
        /// Source GPUs the tokens are spread over, in order (must divide the token count).
        public var gpus = 1
        /// Expert count of a choices array (default: largest id + 1); for scores it must equal the last axis.
        public var experts: Int?
        /// A `.npy` file of gate weights for a choices array (default: each of the k weights is 1/k).
        public var weightsFile: String?

        /// Default options: one GPU, derived expert count, no weights file.
        public init() {}
    }

    /// Reads `input` (`.npy` or `.npz`) and writes the trace to `output` (atomically), streaming
    /// one batch at a time; returns the header written. `progress` is told (batches done, batches in all).
    /// - Throws: `TraceError` for a malformed or unsupported array (nothing is written then),
    ///   `AtomicFile.WriteError` when the output cannot be written.
    /// - Complexity: O(array size) (two passes over an integer array without `experts`).
    @discardableResult
    public static func importArrays(from input: String, to output: String, options: Options,
                                    progress: ((Int, Int) -> Void)? = nil) throws -> TraceHeader {
        let file = try InputFile(path: input)
        let (main, embeddedWeights) = try locateArrays(file)
        var weights = embeddedWeights.map { (file, $0) }
        if let weightsPath = options.weightsFile {
            let weightsFile = try InputFile(path: weightsPath)
            weights = (weightsFile, try NPYArray.parse(weightsFile, at: 0, length: weightsFile.size, name: weightsPath))
        }
        let header = try header(for: main, file: file, weights: weights?.1, options: options)
        try header.checkLimits(file: main.name)
        let writer = try TraceWriter(path: output, header: header)
        var batch = TraceBatch()
        batch.shape(for: header)
        let perBatch = header.tokensPerStep * (header.payload == .scores ? header.experts : header.k)
        var raw = [UInt8](repeating: 0, count: perBatch * main.dtype.byteCount)
        var weightBytes = [UInt8](repeating: 0, count: weights.map { perBatch * $0.1.dtype.byteCount } ?? 0)
        for index in 0..<header.batchCount {
            let elementOffset = index * perBatch
            try read(main, from: file, elements: elementOffset..<elementOffset + perBatch, into: &raw)
            switch header.payload {
            case .scores:
                try decodeFloats(raw, array: main, firstElement: elementOffset, into: &batch.scores, what: "score")
            case .choices:
                try decodeIDs(raw, array: main, firstElement: elementOffset, experts: header.experts, k: header.k,
                              into: &batch.experts)
                if let (weightsFile, weightsArray) = weights {
                    try read(weightsArray, from: weightsFile, elements: elementOffset..<elementOffset + perBatch, into: &weightBytes)
                    try decodeFloats(weightBytes, array: weightsArray, firstElement: elementOffset, into: &batch.weights,
                                     what: "weight")
                } else {
                    for slot in batch.weights.indices { batch.weights[slot] = 1 / Float(header.k) }
                }
            }
            try writer.append(batch)
            progress?(index + 1, header.batchCount)
        }
        try writer.finish()
        return header
    }

    /// The main array (scores or expert ids) and, in an archive, the weights array.
    private static func locateArrays(_ file: InputFile) throws -> (NPYArray, NPYArray?) {
        guard file.path.lowercased().hasSuffix(".npz") else {
            return (try NPYArray.parse(file, at: 0, length: file.size, name: file.path), nil)
        }
        let archive = try NPZArchive.read(file)
        func member(_ name: String) throws -> NPYArray? {
            guard let entry = archive.members.first(where: { $0.name == name + ".npy" }) else { return nil }
            return try NPYArray.parse(file, at: entry.offset, length: entry.size, name: "\(file.path)[\(entry.name)]")
        }
        if let scores = try member("scores") { return (scores, nil) }
        if let experts = try member("experts") { return (experts, try member("weights")) }
        throw TraceError.invalidField(file: file.path, at: .file, field: "the archive's arrays",
                                      value: "[" + archive.members.map(\.name).joined(separator: ", ") + "]",
                                      allowed: "an array named scores, or experts (and weights): numpy.savez(f, scores=a)")
    }

    /// The trace header for `array`, after checking its rank, dtype and the options against it.
    private static func header(for array: NPYArray, file: InputFile, weights: NPYArray?, options: Options) throws -> TraceHeader {
        let at = TraceError.Location.byte(array.dataOffset)
        guard (2...4).contains(array.shape.count), array.shape.allSatisfy({ $0 >= 1 }) else {
            throw TraceError.invalidField(file: array.name, at: at, field: "shape", value: "\(array.shape)",
                                          allowed: "[tokens, n], [layers, tokens, n] or [steps, layers, tokens, n] with no empty axis")
        }
        let dims = [Int](repeating: 1, count: 4 - array.shape.count) + array.shape
        let (steps, layers, tokens, last) = (dims[0], dims[1], dims[2], dims[3])
        guard tokens % options.gpus == 0 else {
            throw TraceError.invalidField(file: array.name, at: at, field: "tokens axis", value: String(tokens),
                                          allowed: "a multiple of the \(options.gpus) source GPUs (--gpus)")
        }
        if array.dtype.isFloat {
            if let experts = options.experts, experts != last {
                throw TraceError.invalidField(file: array.name, at: at, field: "experts axis (last)", value: String(last),
                                              allowed: "\(experts), as --experts says")
            }
            return TraceHeader(payload: .scores, scoreType: array.dtype == .f16 ? .f16 : .f32, experts: last, layers: layers,
                               tokensPerStep: tokens, steps: steps, gpus: options.gpus)
        }
        if let weights {
            guard weights.shape == array.shape, weights.dtype.isFloat else {
                throw TraceError.invalidField(file: weights.name, at: .byte(weights.dataOffset), field: "weights array",
                                              value: "\(weights.dtype.rawValue) of shape \(weights.shape)",
                                              allowed: "a float array of the expert ids' shape \(array.shape)")
            }
        }
        let experts = try options.experts ?? (largestID(array, file: file) + 1)
        guard last <= min(experts, TraceHeader.maxK) else {
            throw TraceError.invalidField(file: array.name, at: at, field: "k axis (last)", value: String(last),
                                          allowed: "at most the \(experts) experts (and \(TraceHeader.maxK))")
        }
        return TraceHeader(payload: .choices, experts: experts, layers: layers, tokensPerStep: tokens, steps: steps,
                           gpus: options.gpus, k: last)
    }

    /// The largest expert id in an integer array (a first pass, when --experts is not given).
    private static func largestID(_ array: NPYArray, file: InputFile) throws -> Int {
        var largest = 0
        let block = 1 << 16
        var raw = [UInt8](repeating: 0, count: block * array.dtype.byteCount)
        var first = 0
        while first < array.count {
            let count = min(block, array.count - first)
            try read(array, from: file, elements: first..<first + count, into: &raw)
            for i in 0..<count {
                let id = integer(raw, at: i, dtype: array.dtype)
                guard id >= 0, id < TraceHeader.maxExperts else {
                    throw TraceError.expertOutOfRange(file: array.name, at: .byte(array.dataOffset + (first + i) * array.dtype.byteCount),
                                                      token: "element \(first + i)", expert: id, experts: TraceHeader.maxExperts)
                }
                largest = max(largest, id)
            }
            first += count
        }
        return largest
    }

    private static func read(_ array: NPYArray, from file: InputFile, elements: Range<Int>, into raw: inout [UInt8]) throws {
        let width = array.dtype.byteCount
        try file.seek(to: array.dataOffset + elements.lowerBound * width)
        try raw.withUnsafeMutableBytes {
            try file.readExactly(into: $0.baseAddress!, count: elements.count * width, what: "array data of \(array.name)")
        }
    }

    private static func integer(_ raw: [UInt8], at index: Int, dtype: NPYArray.DType) -> Int {
        dtype == .i32 ? Int(raw.loadLittleEndian(Int32.self, at: index * 4)) : Int(raw.loadLittleEndian(Int64.self, at: index * 8))
    }

    private static func decodeFloats(_ raw: [UInt8], array: NPYArray, firstElement: Int, into values: inout [Float],
                                     what: String) throws {
        let width = array.dtype.byteCount
        for i in values.indices {
            let value: Float
            switch array.dtype {
            case .f16: value = Float(Float16(bitPattern: raw.loadLittleEndian(UInt16.self, at: i * 2)))
            case .f32: value = Float(bitPattern: raw.loadLittleEndian(UInt32.self, at: i * 4))
            default: value = Float(Double(bitPattern: raw.loadLittleEndian(UInt64.self, at: i * 8)))
            }
            guard value.isFinite else {
                let original = array.dtype == .f64 ? "\(Double(bitPattern: raw.loadLittleEndian(UInt64.self, at: i * 8)))" : "\(value)"
                throw TraceError.nonFinite(file: array.name, at: .byte(array.dataOffset + (firstElement + i) * width),
                                           what: "\(what) at flat index \(firstElement + i)",
                                           value: original + (array.dtype == .f64 && original != "\(value)" ? " (beyond f32's range)" : ""))
            }
            values[i] = value
        }
    }

    private static func decodeIDs(_ raw: [UInt8], array: NPYArray, firstElement: Int, experts: Int, k: Int,
                                  into ids: inout [Int32]) throws {
        for i in ids.indices {
            let id = integer(raw, at: i, dtype: array.dtype)
            let at = TraceError.Location.byte(array.dataOffset + (firstElement + i) * array.dtype.byteCount)
            guard id >= 0 && id < experts else {
                throw TraceError.expertOutOfRange(file: array.name, at: at, token: "element \(firstElement + i)", expert: id,
                                                  experts: experts)
            }
            guard !ids[(i - i % k)..<i].contains(Int32(id)) else {
                throw TraceError.invalidField(file: array.name, at: at, field: "expert id at flat index \(firstElement + i)",
                                              value: String(id), allowed: "different from the token's other experts")
            }
            ids[i] = Int32(id)
        }
    }
}
