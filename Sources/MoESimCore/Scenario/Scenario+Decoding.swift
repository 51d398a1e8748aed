import Foundation

/// Decoding and validation of the scenario JSON, section by section.
/// Defaults here are the ones docs/scenarios.md documents; `acceptedKeyPaths` lists every key read here.
extension Scenario {
    /// Most experts a token may activate.
    public static let maxK = 128
    /// Most GPUs a scenario may have.
    public static let maxGPUs = TraceHeader.maxGPUs
    /// Most GPUs per node on a `mesh` node (every pair of them has its own link).
    public static let maxMeshGPUs = 64
    /// Largest batch of router scores (GPUs × tokensPerGPU × experts × 4 bytes) a scenario may need.
    public static let maxScoreBytes = Double(TraceHeader.maxBatchArrayBytes)

    /// Builds a scenario from parsed JSON, applying defaults and validating every value.
    /// A relative `trace.file` is resolved against `baseDirectory` (the scenario file's directory),
    /// and the trace's header is read and checked against the scenario.
    /// - Throws: `ScenarioError.invalid` with the key path of the first problem, `.trace` for a bad trace file.
    /// - Complexity: O(size of the document) (plus the whole file for a CSV trace).
    public static func decode(_ json: JSONValue, baseDirectory: String = "") throws -> Scenario {
        try decode(json, baseDirectory: baseDirectory, recorder: nil)
    }

    /// `decode(_:baseDirectory:)`, telling `recorder` every key path it asks for (`acceptedKeyPaths`).
    static func decode(_ json: JSONValue, baseDirectory: String, recorder: KeyPathRecorder?) throws -> Scenario {
        var root = try ObjectReader(json, path: "", recorder: recorder)
        guard let versionValue = root.raw("version") else {
            throw root.fail("version", "missing (add \"version\": \(currentVersion))")
        }
        guard versionValue == .number(Double(currentVersion)) else {
            throw root.fail("version", "unsupported version \(versionValue.brief) (this build reads \(currentVersion))")
        }
        let name = try root.string("name", default: "scenario")
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw root.fail("name", "may contain letters, digits, '-', '_' and '.' only (got \"\(name)\"): it names output files")
        }

        var clusterReader = try root.object("cluster")
        let cluster = try decodeCluster(&clusterReader)
        try clusterReader.rejectUnknownKeys()
        guard cluster.gpuCount <= maxGPUs else {
            throw clusterReader.fail("nodes", "\(cluster.nodes) nodes × \(cluster.gpusPerNode) GPUs = \(cluster.gpuCount) GPUs; "
                + "at most \(maxGPUs) are supported (the analytical model keeps a GPU × GPU traffic matrix)")
        }

        var modelReader = try root.object("model")
        let (model, modelPreset) = try decodeModel(&modelReader)
        try modelReader.rejectUnknownKeys()
        guard cluster.gpu.peakFLOPsPerSecond(for: model.computeType) != nil else {
            let types = cluster.gpu.supportedComputeTypes.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw modelReader.fail("computeType", "\"\(model.computeType.rawValue)\" needs a \(model.computeType.rawValue) "
                + "tensor-core peak, and \(cluster.gpu.name) has none (types it has: \(types)); choose one of those, "
                + "or give the peak with cluster.gpu.fp8PeakTFLOPs")
        }

        var trace = try root.object("trace")
        let (synthetic, traceFile) = try decodeTrace(&trace, baseDirectory: baseDirectory)
        try trace.rejectUnknownKeys()
        if let traceFile {
            let header = traceFile.header
            try checkTrace(traceFile, header.experts, "experts", against: model.experts, "model.experts")
            try checkTrace(traceFile, header.layers, "MoE layers", against: model.moeLayers, "model.moeLayers")
            try checkTrace(traceFile, header.gpus, "source GPUs", against: cluster.gpuCount,
                           "the cluster's GPU count (cluster.nodes × gpusPerNode)")
        }

