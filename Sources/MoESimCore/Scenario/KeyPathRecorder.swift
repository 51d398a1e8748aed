/// Collects the key paths a scenario decode asks for, whether the document has them or not,
/// so that the keys the decoder accepts can be listed from the decoder itself
/// (`Scenario.acceptedKeyPaths`).
///
/// Array indices are written `[i]`: `routing.strategies[2].k` is recorded as
/// `routing.strategies[i].k`. Paths keep the order in which they were first asked for.
final class KeyPathRecorder {
    /// The paths recorded so far, each once, in first-asked order.
    private(set) var paths: [String] = []
    private var seen: Set<String> = []

    /// Records `path` with its array indices replaced by `i`.
    /// - Complexity: O(length of `path`).
    func record(_ path: String) {
        var generic = ""
        var inIndex = false
        for character in path {
            if character == "[" { inIndex = true; generic += "[i" }
            if character == "]" { inIndex = false }
            if !inIndex { generic.append(character) }
        }
        if seen.insert(generic).inserted { paths.append(generic) }
    }
}
