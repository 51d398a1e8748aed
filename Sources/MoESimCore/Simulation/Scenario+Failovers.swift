extension Scenario {
    /// Each strategy's and layer's placement with the scenario's failed GPUs and nodes gone, or nil when none failed.
    /// - Complexity: O(strategies · layers · (E + G + replicas)).
    func failovers(of placements: [[ExpertPlacement]]) -> [[FailoverPlacement]]? {
        guard perturbations.hasFailures else { return nil }
        let failed = perturbations.failed(gpuCount: cluster.gpuCount, gpusPerNode: cluster.gpusPerNode)
        let replace = perturbations.onFailure == .replace
        return placements.map { layers in
            layers.map { FailoverPlacement(original: $0, failed: failed, replace: replace) }
        }
    }
}
