extension TraceImporter {
    /// Tensor names recognised without `--tensor`: router scores, expert ids, gate weights.
    static let scoreTensorNames = ["scores", "router_logits", "logits"]
    static let idTensorNames = ["experts", "topk_ids", "expert_ids", "selected_experts"]
    static let weightTensorNames = ["weights", "topk_weights", "gating_probs", "routing_weights"]

    /// The tensors of one array: one tensor, or one per layer (`model.layers.N.mlp.gate`, by N).
    struct TensorGroup {
        /// The name, or the pattern with `*` for the layer number.
        let label: String
        let tensors: [SafetensorsFile.Tensor]
        /// The layer numbers of a per-layer group; empty for one tensor.
        let layerNumbers: [Int]
    }

    /// Imports a `.safetensors` file: router scores (F32/F16/BF16/F64) or expert ids (I32/I64)
    /// with optional float weights, as one tensor shaped like a NumPy array or one tensor per
    /// layer shaped `[tokens, n]` or `[steps, tokens, n]`. `options.tensor` names the tensor or
    /// gives a pattern whose `*` is the layer number; without it the names are recognised (see
    /// docs/traces.md). Tensors are read by seeking, one batch at a time.
    /// - Complexity: O(file size); memory O(one batch).
    static func importSafetensors(from input: String, to output: String, options: Options,
                                  progress: (_ doneBytes: Int, _ totalBytes: Int) -> Void) throws -> Summary {
        let file = try InputFile(path: input)
        let directory = try SafetensorsFile.read(file)
        let main = try selectMain(directory, pattern: options.tensor)
        var weights: TensorGroup?
        if let pattern = options.weightsTensor {
            weights = try group(directory, pattern: pattern)
        } else if main.tensors.first.map({ !$0.type.isFloat }) == true {
            weights = main.layerNumbers.isEmpty ? weightTensorNames.lazy.compactMap { name in
                directory.tensors.first { $0.name == name }.map { TensorGroup(label: $0.name, tensors: [$0], layerNumbers: []) }
            }.first : layeredGroups(directory).first { $0.tensors.first?.type.isFloat == true && $0.layerNumbers == main.layerNumbers }
        }
        let summary = try writeTrace(open: { (try batches(main, file: file), try weights.map { try batches($0, file: file) }) },
                                     to: output, options: options, progress: progress)
        var notes = summary.notes
        notes.insert("read " + describe(main) + (weights.map { " with weights " + describe($0) } ?? ""), at: 0)
        return Summary(header: summary.header, notes: notes)
    }

    private static func describe(_ group: TensorGroup) -> String {
        guard let first = group.layerNumbers.first, let last = group.layerNumbers.last else {
            return "tensor \(group.label) \(group.tensors[0].type.rawValue) \(group.tensors[0].shape)"
        }
        return "\(group.tensors.count) tensors \(group.label) (layers \(first)…\(last) → trace layers 0…\(group.tensors.count - 1)) "
            + "\(group.tensors[0].type.rawValue) \(group.tensors[0].shape)"
    }

    /// The tensor (or per-layer tensors) named by `pattern`, or recognised by name.
    private static func selectMain(_ directory: SafetensorsFile, pattern: String?) throws -> TensorGroup {
        if let pattern { return try group(directory, pattern: pattern) }
        for name in scoreTensorNames + idTensorNames {
            if let tensor = directory.tensors.first(where: { $0.name == name }) {
                return TensorGroup(label: name, tensors: [tensor], layerNumbers: [])
            }
        }
        let groups = layeredGroups(directory)
        let routers = groups.filter { $0.label.hasSuffix("gate") || $0.label.contains("router") }
        if groups.count == 1 { return groups[0] }
        if routers.count == 1 { return routers[0] }
        let seen = groups.isEmpty ? directory.tensors.prefix(8).map(\.name) : groups.map(\.label)
        throw TraceError.invalidField(file: directory.path, at: .file, field: "router tensors",
                                      value: seen.isEmpty ? "no tensors" : seen.joined(separator: ", "),
                                      allowed: "a tensor named " + (scoreTensorNames + idTensorNames).joined(separator: ", ")
                                          + ", or one per layer (model.layers.N.mlp.gate); name yours with --tensor NAME "
                                          + "or --tensor 'model.layers.*.mlp.gate'")
    }

