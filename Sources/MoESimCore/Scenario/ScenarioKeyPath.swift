/// A path to one value inside a scenario document, written as in error messages:
/// `cluster.nodes`, `routing.capacityFactor`, `routing.strategies[1].k`.
///
/// Sweeps use it to override one value of a scenario per grid point; the decoder then
/// validates the result like any file, so a path that names no key of the schema fails
/// with the decoder's "unknown key (allowed here: …)" message.
public struct ScenarioKeyPath: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// One step of a path: an object member or an array element.
    public enum Component: Equatable, Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    /// The steps from the document root.
    public let components: [Component]
    /// The path as written.
    public let description: String

    /// Why a path could not be parsed or applied.
    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    /// Parses `text`: keys separated by dots, each optionally followed by `[index]` subscripts.
    /// - Throws: `Problem` for an empty key, a bad subscript or stray characters.
    /// - Complexity: O(length of `text`).
    public init(_ text: String) throws {
        var components: [Component] = []
        var rest = Substring(text)
        guard !text.isEmpty else { throw Problem(description: "the key path is empty (write e.g. cluster.nodes)") }
        while !rest.isEmpty {
            let keyEnd = rest.firstIndex { $0 == "." || $0 == "[" } ?? rest.endIndex
            let key = rest[..<keyEnd]
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw Problem(description: "\"\(text)\" is not a key path: expected a key name at \"\(rest)\" "
                    + "(write keys separated by dots, array elements as [index], e.g. routing.strategies[1].k)")
            }
            components.append(.key(String(key)))
            rest = rest[keyEnd...]
            while rest.first == "[" {
                guard let close = rest.firstIndex(of: "]"), let index = Int(rest[rest.index(after: rest.startIndex)..<close]),
                      index >= 0 else {
                    throw Problem(description: "\"\(text)\": a subscript must be a non-negative integer in brackets, like [0]")
                }
                components.append(.index(index))
                rest = rest[rest.index(after: close)...]
            }
            if rest.first == "." {
                rest = rest.dropFirst()
                guard !rest.isEmpty else { throw Problem(description: "\"\(text)\" ends with a dot") }
            } else if !rest.isEmpty {
                throw Problem(description: "\"\(text)\": expected \".\" or \"[\" at \"\(rest)\"")
            }
        }
        self.components = components
        self.description = text
    }

    /// `document` with the value at this path replaced by `value`. Missing object members are
    /// added (the decoder validates them); array elements must exist.
    /// - Throws: `Problem` when the path goes through a value that is not an object or array,
    ///   or past the end of an array.
    /// - Complexity: O(size of the objects and arrays along the path).
    public func setting(_ value: JSONValue, in document: JSONValue) throws -> JSONValue {
        try set(value, in: document, from: 0)
    }

    private func set(_ value: JSONValue, in node: JSONValue, from depth: Int) throws -> JSONValue {
        guard depth < components.count else { return value }
        let prefix = ScenarioKeyPath.render(components[..<depth])
        switch (components[depth], node) {
        case let (.key(key), .object(members)):
            var members = members
            if let position = members.firstIndex(where: { $0.key == key }) {
                members[position].value = try set(value, in: members[position].value, from: depth + 1)
            } else {
                members.append((key, try set(value, in: .object([]), from: depth + 1)))
            }
            return .object(members)
        case let (.index(index), .array(elements)):
            guard index < elements.count else {
                throw Problem(description: "\(description): \(prefix) has \(elements.count) element(s), "
                    + "so [\(index)] does not exist (indices start at 0)")
            }
            var elements = elements
            elements[index] = try set(value, in: elements[index], from: depth + 1)
            return .array(elements)
        case (.key, _):
            throw Problem(description: "\(description): \(prefix.isEmpty ? "the document" : prefix) is \(node.typeName), "
                + "not an object, so it has no keys")
        case (.index, _):
            throw Problem(description: "\(description): \(prefix) is \(node.typeName), not an array, so it has no [index]")
        }
    }

    private static func render(_ components: ArraySlice<Component>) -> String {
        var text = ""
        for component in components {
            switch component {
            case .key(let key): text += text.isEmpty ? key : "." + key
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }
}
