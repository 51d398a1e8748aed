/// Decoding of the `perturbations` section: slow GPUs and degraded links, every id checked
/// against the cluster so that a perturbation of something that does not exist names it.
extension Scenario {
    /// The smallest factor a perturbation may scale a GPU's speed or a link's bandwidth by.
    static let smallestPerturbationFactor = 0.01

    /// The `perturbations` section (`.none` when absent). Slow GPUs given by `count` are drawn when the run
    /// starts, with its seed (so `--seed` draws others).
    /// - Throws: `ScenarioError.invalid` naming the key path, the value and what exists.
    /// - Complexity: O(G + degraded links).
    static func decodePerturbations(_ reader: inout ObjectReader, cluster: ClusterSpec) throws -> Perturbations {
        var perturbations = Perturbations.none
        if reader.raw("slowGPUs") != nil {
            var slow = try reader.object("slowGPUs")
            perturbations.slowGPUs = try decodeSlowGPUs(&slow, cluster: cluster)
            try slow.rejectUnknownKeys()
        }
        if let value = reader.raw("degradedLinks") {
            let listPath = reader.path(of: "degradedLinks")
            guard case .array(let items) = value else {
                throw reader.fail("degradedLinks", "expected an array of links such as "
                    + "[{\"kind\": \"nic\", \"gpu\": 0, \"factor\": 0.5}] (got \(value.brief))")
            }
            for (index, item) in items.enumerated() {
                var link = try reader.nested(item, path: "\(listPath)[\(index)]")
                perturbations.degradedLinks.append(try decodeDegradedLink(&link, cluster: cluster))
                try link.rejectUnknownKeys()
            }
        }
        perturbations.failedGPUs = try idList(&reader, "failedGPUs", what: "GPU", count: cluster.gpuCount,
                                              existing: "the cluster has \(cluster.gpuCount) GPUs")
        perturbations.failedNodes = try idList(&reader, "failedNodes", what: "node", count: cluster.nodes,
                                               existing: "the cluster has \(cluster.nodes) node(s)")
        perturbations.onFailure = try reader.choice("onFailure", default: Perturbations.FailurePolicy.replace)
        let failed = perturbations.failed(gpuCount: cluster.gpuCount, gpusPerNode: cluster.gpusPerNode)
        guard failed.contains(false) else {
            throw reader.fail(perturbations.failedGPUs.isEmpty ? "failedNodes" : "failedGPUs",
                              "every GPU of the cluster would have failed; at least one must survive")
        }
        return perturbations
    }

    /// The optional array of distinct ids at `key` (empty when absent), ascending.
    private static func idList(_ reader: inout ObjectReader, _ key: String, what: String, count: Int,
                               existing: String) throws -> [Int] {
        guard let value = reader.raw(key) else { return [] }
        let path = reader.path(of: key)
        guard case .array(let entries) = value else {
            throw reader.fail(key, "expected an array of \(what) ids in [0, \(count - 1)] (got \(value.brief))")
        }
        var ids: [Int] = []
        for (index, entry) in entries.enumerated() {
            let id = try identifier(entry, at: "\(path)[\(index)]", what: what, count: count, existing: existing)
            guard !ids.contains(id) else {
                throw ScenarioError.invalid(file: nil, keyPath: "\(path)[\(index)]", message: "\(what) \(id) is listed twice")
            }
            ids.append(id)
        }
        return ids.sorted()
    }

    /// `slowGPUs`: `gpus` (a list of ids) or `count` (drawn with the seed), and `factor`.
    private static func decodeSlowGPUs(_ reader: inout ObjectReader, cluster: ClusterSpec) throws -> Perturbations.SlowGPUs {
        let gpuCount = cluster.gpuCount
        let listed = reader.raw("gpus"), counted = reader.raw("count")
        let factor = try perturbationFactor(&reader, of: "speed")
        switch (listed, counted) {
        case (let list?, nil):
            guard case .array(let entries) = list, !entries.isEmpty else {
                throw reader.fail("gpus", "expected a non-empty array of GPU ids in [0, \(gpuCount - 1)] (got \(list.brief))")
            }
            return .init(.listed(try idList(&reader, "gpus", what: "GPU", count: gpuCount,
                                            existing: "the cluster has \(gpuCount) GPUs")), factor: factor)
        case (nil, _?):
            let count = try reader.int("count", default: 1, in: 1...gpuCount)
            return .init(.drawn(count: count), factor: factor)
        case (_?, _?):
            throw reader.fail("count", "give either gpus (the slow GPUs' ids) or count (that many drawn with the seed), not both")
        case (nil, nil):
            throw reader.fail("gpus", "missing: list the slow GPUs' ids, or give count to draw that many with the seed")
        }
    }

