import Foundation

/// The routing fields of one line of a JSON-lines log, read by `JSONLineScanner` into buffers
/// reused from line to line: layer, token position, step (or request) key, expert ids, gate
/// weights, router logits, and whether the line passes the `--where` filters.
struct JSONLRecord {
    /// The fields a record has, and the names that mean each.
    enum Role: Int, CaseIterable {
        case layer, token, step, experts, weights, logits

        /// The user's flag that names this field.
        var flag: String { ["--layer-field", "--token-field", "--step-field", "--experts-field", "--weights-field",
                            "--logits-field"][rawValue] }
    }

    var layer: Int?
    var token: Int?
    /// The step's raw value (a string's content or a number's text); empty without a step field.
    var step: [UInt8] = []
    var hasStep = false
    var ids: [Double] = []
    var idShape: (rows: Int, width: Int)?
    var weights: [Double] = []
    var weightShape: (rows: Int, width: Int)?
    var logits: [Double] = []
    var logitShape: (rows: Int, width: Int)?
    private var filterMatches = 0

    /// Field names as bytes: every role's names (the user's, or the recognised ones) back to back,
    /// and the filters' fields and values.
    struct Matcher {
        private let nameBytes: [UInt8]
        /// Per name, in role order: where its bytes are and its role.
        private let names: [(start: Int, count: Int, role: Role)]
        let filters: [(field: [UInt8], value: [UInt8])]

        /// Names for each role: the user's, or the recognised ones.
        init(options: JSONLRoutingLog.Options) {
            var bytes: [UInt8] = [], names: [(Int, Int, Role)] = []
            for role in Role.allCases {
                for name in options.fieldNames[role.rawValue].map({ [$0] }) ?? JSONLRoutingLog.recognisedNames[role.rawValue] {
                    names.append((bytes.count, name.utf8.count, role))
                    bytes += Array(name.utf8)
                }
            }
            nameBytes = bytes
            self.names = names
            filters = options.filters.map { (Array($0.field.utf8), Array($0.value.utf8)) }
        }

        /// The role whose name `key` is (the first role's, when names repeat).
        /// - Complexity: O(names), one length comparison for most.
        func role(of key: UnsafeBufferPointer<UInt8>) -> Role? {
            nameBytes.withUnsafeBufferPointer { bytes in
                for name in names where name.count == key.count {
                    guard let base = key.baseAddress, let names = bytes.baseAddress else { return name.role }   // an empty key
                    if memcmp(names + name.start, base, key.count) == 0 { return name.role }
                }
                return nil
            }
        }
    }

    /// Reads `line`; returns false when it fails a filter. Fields missing from the line are nil/empty.
    /// - Throws: `JSONLineScanner.Error` for malformed JSON or a field of the wrong type.
    mutating func parse(_ line: UnsafeBufferPointer<UInt8>, matcher: Matcher) throws -> Bool {
        layer = nil
        token = nil
        hasStep = false
        step.removeAll(keepingCapacity: true)
        ids.removeAll(keepingCapacity: true)
        weights.removeAll(keepingCapacity: true)
        logits.removeAll(keepingCapacity: true)
        (idShape, weightShape, logitShape) = (nil, nil, nil)
        filterMatches = 0
        var scanner = try JSONLineScanner(line: line)
        while let key = try scanner.nextKey() {
            if let filter = matcher.filters.firstIndex(where: { $0.field.elementsEqual(key) }) {
                if try scanner.rawValue().elementsEqual(matcher.filters[filter].value) { filterMatches += 1 }
                continue
            }
            switch matcher.role(of: key) {
            case .layer: layer = try scanner.integer()
            case .token: token = try scanner.integer()
            case .step:
                hasStep = true
                step.append(contentsOf: try scanner.rawValue())
            case .experts: idShape = try scanner.numberArray(into: &ids)
            case .weights: weightShape = try scanner.numberArray(into: &weights)
            case .logits: logitShape = try scanner.numberArray(into: &logits)
            case nil: try scanner.skipValue()
            }
        }
        return filterMatches == matcher.filters.count
    }
}
