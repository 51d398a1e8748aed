/// An array of router scores or expert ids seen as `[steps, layers, tokens, n]` and read one
/// (step, layer) batch of `tokens × n` elements after another, in step-major order, in parts of
/// any number of tokens: the common shape
/// of NumPy arrays and safetensors tensors that `TraceImporter` turns into a trace.
struct ArrayBatches {
    /// The file (and member or tensor) for messages.
    let name: String
    let type: ElementType
    let steps: Int, layers: Int, tokens: Int
    /// The last axis: experts for scores, k for ids.
    let last: Int
    /// Reads tokens `first..<first + count` of batch `index` (= step × layers + layer) into the
    /// buffer, `count × last × type.byteCount` bytes. Called in file order: batch after batch,
    /// each from token 0 to its end, so that sequential inputs (archive members) can serve it.
    let read: (_ index: Int, _ first: Int, _ count: Int, _ buffer: UnsafeMutableRawPointer) throws -> Void
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
