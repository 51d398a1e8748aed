extension TraceImporter {
    /// Fills the padded tokens `tokens` of `part` (`--pad`). The trace format has no absent token
    /// (every token of a trace is routed: docs/trace-format.md), so padded tokens carry load; to
    /// skew no expert, the i-th padded token of a batch (counting from the range's start) picks
    /// experts i, i+1, …, i+k−1 (mod E) with weights 1/k, or, as scores, has logits that rank
    /// expert i first, i+1 second and so on (−d for the expert d places after i, −64 beyond).
    /// Fewer than G tokens of a step are ever padded.
    /// - Complexity: O(tokens.count × (k or E)).
    static func fillPadding(_ part: inout TraceBatch, tokens: Range<Int>, header: TraceHeader) {
        let experts = header.experts
        for (i, t) in tokens.enumerated() {
            switch header.payload {
            case .scores:
                for e in 0..<experts {
                    let distance = (e - i % experts + experts) % experts
                    part.scores[t * experts + e] = -Float(min(distance, 64))
                }
            case .choices:
                for j in 0..<header.k {
                    part.experts[t * header.k + j] = Int32((i + j) % experts)
                    part.weights[t * header.k + j] = 1 / Float(header.k)
                }
            }
        }
    }

    /// The note for `--pad`: how many tokens were padded and the load they add.
    static func paddingNote(tokens: Int, padding: Int, steps: Int, gpus: Int) -> String {
        "--pad: padded each of \(steps) step(s) from \(tokens) to \(tokens + padding) tokens (\(padding * steps) padded tokens in all) "
            + "so that they divide over \(gpus) GPUs; the trace format cannot mark a token absent, so padded tokens are routed "
            + "(round-robin over the experts) and add "
            + String(format: "%.3g%%", 100 * Double(padding) / Double(tokens + padding)) + " to every layer's load"
    }
}
