/// An array of router scores or expert ids seen as `[steps, layers, tokens, n]` and read one
/// (step, layer) batch of `tokens × n` elements at a time, in step-major order: the common shape
/// of NumPy arrays and safetensors tensors that `TraceImporter` turns into a trace.
struct ArrayBatches {
    /// The file (and member or tensor) for messages.
    let name: String
    let type: ElementType
    let steps: Int, layers: Int, tokens: Int
    /// The last axis: experts for scores, k for ids.
    let last: Int
    /// Reads batch `index` (= step × layers + layer; called in increasing order) into the buffer,
    /// `tokens × last × type.byteCount` bytes.
    let readBatch: (_ index: Int, _ buffer: UnsafeMutableRawPointer) throws -> Void
    /// The byte offset of element `element` of batch `index`, for messages.
    let byteOffset: (_ index: Int, _ element: Int) -> Int
    /// Called after the last batch: checks what can only be checked at the end (a member's CRC-32).
    var finish: () throws -> Void = {}

    /// Batches in the array.
    var batchCount: Int { steps * layers }
    /// Elements per batch.
    var batchElements: Int { tokens * last }
    /// The shape as the user wrote it, for messages.
    var shapeText: String { "[steps \(steps), layers \(layers), tokens \(tokens), \(last)]" }
}
