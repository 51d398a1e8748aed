extension FlowNetwork {
    /// The fields of a link that the repair reads and writes for every member of a group whose
    /// level moves, kept together so that one cache line serves them.
    struct Link {
        /// Bytes per second.
        let capacity: Double
        /// Bytes per second of the flows crossing it.
        var load = 0.0
        /// The rate of its group (meaningless without one).
        var level = 0.0
        /// No flow crossing the link outside its group and outside its `risers` is faster.
        var fasterBound = 0.0
        /// `groupMembers[l].count`.
        var groupSize: Int32 = 0
        /// Queued for settling (in `dirtyLinksByLevel`).
        var isDirty = false
        /// Any flow outside the group may be faster than the level: scan them all.
        var needsScan = false
        /// `risers` lists flows that rose above the level.
        var hasRisers = false
        /// Changed in this repair (in `touchedLinks`).
        var isTouched = false

        /// An idle link of `capacity` bytes per second.
        init(capacity: Double) { self.capacity = capacity }

        /// Records that the load moved because a flow crossing the link outside its group now runs at
        /// `rate` (faster than before when `rising`), and says what that asks of the link.
        @inline(__always) mutating func loadMoved(byAFlowAt rate: Double, rising: Bool, precision: Double) -> LoadChange {
            let tolerance = FlowNetwork.tolerance
            guard groupSize > 0 else { return rising && load > capacity * (1 + tolerance) ? .unsettled : .settled }
            if rising {
                if rate > level * (1 + precision) {
                    hasRisers = true
                    return .overtaken
                }
                if rate > fasterBound { fasterBound = rate }
            }
            return !isDirty && (needsScan || isOffCapacity(precision: precision)) ? .unsettled : .settled
        }

        /// Whether the load is over capacity, or more than `precision` under it.
        @inline(__always) func isOffCapacity(precision: Double) -> Bool {
            load - capacity > FlowNetwork.tolerance * capacity || capacity - load > precision * capacity
        }
    }

    /// What a change of load asks of a link (`Link.loadMoved`).
    enum LoadChange {
        /// Nothing (or it is already queued).
        case settled
        /// It must be settled again.
        case unsettled
        /// The flow now runs faster than the link's level: settle it, the flow a riser.
        case overtaken
    }
}
