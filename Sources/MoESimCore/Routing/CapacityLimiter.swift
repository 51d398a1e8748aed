import Foundation

/// Enforces a capacity factor: each expert (each device under SAM) accepts at
/// most a fixed number of assignments per batch; the overflow with the lowest
/// gate probability is dropped, as in GShard and the Switch Transformer.
///
/// Per-expert capacity is ⌈cf · T · k / E⌉ slots for T tokens in the batch.
/// Under SAM a token brings all k experts to one device, so the limit is per
/// device: ⌈cf · T / D⌉ tokens for D devices, and a token is kept or dropped
/// whole, ranked by the sum of its k gate probabilities. Ties in probability
/// keep the lower token index, so the outcome never depends on sort stability.
public struct CapacityLimiter {
    /// What a capacity factor allows one strategy on one placement.
    public struct Limit: Equatable, Sendable {
        /// The limit per expert replica (slots) or per device (tokens).
        public var capacity: Int
        /// True to limit tokens per device and drop whole tokens (SAM; slot GPUs must be set), false to
        /// limit slots per expert (a replicated expert gets `capacity` per replica).
        public var perDevice: Bool

        /// A limit of `capacity` per expert replica, or per device when `perDevice`.
        public init(capacity: Int, perDevice: Bool) {
            self.capacity = capacity
            self.perDevice = perDevice
        }
    }

    private var order: [Int32] = []
    private var groupStart: [Int] = []
    private var priority: [Float] = []

    /// A limiter with empty scratch space (it grows once and is reused).
    public init() {}

    /// Slots one expert accepts: ⌈cf · tokens · k / experts⌉.
    /// At least 1, and at most tokens · k (beyond that no limit could bind).
    public static func expertCapacity(capacityFactor: Double, tokens: Int, k: Int, experts: Int) -> Int {
        let exact = capacityFactor * Double(tokens) * Double(k) / Double(experts)
        return Int(min(max((exact - 1e-9).rounded(.up), 1), Double(tokens * k)))
    }

    /// Tokens one device accepts under SAM: ⌈cf · tokens / devices⌉.
    /// At least 1, and at most tokens.
    public static func deviceCapacity(capacityFactor: Double, tokens: Int, devices: Int) -> Int {
        let exact = capacityFactor * Double(tokens) / Double(devices)
        return Int(min(max((exact - 1e-9).rounded(.up), 1), Double(tokens)))
    }

    /// Marks the slots of `buffer` that overflow `limit` as dropped and returns how many slots were dropped.
    /// - Complexity: O(S + Σ over full groups of n log n), S = slots.
    public mutating func apply(to buffer: inout RoutingBuffer, placement: ExpertPlacement, limit: Limit) -> Int {
        let capacity = limit.capacity, perDevice = limit.perDevice
        let units = perDevice ? buffer.tokenCount : buffer.slotCount
        let groups = perDevice ? placement.gpuCount : placement.expertCount
        func group(of unit: Int) -> Int {
            perDevice ? Int(buffer.gpus[buffer.slotStart[unit]]) : Int(buffer.experts[unit])
        }
        // Counting sort of units by group, ascending unit index within a group.
        groupStart = [Int](repeating: 0, count: groups + 1)
        for unit in 0..<units where !perDevice || !buffer.slots(of: unit).isEmpty {
            groupStart[group(of: unit) + 1] += 1
        }
        for g in 0..<groups { groupStart[g + 1] += groupStart[g] }
        if order.count < units { order = [Int32](repeating: 0, count: units) }
        if priority.count < units { priority = [Float](repeating: 0, count: units) }
        var fill = groupStart
        for unit in 0..<units where !perDevice || !buffer.slots(of: unit).isEmpty {
            let g = group(of: unit)
            order[fill[g]] = Int32(unit)
            fill[g] += 1
            if perDevice {
                var sum: Float = 0
                for slot in buffer.slots(of: unit) { sum += buffer.probabilities[slot] }
                priority[unit] = sum
            } else {
                priority[unit] = buffer.probabilities[unit]
            }
        }
        var droppedSlots = 0
        for g in 0..<groups {
            let groupLimit = perDevice ? capacity : capacity * placement.replicas(of: g).count
            guard groupStart[g + 1] - groupStart[g] > groupLimit else { continue }
            let range = groupStart[g]..<groupStart[g + 1]
            order[range].sort { a, b in
                let pa = priority[Int(a)], pb = priority[Int(b)]
                return pa != pb ? pa > pb : a < b
            }
            for position in range.lowerBound + groupLimit..<range.upperBound {
                let unit = Int(order[position])
                let slots = perDevice ? buffer.slots(of: unit) : unit..<unit + 1
                for slot in slots { buffer.dropped[slot] = true }
                droppedSlots += slots.count
            }
        }
        return droppedSlots
    }
}
