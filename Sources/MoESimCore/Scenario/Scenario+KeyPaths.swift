/// The list of every key a scenario document accepts, taken from the decoder itself.
extension Scenario {
    /// Every key path a scenario document may contain, in the order the decoder reads them,
    /// with array indices written `[i]` (`routing.strategies[i].k`).
    ///
    /// The list comes from decoding probe documents with a `KeyPathRecorder`: the decoder
    /// records every key it asks for, present or not, so a key added to an existing section
    /// is listed without further work. The probes take every branch of the decoder (each
    /// fabric kind, each placement object, each strategy, each validation kernel, each degraded link); a new
    /// branch needs a probe in `keyPathProbes`. docs/scenarios.md documents every path, and
    /// a test fails when one is missing there.
    /// - Complexity: computed once, by decoding a handful of small documents.
    public static let acceptedKeyPaths: [String] = {
        let recorder = KeyPathRecorder()
        for probe in keyPathProbes {
            do {
                _ = try decode(try JSONParser.parse(Array(probe.utf8)), baseDirectory: "", recorder: recorder)
            } catch {
                preconditionFailure("Scenario.keyPathProbes: a probe no longer decodes (\(error)):\n\(probe)")
            }
        }
        return recorder.paths
    }()

    /// Valid scenario documents that, together, make the decoder ask for every key it knows.
    static var keyPathProbes: [String] {
        // Every strategy, with the keys it requires.
        let strategies = RoutingStrategySpec.Kind.allCases.map { kind -> String in
            switch kind {
            case .switch, .topk, .sam, .expertChoice, .hash: return #"{"name": "\#(kind.rawValue)"}"#
            case .nodeLimited: return #"{"name": "\#(kind.rawValue)", "maxNodes": 1}"#
            }
        }
        // Every validation kernel, with the keys it requires.
        let validations = ValidationSpec.Kernel.allCases.map { kernel -> String in
            switch kernel {
            case .ncclAllToAll: return #"{"id": "probe", "kernel": "\#(kernel.rawValue)"}"#
            case .deepEPNormal, .deepEPLowLatency:
                return #"{"id": "probe", "kernel": "\#(kernel.rawValue)", "phase": "dispatch"}"#
            case .gemm, .groupedGEMM:
                return #"{"id": "probe", "kernel": "\#(kernel.rawValue)", "m": 1, "n": 1, "k": 1}"#
            }
        }
        let fabrics: [FabricSpec] = [.nonBlocking, .fatTree(nodesPerLeaf: 1, oversubscription: 1),
                                     .railOptimized(nodesPerGroup: 1, oversubscription: 1)]
        return [
            // Every section with its defaults; `hot` is read only when present.
            #"{"version": 1, "trace": {"synthetic": {"hot": {}}}, "routing": {"strategies": [\#(strategies.joined(separator: ", "))]}}"#,
            // The placement objects (64 experts on 8 GPUs: 8 each; a 9th slot leaves room for a replica).
            #"{"version": 1, "parallelism": {"placement": {"kind": "replicated", "slotsPerGPU": 9}}}"#,
            #"{"version": 1, "model": {"experts": 8}, "routing": {"strategies": [{"name": "switch"}]}, "#
                + #""parallelism": {"placement": {"kind": "explicit", "gpuOfExpert": [0, 1, 2, 3, 4, 5, 6, 7]}}}"#,
            // Slow GPUs and every kind of degraded link (fabric uplinks need a fabric with switches).
            #"{"version": 1, "perturbations": {"slowGPUs": {"gpus": [0], "factor": 0.5}, "degradedLinks": ["#
                + #"{"kind": "nvlink", "gpu": 0, "factor": 0.5}, {"kind": "nic", "gpu": 0, "factor": 0.5}, "#
                + #"{"kind": "node-nics", "node": 0, "factor": 0.5}], "failedGPUs": [1], "failedNodes": [], "onFailure": "drop"}}"#,
            #"{"version": 1, "cluster": {"fabric": {"kind": "fat-tree"}}, "perturbations": {"slowGPUs": {"count": 1, "#
                + #""factor": 0.5}, "degradedLinks": [{"kind": "fabric-uplink", "switch": 0, "factor": 0.5}]}}"#,
        ] + fabrics.map { #"{"version": 1, "cluster": {"fabric": {"kind": "\#($0.kindName)"}}}"# }
          + validations.map { #"{"version": 1, "validation": \#($0)}"# }
    }
}
