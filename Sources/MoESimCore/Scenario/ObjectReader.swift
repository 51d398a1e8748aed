/// Reads one JSON object of a scenario, key by key, with defaults and range
/// checks, and rejects any key that nobody asked for.
///
/// Every error quotes the full key path (`routing.strategies[1].k`), the value
/// seen and the allowed range, so a typo never silently falls back to a default.
struct ObjectReader {
    /// Key path of this object ("" for the top level).
    let path: String
    /// Collects every key path this reader and the readers nested in it ask for, or nil.
    let recorder: KeyPathRecorder?
    private let members: [(key: String, value: JSONValue)]
    private var known: [String] = []

    /// Wraps `value`, which must be an object; `recorder`, if any, is told every key asked for.
    init(_ value: JSONValue, path: String, recorder: KeyPathRecorder? = nil) throws {
        guard case .object(let members) = value else {
            throw ScenarioError.invalid(file: nil, keyPath: path, message: "expected an object (got \(value.typeName))")
        }
        self.path = path
        self.recorder = recorder
        self.members = members
    }

    /// The key path of member `key`.
    func path(of key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func fail(_ key: String, _ message: String) -> ScenarioError {
        ScenarioError.invalid(file: nil, keyPath: path(of: key), message: message)
    }

    /// The raw value of `key`, or nil when absent; marks the key as known (and records its path).
    mutating func raw(_ key: String) -> JSONValue? {
        known.append(key)
        recorder?.record(path(of: key))
        return members.first { $0.key == key }?.value
    }

    /// An integer in `range`, or `defaultValue` when absent.
    mutating func int(_ key: String, default defaultValue: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let value = raw(key) else { return defaultValue }
        guard case .number(let n) = value, n == n.rounded() else {
            throw fail(key, "expected an integer in \(describe(range)) (got \(value.brief))")
        }
        guard abs(n) < 9e15 else {
            throw fail(key, "integers beyond ±9e15 are not read exactly from JSON (got \(value.brief)); "
                + "use a smaller value (a seed can also be given with --seed, up to 2^63 − 1)")
        }
        guard range.contains(Int(n)) else {
            throw fail(key, "must be in \(describe(range)) (got \(value.brief))")
        }
        return Int(n)
    }

    /// A number satisfying `isAllowed` (described by `allowed`), or `defaultValue` when absent.
    mutating func double(_ key: String, default defaultValue: Double, allowed: String,
                         where isAllowed: (Double) -> Bool) throws -> Double {
        guard let value = raw(key) else { return defaultValue }
        guard case .number(let n) = value else {
            throw fail(key, "expected a number \(allowed) (got \(value.brief))")
        }
        guard isAllowed(n) else { throw fail(key, "must be \(allowed) (got \(value.brief))") }
        return n
    }

    /// A hardware rate (TFLOP/s or GB/s) in [0.01, 1e9], or `defaultValue` when absent: slower
    /// hardware would overflow simulated time, which is an Int64 count of nanoseconds.
    mutating func rate(_ key: String, default defaultValue: Double) throws -> Double {
        try double(key, default: defaultValue, allowed: "in [0.01, 1e9]") { $0 >= 0.01 && $0 <= 1e9 }
    }

    /// A fraction in (0, 1], or `defaultValue` when absent.
    mutating func fraction(_ key: String, default defaultValue: Double) throws -> Double {
        try double(key, default: defaultValue, allowed: "in (0, 1]") { $0 > 0 && $0 <= 1 }
    }

    /// A non-empty string, or `defaultValue` when absent.
    mutating func string(_ key: String, default defaultValue: String) throws -> String {
        guard let value = raw(key) else { return defaultValue }
        guard case .string(let s) = value, !s.isEmpty else {
            throw fail(key, "expected a non-empty string (got \(value.brief))")
        }
        return s
    }

    /// One of the raw values of `T`, or `defaultValue` when absent.
    mutating func choice<T: RawRepresentable & CaseIterable>(_ key: String, default defaultValue: T) throws -> T
    where T.RawValue == String {
        guard let value = raw(key) else { return defaultValue }
        let allowed = T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        guard case .string(let s) = value, let choice = T(rawValue: s) else {
            throw fail(key, "must be one of \(allowed) (got \(value.brief))")
        }
        return choice
    }

    /// A boolean, or `defaultValue` when absent.
    mutating func bool(_ key: String, default defaultValue: Bool) throws -> Bool {
        guard let value = raw(key) else { return defaultValue }
        guard case .bool(let b) = value else { throw fail(key, "expected true or false (got \(value.brief))") }
        return b
    }

    /// The nested object `key`, or an empty one when absent (so its defaults apply).
    mutating func object(_ key: String) throws -> ObjectReader {
        try ObjectReader(raw(key) ?? .object([]), path: path(of: key), recorder: recorder)
    }

    /// Reads `value`, an object found under this one at `path` (an array element, or a member
    /// that may also be a string), with the same recorder.
    func nested(_ value: JSONValue, path: String) throws -> ObjectReader {
        try ObjectReader(value, path: path, recorder: recorder)
    }

    /// Throws if the object has a key that was never read: a typo must not pass silently.
    func rejectUnknownKeys() throws {
        for member in members where !known.contains(member.key) {
            var allowed: [String] = []
            for key in known where !allowed.contains(key) { allowed.append(key) }
            // The key is the user's: echo a short excerpt of it when it is long or has characters to escape.
            let shown = InputExcerpt.quoted(member.key) == "\"\(member.key)\"" ? member.key : InputExcerpt.quoted(member.key)
            throw fail(shown, "unknown key (allowed here: \(allowed.joined(separator: ", ")))")
        }
    }

    private func describe(_ range: ClosedRange<Int>) -> String {
        range.upperBound == Int.max ? "[\(range.lowerBound), ∞)" : "[\(range.lowerBound), \(range.upperBound)]"
    }
}