        var parallelism = try root.object("parallelism")
        let tokensPerGPU = try parallelism.int("tokensPerGPU", default: traceFile?.header.tokensPerGPU ?? 4096, in: 1...(1 << 24))
        if let traceFile, tokensPerGPU != traceFile.header.tokensPerGPU {
            throw parallelism.fail("tokensPerGPU", "must equal the trace's tokens per GPU, \(traceFile.header.tokensPerGPU) "
                + "(\(traceFile.path): \(traceFile.header.tokensPerStep) tokens per step over \(traceFile.header.gpus) GPUs), "
                + "got \(tokensPerGPU); omit the key to take the trace's")
        }
        let placementSpec = try decodePlacement(&parallelism, experts: model.experts, gpus: cluster.gpuCount)
        let transport = try parallelism.choice("transport", default: Transport.nvlink)
        let selfCopies = try parallelism.choice("selfCopies", default: SelfCopies.local)
        let microbatches = try parallelism.int("microbatches", default: 1, in: 1...64)
        guard microbatches <= tokensPerGPU else {
            throw parallelism.fail("microbatches", "\(microbatches) micro-batches need at least as many tokens per GPU "
                + "(tokensPerGPU is \(tokensPerGPU))")
        }
        if cluster.intraNodeFabric == .mesh && selfCopies == .links && transport == .nvlink {
            throw parallelism.fail("selfCopies", "\"links\" loops a GPU's own copies through its port into the node's "
                + "fabric, and a mesh has no link from a GPU to itself; use \"local\", or transport \"rdma\"")
        }
        try parallelism.rejectUnknownKeys()
        let scoreBytes = Double(cluster.gpuCount) * Double(tokensPerGPU) * Double(model.experts) * 4
        guard scoreBytes <= maxScoreBytes else {
            throw parallelism.fail("tokensPerGPU", String(format: "one batch of %d GPUs × %d tokens × %d experts of f32 scores "
                + "needs %.1f GiB; at most %.0f GiB is allowed (lower tokensPerGPU, experts or nodes)",
                cluster.gpuCount, tokensPerGPU, model.experts, scoreBytes / 1_073_741_824, maxScoreBytes / 1_073_741_824))
        }
        let placement = placementSpec.basePlacement(experts: model.experts, gpuCount: cluster.gpuCount)

        var routing = try root.object("routing")
        let strategies = try decodeStrategies(&routing, experts: model.experts, placement: placement,
                                              nodes: cluster.nodes, gpusPerNode: cluster.gpusPerNode, preset: modelPreset)
        let capacityFactor: Double?
        if routing.raw("capacityFactor") == .null {
            capacityFactor = nil
        } else {
            capacityFactor = try routing.double("capacityFactor", default: .infinity,
                                                allowed: "> 0, or null for no limit") { $0 > 0 }
        }
        try routing.rejectUnknownKeys()

        if let traceFile {
            try checkStrategies(strategies, replaying: traceFile, path: routing.path(of: "strategies"))
        } else if let index = strategies.firstIndex(where: { $0.deviceScore == .trace }) {
            throw ScenarioError.invalid(file: nil, keyPath: "\(routing.path(of: "strategies"))[\(index)].deviceScore",
                                        message: "\"trace\" takes device logits from a trace file, but this scenario has "
                                            + "synthetic tokens; use \"sum\" or \"max\", or set trace.file")
        }

        var sim = try root.object("simulation")
        var warmupSteps = 0
        if case let .replicated(_, _, warmup) = placementSpec { warmupSteps = warmup }
        let traceSteps = traceFile.map { $0.header.steps - warmupSteps }
        if let traceFile, let traceSteps, traceSteps < 1 {
            throw ScenarioError.invalid(file: nil, keyPath: "parallelism.placement.warmupSteps", message: "\(traceFile.path) "
                + "has \(traceFile.header.steps) steps, and the \(warmupSteps) warm-up steps replay the first ones, so none "
                + "would be left to measure (got \(warmupSteps))")
        }
        let steps = try sim.int("steps", default: traceSteps ?? 1, in: 1...1_000_000)
        if let traceFile, let traceSteps, steps > traceSteps {
            throw sim.fail("steps", "must be at most the \(traceSteps) steps of \(traceFile.path) that are left after "
                + "\(warmupSteps) warm-up step(s) (it has \(traceFile.header.steps)); got \(steps)")
        }
        let simulation = SimulationSpec(
            mode: try sim.choice("mode", default: SimulationMode.inference),
            steps: steps,
            seed: UInt64(try sim.int("seed", default: 1, in: 0...Int.max)),
            network: try sim.choice("network", default: NetworkModelKind.flow),
            flowPrecision: try sim.double("flowPrecision", default: FlowNetwork.defaultPrecision,
                                          allowed: "in [1e-9, 0.01] (1e-9 follows the exact max-min trajectory)",
                                          where: FlowNetwork.precisionRange.contains))
        guard microbatches == 1 || simulation.network == .flow else {
            throw parallelism.fail("microbatches", "\(microbatches) micro-batches need \"simulation\": {\"network\": \"flow\"}; "
                + "the analytical model has no overlap, so it would ignore them")
        }
        try sim.rejectUnknownKeys()
        var perturbationReader = try root.object("perturbations")
        let perturbations = try decodePerturbations(&perturbationReader, cluster: cluster)
        try perturbationReader.rejectUnknownKeys()
        var validation: ValidationSpec?
        if root.raw("validation") != nil {
            var reader = try root.object("validation")
            validation = try decodeValidation(&reader)
            try reader.rejectUnknownKeys()
        }
        try root.rejectUnknownKeys()