    /// The tensor `pattern` names, or the per-layer tensors it matches (`*` = the layer number).
    private static func group(_ directory: SafetensorsFile, pattern: String) throws -> TensorGroup {
        guard let star = pattern.firstIndex(of: "*") else {
            guard let tensor = directory.tensors.first(where: { $0.name == pattern }) else {
                throw TraceError.invalidField(file: directory.path, at: .file, field: "--tensor", value: pattern,
                                              allowed: "a tensor of the file (" + directory.tensors.prefix(8).map(\.name)
                                                  .joined(separator: ", ") + (directory.tensors.count > 8 ? ", …)" : ")"))
            }
            return TensorGroup(label: pattern, tensors: [tensor], layerNumbers: [])
        }
        let prefix = pattern[..<star], suffix = pattern[pattern.index(after: star)...]
        let matches = directory.tensors.compactMap { tensor -> (Int, SafetensorsFile.Tensor)? in
            let name = tensor.name
            guard name.count > prefix.count + suffix.count, name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
            let middle = name.dropFirst(prefix.count).dropLast(suffix.count)
            guard middle.count <= 9, middle.allSatisfy(\.isASCII), let number = Int(middle), number >= 0 else { return nil }
            return (number, tensor)
        }.sorted { $0.0 < $1.0 }
        guard !matches.isEmpty else {
            throw TraceError.invalidField(file: directory.path, at: .file, field: "--tensor", value: pattern,
                                          allowed: "a pattern matching tensors of the file, * standing for the layer number")
        }
        return TensorGroup(label: pattern, tensors: matches.map(\.1), layerNumbers: matches.map(\.0))
    }

    /// Per-layer groups: names with `layers.N.` (or ending in `layers.N`), by name with N as `*`.
    private static func layeredGroups(_ directory: SafetensorsFile) -> [TensorGroup] {
        var patterns: [String] = []
        for tensor in directory.tensors {
            guard let range = tensor.name.range(of: "layers.") else { continue }
            let digits = tensor.name[range.upperBound...].prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty else { continue }
            let pattern = String(tensor.name[..<range.upperBound]) + "*" + tensor.name[digits.endIndex...]
            if !patterns.contains(pattern) { patterns.append(pattern) }
        }
        return patterns.compactMap { try? group(directory, pattern: $0) }
    }

    /// The batches of `group`: one tensor shaped like a NumPy array, or per-layer tensors of one
    /// shape `[tokens, n]` or `[steps, tokens, n]` and one dtype.
    private static func batches(_ group: TensorGroup, file: InputFile) throws -> ArrayBatches {
        let first = group.tensors[0]
        let name = "\(file.path)[\(group.label)]"
        let perLayer = !group.layerNumbers.isEmpty
        guard perLayer ? (2...3).contains(first.shape.count) : (2...4).contains(first.shape.count) else {
            throw TraceError.invalidField(file: name, at: .byte(first.offset), field: "shape", value: "\(first.shape)",
                                          allowed: perLayer ? "[tokens, n] or [steps, tokens, n] per layer"
                                                            : "[tokens, n], [layers, tokens, n] or [steps, layers, tokens, n]")
        }
        for tensor in group.tensors where tensor.shape != first.shape || tensor.type != first.type {
            throw TraceError.invalidField(file: "\(file.path)[\(tensor.name)]", at: .byte(tensor.offset), field: "shape and dtype",
                                          value: "\(tensor.type.rawValue) \(tensor.shape)",
                                          allowed: "\(first.type.rawValue) \(first.shape), as \(first.name)")
        }
        var dims = [Int](repeating: 1, count: 4 - first.shape.count - (perLayer ? 1 : 0)) + first.shape
        if perLayer { dims.insert(group.tensors.count, at: 1) }
        let (layers, width) = (dims[1], first.type.byteCount)
        let (batchBytes, tokenBytes) = (dims[2] * dims[3] * width, dims[3] * width)
        // Batch index = step × layers + layer: in one tensor, batches follow each other; per layer,
        // batch `step` of tensor `layer`.
        let offset: (Int) -> Int = { index in
            perLayer ? group.tensors[index % layers].offset + index / layers * batchBytes : first.offset + index * batchBytes
        }
        return ArrayBatches(name: name, type: first.type, steps: dims[0], layers: layers, tokens: dims[2], last: dims[3],
                            read: { index, first, count, buffer in
                                try file.seek(to: offset(index) + first * tokenBytes)
                                try file.readExactly(into: buffer, count: count * tokenBytes, what: "tensor data of \(name)")
                            },
                            byteOffset: { index, element in offset(index) + element * width })
    }
}
