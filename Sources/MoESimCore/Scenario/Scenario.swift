import Foundation

/// A complete, validated description of one simulation: hardware, model,
/// parallelism, the routing strategies to compare, the tokens and the run.
///
/// Build one with `Scenario.load(file:)` or `Scenario.decode(_:)`; every value
/// inside has passed validation, so the simulator never re-checks it.
public struct Scenario: Equatable, Sendable {
    /// The only scenario format version this build reads.
    public static let currentVersion = 1

    /// Name used in reports and as the output file stem.
    public var name: String
    /// The hardware.
    public var cluster: ClusterSpec
    /// The MoE layers.
    public var model: MoEModelSpec
    /// Tokens each GPU contributes to every MoE layer of a step.
    public var tokensPerGPU: Int
    /// Where experts live.
    public var placement: PlacementSpec
    /// Which links bytes between GPUs of one node take.
    public var transport: Transport
    /// What the sender's copies for itself cost.
    public var selfCopies = SelfCopies.local
    /// The strategies to compare, in the order given; each becomes one result row.
    public var strategies: [RoutingStrategySpec]
    /// Capacity factor cf (per-expert capacity ⌈cf · T · k / E⌉); nil means no limit.
    public var capacityFactor: Double?
    /// The synthetic token generator (unused when `traceFile` is set).
    public var synthetic: SyntheticScoresSpec
    /// The run.
    public var simulation: SimulationSpec
    /// Micro-batches each GPU's tokens are split into (flow model: one's transfers overlap another's compute).
    public var microbatches = 1
    /// The trace file replayed instead of synthetic tokens, or nil.
    public var traceFile: TraceFileSpec?
    /// The published benchmark this scenario reproduces (`moesim validate`), or nil.
    public var validation: ValidationSpec?
    /// Slow GPUs and degraded links (what-if studies); `.none` for a healthy cluster.
    public var perturbations = Perturbations.none

    /// The same scenario on a healthy cluster: same tokens, no perturbations (`slowdown_vs_healthy`).
    public var healthy: Scenario {
        var copy = self
        copy.perturbations = .none
        return copy
    }

    /// The placement before any replication.
    public var basePlacement: ExpertPlacement {
        placement.basePlacement(experts: model.experts, gpuCount: cluster.gpuCount)
    }

    /// Where each token of a (step, layer) batch comes from, and its micro-batch.
    public var tokenLayout: TokenLayout {
        TokenLayout(gpuCount: cluster.gpuCount, tokensPerGPU: tokensPerGPU, microbatches: microbatches)
    }

    /// Reads, parses and validates a scenario file.
    /// - Throws: `ScenarioError` naming the file and the key path of the first problem.
    /// - Complexity: O(file size).
    public static func load(file: String) throws -> Scenario {
        try decode(loadDocument(file: file), file: file)
    }

    /// Validates the document read from `file`: relative trace paths start from the file's
    /// directory, and errors name the file.
    /// - Throws: `ScenarioError` naming the file and the key path of the first problem.
    /// - Complexity: O(size of the document).
    public static func decode(_ json: JSONValue, file: String) throws -> Scenario {
        do {
            return try decode(json, baseDirectory: (file as NSString).deletingLastPathComponent)
        } catch let error as ScenarioError {
            throw error.inFile(file)
        }
    }

    /// Reads and parses a scenario file without validating it (sweeps edit it first).
    /// - Throws: `ScenarioError` for a missing or unreadable file or invalid JSON.
    /// - Complexity: O(file size).
    public static func loadDocument(file: String) throws -> JSONValue {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
            throw ScenarioError.fileNotFound(file: file)
        }
        guard !isDirectory.boolValue else {
            throw ScenarioError.unreadable(file: file, reason: "it is a directory; name a scenario .json file "
                + "(for every scenario in it: \((file as NSString).appendingPathComponent("*.json")))")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ScenarioError.unreadable(file: file, reason: access(file, R_OK) != 0
                ? String(cString: strerror(errno)) : "an I/O error occurred while reading it")
        }
        do {
            return try JSONParser.parse(Array(data))
        } catch let error as JSONParser.SyntaxError {
            throw ScenarioError.syntax(file: file, detail: error.description)
        }
    }
}