    /// One element of `degradedLinks`: `kind`, the id its kind names, and `factor`.
    private static func decodeDegradedLink(_ reader: inout ObjectReader, cluster: ClusterSpec) throws -> Perturbations.DegradedLink {
        let kinds = Perturbations.LinkTarget.kindNames.map { "\"\($0)\"" }.joined(separator: ", ")
        guard reader.raw("kind") != nil else { throw reader.fail("kind", "missing (one of \(kinds))") }
        let kind = try reader.string("kind", default: "")
        let gpus = "the cluster has \(cluster.gpuCount) GPUs"
        let target: Perturbations.LinkTarget
        switch kind {
        case "nvlink":
            guard cluster.intraNodeFabric != .pcie else {
                throw reader.fail("kind", "\"nvlink\": this cluster's GPUs talk over PCIe inside a node (intraNodeFabric "
                    + "\"pcie\"), so it has no NVLink; degrade the GPU's PCIe and NIC path with \"nic\"")
            }
            target = .nvlink(gpu: try requiredID(&reader, "gpu", what: "GPU", count: cluster.gpuCount, existing: gpus))
        case "nic":
            target = .nic(gpu: try requiredID(&reader, "gpu", what: "GPU", count: cluster.gpuCount, existing: gpus))
        case "node-nics":
            target = .nodeNICs(node: try requiredID(&reader, "node", what: "node", count: cluster.nodes,
                                                    existing: "the cluster has \(cluster.nodes) node(s)"))
        case "fabric-uplink":
            let switches = cluster.fabricSwitchCount
            guard switches > 0 else {
                throw reader.fail("kind", "\"fabric-uplink\": the \(cluster.fabric.kindName) fabric has no switch uplinks "
                    + "(only \"fat-tree\" and \"rail\" fabrics have them)")
            }
            target = .fabricUplink(switch: try requiredID(&reader, "switch", what: "fabric switch", count: switches,
                existing: "the \(cluster.fabric.kindName) fabric has \(switches) switch(es) with uplinks"))
        default:
            throw reader.fail("kind", "unknown link kind \"\(kind)\" (known: \(kinds))")
        }
        return .init(target: target, factor: try perturbationFactor(&reader, of: "bandwidth"))
    }

    /// The required `factor` of a perturbation, in [0.01, 1].
    private static func perturbationFactor(_ reader: inout ObjectReader, of what: String) throws -> Double {
        guard reader.raw("factor") != nil else {
            throw reader.fail("factor", "missing: the fraction of its normal \(what) that is left, in "
                + "[\(smallestPerturbationFactor), 1] (0.5 = half)")
        }
        return try reader.double("factor", default: 1, allowed: "in [\(smallestPerturbationFactor), 1] (0.5 = half)") {
            $0 >= smallestPerturbationFactor && $0 <= 1
        }
    }

    /// The required id at `key`, which must name one of `count` things (`existing` says how many there are).
    private static func requiredID(_ reader: inout ObjectReader, _ key: String, what: String, count: Int,
                                   existing: String) throws -> Int {
        guard let value = reader.raw(key) else { throw reader.fail(key, "missing: the id of the \(what)") }
        return try identifier(value, at: reader.path(of: key), what: what, count: count, existing: existing)
    }

    /// `value` as an id in [0, count − 1], or an error naming the \(what) that does not exist.
    private static func identifier(_ value: JSONValue, at path: String, what: String, count: Int,
                                   existing: String) throws -> Int {
        guard case .number(let n) = value, n == n.rounded(), abs(n) < 9e15 else {
            throw ScenarioError.invalid(file: nil, keyPath: path, message: "expected a \(what) id, an integer in "
                + "[0, \(count - 1)] (got \(value.brief))")
        }
        guard n >= 0 && n < Double(count) else {
            throw ScenarioError.invalid(file: nil, keyPath: path, message: "\(what) \(Int(n)) does not exist: \(existing) "
                + "(ids 0–\(count - 1))")
        }
        return Int(n)
    }
}