        var scenario = Scenario(name: name, cluster: cluster, model: model, tokensPerGPU: tokensPerGPU, placement: placementSpec,
                        transport: transport,
                        strategies: strategies, capacityFactor: capacityFactor.flatMap { $0.isFinite ? $0 : nil },
                        synthetic: synthetic, simulation: simulation)
        scenario.microbatches = microbatches
        scenario.selfCopies = selfCopies
        scenario.traceFile = traceFile
        scenario.validation = validation
        scenario.perturbations = perturbations
        try scenario.checkMemoryFits()
        return scenario
    }

    /// The `validation` section: `id`, `kernel`, and `phase` (DeepEP) or `bytesPerRank` (nccl-tests).
    private static func decodeValidation(_ reader: inout ObjectReader) throws -> ValidationSpec {
        let id = try reader.string("id", default: "")
        guard !id.isEmpty else { throw reader.fail("id", "missing (the id of the measured row it reproduces)") }
        let kernelNames = ValidationSpec.Kernel.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        guard reader.raw("kernel") != nil else { throw reader.fail("kernel", "missing (one of \(kernelNames))") }
        let kernel = try reader.choice("kernel", default: ValidationSpec.Kernel.ncclAllToAll)
        switch kernel {
        case .ncclAllToAll:
            let bytes = try reader.int("bytesPerRank", default: 1 << 30, in: 1...(1 << 40))
            return ValidationSpec(id: id, kernel: kernel, bytesPerRank: Int64(bytes))
        case .deepEPNormal, .deepEPLowLatency:
            guard reader.raw("phase") != nil else { throw reader.fail("phase", "missing (\"dispatch\" or \"combine\")") }
            return ValidationSpec(id: id, kernel: kernel, phase: try reader.choice("phase", default: ValidationSpec.Phase.dispatch))
        case .gemm, .groupedGEMM:
            for key in ["m", "n", "k"] where reader.raw(key) == nil {
                throw reader.fail(key, "missing (the GEMM's \(key == "m" ? "rows per group" : key == "n" ? "output columns" : "depth"))")
            }
            let groups = kernel == .groupedGEMM ? try reader.int("groups", default: 1, in: 1...65_536) : 1
            return ValidationSpec(id: id, kernel: kernel, gemm: .init(
                groups: groups, m: try reader.int("m", default: 1, in: 1...(1 << 24)),
                n: try reader.int("n", default: 1, in: 1...(1 << 24)), k: try reader.int("k", default: 1, in: 1...(1 << 24))))
        }
    }

    /// The `trace` section: either `file` (a trace to replay) or `synthetic` (a generator).
    private static func decodeTrace(_ trace: inout ObjectReader, baseDirectory: String) throws
        -> (SyntheticScoresSpec, TraceFileSpec?) {
        var synthetic = try trace.object("synthetic")
        let zipf = try synthetic.double("zipf", default: 0, allowed: "in [0, 10] (0 = uniform)") { $0 >= 0 && $0 <= 10 }
        var hotExperts: SyntheticScoresSpec.HotExperts?
        if synthetic.raw("hot") != nil {
            var hot = try synthetic.object("hot")
            let open = "in (0, 1)"
            hotExperts = .init(expertFraction: try hot.double("experts", default: 0.1, allowed: open) { $0 > 0 && $0 < 1 },
                               loadFraction: try hot.double("load", default: 0.5, allowed: open) { $0 > 0 && $0 < 1 })
            try hot.rejectUnknownKeys()
        }
        let drift = try synthetic.double("drift", default: 0, allowed: "in [0, 1e6] experts per step") { $0 >= 0 && $0 <= 1e6 }
        let correlation = try synthetic.double("layerCorrelation", default: 0, allowed: "in [0, 1]") { $0 >= 0 && $0 <= 1 }
        try synthetic.rejectUnknownKeys()
        let spec = SyntheticScoresSpec(zipfExponent: zipf, hotExperts: hotExperts, driftExpertsPerStep: drift,
                                       layerCorrelation: correlation)
        guard let value = trace.raw("file") else { return (spec, nil) }
        guard case .string(let relative) = value, !relative.isEmpty else {
            throw trace.fail("file", "expected the path of a .moetrace or .csv trace, relative to the scenario's directory "
                + "(got \(value.brief))")
        }
        if case .object(let members)? = trace.raw("synthetic"), !members.isEmpty {
            throw trace.fail("synthetic", "a scenario replays either trace.file or trace.synthetic; remove one")
        }
        let path = relative.hasPrefix("/") || baseDirectory.isEmpty
            ? relative : (baseDirectory as NSString).appendingPathComponent(relative)
        do {
            return (spec, TraceFileSpec(path: path, header: try TraceSource(file: path).header))
        } catch let error as TraceError {
            throw ScenarioError.trace(file: nil, keyPath: trace.path(of: "file"), error: error)
        }
    }

    /// Throws when the trace's `traceValue` of `what` differs from the scenario's `scenarioValue` at `key`.
    private static func checkTrace(_ trace: TraceFileSpec, _ traceValue: Int, _ what: String,
                                   against scenarioValue: Int, _ key: String) throws {
        guard traceValue == scenarioValue else {
            throw ScenarioError.invalid(file: nil, keyPath: "trace.file", message: "\(trace.path) has \(traceValue) \(what) "
                + "but \(key) = \(scenarioValue); they must agree")
        }
    }

    /// Strategies that cannot replay `trace`: a choices trace has no scores, so only switch and
    /// top-k with the recorded k can replay it; `deviceScore: "trace"` needs device logits.
    private static func checkStrategies(_ strategies: [RoutingStrategySpec], replaying trace: TraceFileSpec,
                                        path: String) throws {
        let header = trace.header
        for (index, spec) in strategies.enumerated() {
            if header.payload == .choices {
                let replayable = (spec.kind == .switch || spec.kind == .topk) && spec.k == header.k
                guard replayable else {
                    throw ScenarioError.invalid(file: nil, keyPath: "\(path)[\(index)]", message: "\(spec.label) cannot replay "
                        + "\(trace.path): it records expert choices (k = \(header.k)), not router scores, so every strategy "
                        + "replays the recorded experts; only \(header.k == 1 ? "switch or " : "")topk with k = \(header.k) "
                        + "can use it (use a scores trace to compare other strategies)")
                }
            }
            if spec.deviceScore == .trace && !header.hasDeviceLogits {
                throw ScenarioError.invalid(file: nil, keyPath: "\(path)[\(index)].deviceScore", message: "\"trace\" needs "
                    + "device logits, but \(trace.path) has none; use \"sum\" or \"max\", or a scores trace with device logits")
            }
        }
    }

    private static func decodeCluster(_ reader: inout ObjectReader) throws -> ClusterSpec {
        let presetName = try reader.string("preset", default: "dgx-h100")
        guard let preset = ClusterPreset.named(presetName) else {
            let names = ClusterPreset.all.map { "\"\($0.name)\"" }.joined(separator: ", ")
            throw reader.fail("preset", "unknown preset \"\(presetName)\" (known: \(names); `moesim presets` lists them)")
        }
        var spec = preset.spec
        spec.nodes = try reader.int("nodes", default: 1, in: 1...65_536)
        spec.gpusPerNode = try reader.int("gpusPerNode", default: spec.gpusPerNode, in: 1...1_024)
        spec.nicsPerNode = try reader.int("nicsPerNode", default: spec.nicsPerNode, in: 1...1_024)
        spec.intraNodeFabric = try reader.choice("intraNodeFabric", default: spec.intraNodeFabric)
        if spec.intraNodeFabric == .mesh && spec.gpusPerNode > maxMeshGPUs {
            throw reader.fail("intraNodeFabric", "a mesh gives every pair of GPUs its own link, and at most \(maxMeshGPUs) "
                + "GPUs per node are supported on one (gpusPerNode is \(spec.gpusPerNode)); use \"nvswitch\"")
        }

        var gpu = try reader.object("gpu")
        spec.gpu.name = try gpu.string("name", default: spec.gpu.name)
        spec.gpu.peakFLOPsPerSecond = try gpu.rate("peakTFLOPs", default: spec.gpu.peakFLOPsPerSecond / 1e12) * 1e12
        let fp8Peak = try gpu.double("fp8PeakTFLOPs", default: (spec.gpu.fp8PeakFLOPsPerSecond ?? 0) / 1e12,
                                     allowed: "0 (no FP8 tensor cores) or in [0.01, 1e9] TFLOP/s") { $0 == 0 || ($0 >= 0.01 && $0 <= 1e9) }
        spec.gpu.fp8PeakFLOPsPerSecond = fp8Peak > 0 ? fp8Peak * 1e12 : nil
        spec.gpu.streamingMultiprocessors = try gpu.int("sms", default: spec.gpu.streamingMultiprocessors, in: 1...100_000)
        spec.gpu.computeEfficiency = try gpu.fraction("computeEfficiency", default: spec.gpu.computeEfficiency)
        spec.gpu.hbmBytesPerSecond = try gpu.rate("hbmGBps", default: spec.gpu.hbmBytesPerSecond / 1e9) * 1e9
        spec.gpu.hbmCapacityBytes = try gpu.rate("hbmGB", default: spec.gpu.hbmCapacityBytes / 1e9) * 1e9
        spec.gpu.hbmEfficiency = try gpu.fraction("hbmEfficiency", default: spec.gpu.hbmEfficiency)
        spec.gpu.hbmWriteEfficiency = try gpu.fraction("hbmWriteEfficiency", default: spec.gpu.hbmWriteEfficiency)
        spec.gpu.kernelLaunchNanos = try nanos(&gpu, "kernelLaunchUs", default: spec.gpu.kernelLaunchNanos)
        spec.gpu.tileOverheadNanos = try nanos(&gpu, "tileOverheadUs", default: spec.gpu.tileOverheadNanos)
        spec.gpu.kBlockOverheadNanos = try nanos(&gpu, "kBlockOverheadUs", default: spec.gpu.kBlockOverheadNanos)
        spec.gpu.tileRows = try gpu.int("tileRows", default: spec.gpu.tileRows, in: 1...4_096)
        spec.gpu.tileColumns = try gpu.int("tileColumns", default: spec.gpu.tileColumns, in: 1...4_096)
        try gpu.rejectUnknownKeys()

        spec.intraNodeLink = try decodeLink(&reader, "intraNodeLink", default: spec.intraNodeLink)
        // The NIC's latency stands for the whole GPU-to-GPU path between nodes, so this link has none.
        spec.gpuToNICLink = try decodeLink(&reader, "gpuToNICLink", default: spec.gpuToNICLink, hasLatency: false)
        spec.nicLink = try decodeLink(&reader, "nicLink", default: spec.nicLink)
        spec.pcieSwitchesPerNode = try reader.int("pcieSwitchesPerNode", default: spec.pcieSwitchesPerNode,
                                                  in: 1...spec.gpusPerNode)
        spec.pcieSwitchUplink = try decodeLink(&reader, "pcieSwitchUplink", default: spec.pcieSwitchUplink,
                                               hasLatency: false)
        spec.fabric = try decodeFabric(&reader, nodes: spec.nodes)
        return spec
    }

    private static func decodeFabric(_ parent: inout ObjectReader, nodes: Int) throws -> FabricSpec {
        var reader = try parent.object("fabric")
        let kind = try reader.string("kind", default: "non-blocking")
        let fabric: FabricSpec
        switch kind {
        case "non-blocking":
            fabric = .nonBlocking
        case "fat-tree":
            fabric = .fatTree(nodesPerLeaf: try reader.int("nodesPerLeaf", default: 4, in: 1...65_536),
                              oversubscription: try ratio(&reader))
        case "rail":
            fabric = .railOptimized(nodesPerGroup: try reader.int("nodesPerGroup", default: nodes, in: 1...65_536),
                                    oversubscription: try ratio(&reader))
        default:
            throw reader.fail("kind", "unknown fabric \"\(kind)\" (known: \"non-blocking\", \"fat-tree\", \"rail\")")
        }
        try reader.rejectUnknownKeys()
        return fabric
    }

    private static func ratio(_ reader: inout ObjectReader) throws -> Double {
        try reader.double("oversubscription", default: 1, allowed: "in [1, 64] (1 = full bisection, 2 = 2:1)") {
            $0 >= 1 && $0 <= 64
        }
    }

    private static func decodeLink(_ parent: inout ObjectReader, _ key: String, default link: LinkSpec,
                                   hasLatency: Bool = true) throws -> LinkSpec {
        var reader = try parent.object(key)
        var result = link
        result.bandwidthBytesPerSecond = try reader.rate("bandwidthGBps", default: link.bandwidthBytesPerSecond / 1e9) * 1e9
        result.efficiency = try reader.fraction("efficiency", default: link.efficiency)
        if hasLatency { result.latencyNanos = try nanos(&reader, "latencyUs", default: link.latencyNanos) }
        try reader.rejectUnknownKeys()
        return result
    }

    /// A duration given in microseconds (≥ 0), stored as whole nanoseconds.
    private static func nanos(_ reader: inout ObjectReader, _ key: String, default value: Int64) throws -> Int64 {
        let micros = try reader.double(key, default: Double(value) / 1e3, allowed: "in [0, 1e6] µs") { $0 >= 0 && $0 <= 1e6 }
        return Int64((micros * 1e3).rounded())
    }

    /// The `model` section, and the preset it starts from (whose fields are the defaults), if any.
    private static func decodeModel(_ reader: inout ObjectReader) throws -> (MoEModelSpec, ModelPreset?) {
        var preset: ModelPreset?
        if reader.raw("preset") != nil {
            let name = try reader.string("preset", default: "")
            guard let named = ModelPreset.named(name) else {
                let names = ModelPreset.all.map { "\"\($0.name)\"" }.joined(separator: ", ")
                throw reader.fail("preset", "unknown model preset \"\(name)\" (known: \(names); `moesim presets` lists them)")
            }
            preset = named
        }
        let hiddenSize = try reader.int("hiddenSize", default: preset?.hiddenSize ?? 4096, in: 1...1_048_576)
        let computeType = try reader.choice("computeType", default: ComputeType.bf16)
        let spec = MoEModelSpec(
            hiddenSize: hiddenSize,
            expertFFNSize: try reader.int("expertFFNSize", default: preset?.expertFFNSize ?? 14336, in: 1...4_194_304),
            experts: try reader.int("experts", default: preset?.experts ?? 64, in: 1...TraceHeader.maxExperts),
            moeLayers: try reader.int("moeLayers", default: preset?.moeLayers ?? 1, in: 1...TraceHeader.maxLayers),
            ffnMatrices: try reader.int("ffnMatrices", default: 3, in: 2...3),
            computeType: computeType,
            expertKernel: try reader.choice("expertKernel", default: ExpertKernel.grouped),
            sharedExperts: try reader.int("sharedExperts", default: preset?.sharedExperts ?? 0, in: 0...1_024),
            dispatchBytesPerElement: try reader.int("dispatchBytesPerElement", default: 2, in: 1...8),
            combineBytesPerElement: try reader.int("combineBytesPerElement", default: 2, in: 1...8),
            dispatchScaleBlock: try reader.int("dispatchScaleBlock", default: 0, in: 0...hiddenSize),
            weightBytesPerElement: try reader.double("weightBytesPerElement", default: Double(computeType.bytesPerElement),
                                                     allowed: "in [0.125, 8]") { $0 >= 0.125 && $0 <= 8 },
            otherMemoryBytes: try reader.double("otherMemoryGB", default: 0, allowed: "in [0, 1e6] GB") { $0 >= 0 && $0 <= 1e6 } * 1e9)
        return (spec, preset)
    }

    private static func decodePlacement(_ parallelism: inout ObjectReader, experts: Int, gpus: Int) throws -> PlacementSpec {
        let path = parallelism.path(of: "placement")
        let kinds = "\"contiguous\", \"round-robin\", {\"kind\": \"explicit\", ...} or {\"kind\": \"replicated\", ...}"
        let spec: PlacementSpec
        switch parallelism.raw("placement") {
        case nil, .string("contiguous")?:
            spec = .contiguous
        case .string("round-robin")?:
            spec = .roundRobin
        case .object(let members)?:
            var reader = try parallelism.nested(.object(members), path: path)
            switch try reader.string("kind", default: "") {
            case "explicit":
                spec = .explicit(try decodeExplicitMap(&reader, experts: experts, gpus: gpus))
            case "replicated":
                let base = try reader.choice("base", default: PlacementSpec.BasePlacement.contiguous)
                let slots = try reader.int("slotsPerGPU", default: 0, in: 1...experts)
                let warmup = try reader.int("warmupSteps", default: 1, in: 1...10_000)
                spec = .replicated(base: base, slotsPerGPU: slots, warmupSteps: warmup)
                if base == .contiguous && experts % gpus != 0 {
                    throw reader.fail("base", "contiguous needs model.experts (\(experts)) to be a multiple of the GPU count \(gpus)")
                }
                let hosted = spec.basePlacement(experts: experts, gpuCount: gpus).maxExpertsPerGPU
                guard slots > hosted else {
                    throw reader.fail("slotsPerGPU", "must exceed the experts a GPU already holds (\(hosted)) to leave room "
                        + "for replicas, and be at most model.experts = \(experts) (got \(slots))")
                }
            default:
                throw reader.fail("kind", "must be \"explicit\" (with \"gpuOfExpert\") or \"replicated\" "
                    + "(with \"slotsPerGPU\", \"warmupSteps\", \"base\")")
            }
            try reader.rejectUnknownKeys()
        case let value?:
            throw ScenarioError.invalid(file: nil, keyPath: path, message: "must be \(kinds) (got \(value.brief))")
        }
        if spec == .contiguous && experts % gpus != 0 {
            throw ScenarioError.invalid(file: nil, keyPath: "model.experts", message: "must be a multiple of the GPU count "
                + "\(gpus) for contiguous placement (got \(experts)); or set parallelism.placement to \"round-robin\"")
        }
        return spec
    }

    /// `dedup`: "gpu", "node" or "none"; true and false are accepted for "gpu" and "none".
    /// `spec` as a scenario would write it (the keys `decodeStrategies` reads).
    static func strategyDocument(_ spec: RoutingStrategySpec) -> JSONValue {
        var members: [(String, JSONValue)] = [("name", .string(spec.kind.rawValue))]
        if spec.kind != .switch && spec.kind != .hash { members.append(("k", .number(Double(spec.k)))) }
        if spec.kind == .nodeLimited { members.append(("maxNodes", .number(Double(spec.maxNodes)))) }
        if spec.deduplication != .perGPU { members.append(("dedup", .string(spec.deduplication.rawValue))) }
        return .object(members)
    }

    private static func decodeDeduplication(_ reader: inout ObjectReader) throws -> Deduplication {
        switch reader.raw("dedup") {
        case nil, .bool(true)?: return .perGPU
        case .bool(false)?: return .none
        default: return try reader.choice("dedup", default: Deduplication.perGPU)
        }
    }

    /// `gpuOfExpert`: one entry per expert, a GPU id or an array of GPU ids (its replicas, primary first).
    private static func decodeExplicitMap(_ reader: inout ObjectReader, experts: Int, gpus: Int) throws -> [[Int]] {
        let path = reader.path(of: "gpuOfExpert")
        guard case .array(let entries)? = reader.raw("gpuOfExpert") else {
            throw reader.fail("gpuOfExpert", "expected an array with one GPU id (or array of GPU ids) per expert")
        }
        guard entries.count == experts else {
            throw reader.fail("gpuOfExpert", "lists \(entries.count) experts but model.experts = \(experts)")
        }
        func gpu(_ value: JSONValue, _ at: String) throws -> Int {
            guard case .number(let n) = value, n == n.rounded(), n >= 0, n < Double(gpus) else {
                throw ScenarioError.invalid(file: nil, keyPath: at, message: "must be a GPU id in [0, \(gpus - 1)] (got \(value.brief))")
            }
            return Int(n)
        }
        return try entries.enumerated().map { index, entry in
            let at = "\(path)[\(index)]"
            if case .array(let list) = entry {
                let ids = try list.enumerated().map { try gpu($1, "\(at)[\($0)]") }
                guard !ids.isEmpty, Set(ids).count == ids.count else {
                    throw ScenarioError.invalid(file: nil, keyPath: at, message: "needs one or more distinct GPU ids (got \(ids))")
                }
                return ids
            }
            return [try gpu(entry, at)]
        }
    }

    private static func decodeStrategies(_ routing: inout ObjectReader, experts: Int, placement: ExpertPlacement,
                                         nodes: Int, gpusPerNode: Int, preset: ModelPreset?) throws -> [RoutingStrategySpec] {
        let expertsPerGPU = placement.minExpertsPerGPU
        let listPath = routing.path(of: "strategies")
        guard let value = routing.raw("strategies") else {
            // The defaults go through the same checks, so a model they do not fit gets a clear message.
            let defaults = preset?.defaultStrategies(nodes: nodes, expertsPerGPU: expertsPerGPU)
                ?? [RoutingStrategySpec(kind: .switch, k: 1), RoutingStrategySpec(kind: .topk, k: 2),
                    RoutingStrategySpec(kind: .sam, k: 2)]
            var implicit = try routing.nested(.object([("strategies", .array(defaults.map(strategyDocument)))]),
                                              path: routing.path)
            do {
                return try decodeStrategies(&implicit, experts: experts, placement: placement, nodes: nodes,
                                            gpusPerNode: gpusPerNode, preset: nil)
            } catch ScenarioError.invalid(_, let keyPath, let message) {
                let listed = preset.map { "model.preset \"\($0.name)\"'s default [\(defaults.map(\.label).joined(separator: ", "))]" }
                    ?? "the default [switch, top-2, SAM-2]"
                throw routing.fail("strategies", "missing, and \(listed) does not fit (\(keyPath): \(message)); "
                    + "list the strategies to compare")
            }
        }
        guard case .array(let items) = value, !items.isEmpty else {
            throw routing.fail("strategies", "expected a non-empty array such as [{\"name\": \"switch\"}, "
                + "{\"name\": \"sam\", \"k\": 2}] (got \(value.brief))")
        }
        var result: [RoutingStrategySpec] = []
        for (index, item) in items.enumerated() {
            var reader = try routing.nested(item, path: "\(listPath)[\(index)]")
            guard reader.raw("name") != nil else {
                let names = RoutingStrategySpec.Kind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                throw reader.fail("name", "missing (one of \(names))")
            }
            let kind = try reader.choice("name", default: RoutingStrategySpec.Kind.switch)
            var spec = RoutingStrategySpec(kind: kind, k: 1)
            func readK(default value: Int, max limit: Int, limitName: String) throws {
                spec.k = try reader.int("k", default: value, in: 1...Int.max)
                guard spec.k <= limit else { throw reader.fail("k", "must be at most \(limitName) (got \(spec.k))") }
                guard spec.k <= maxK else {
                    throw reader.fail("k", "at most \(maxK) experts per token are supported (got \(spec.k)): "
                        + "routing cost grows with k², and no MoE model activates more")
                }
            }
            let allExperts = "model.experts = \(experts)"
            spec.deduplication = try decodeDeduplication(&reader)
            switch kind {
            case .switch, .hash:
                break
            case .topk:
                try readK(default: 2, max: experts, limitName: allExperts)
                spec.normalize = try reader.bool("normalize", default: false)
            case .sam:
                try readK(default: 2, max: expertsPerGPU, limitName: "the fewest experts on one GPU = \(expertsPerGPU) "
                    + "(with this placement), since SAM picks all k on one GPU")
                spec.deviceScore = try reader.choice("deviceScore", default: DeviceScore.sum)
            case .nodeLimited:
                guard reader.raw("maxNodes") != nil else {
                    throw reader.fail("maxNodes", "missing: the most nodes a token may reach, in [1, \(nodes)]")
                }
                spec.maxNodes = try reader.int("maxNodes", default: 1, in: 1...nodes)
                let reachable = min(experts, placement.fewestExperts(onAny: spec.maxNodes, gpusPerNode: gpusPerNode))
                try readK(default: 2, max: reachable, limitName: "the fewest experts on any maxNodes = \(spec.maxNodes) "
                    + "node(s) = \(reachable)")
            case .expertChoice:
                try readK(default: 2, max: experts, limitName: allExperts)
            }
            try reader.rejectUnknownKeys()
            result.append(spec)
        }
        return result
    }
}
