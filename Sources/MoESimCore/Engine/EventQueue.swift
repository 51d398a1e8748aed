/// A priority queue of timed events: an array-backed binary min-heap ordered by
/// (time, insertion sequence), so events at equal times come out first-in,
/// first-out and every run is deterministic.
///
/// `Event` is the caller's typed event (usually an `enum`); the queue never
/// looks inside it.
public struct EventQueue<Event> {
    private struct Entry {
        let nanoseconds: Int64
        let sequence: UInt64
        let event: Event

        @inline(__always) func precedes(_ other: Entry) -> Bool {
            nanoseconds != other.nanoseconds ? nanoseconds < other.nanoseconds : sequence < other.sequence
        }
    }

    private var heap: [Entry] = []
    private var nextSequence: UInt64 = 0

    /// An empty queue.
    public init() {}

    /// Number of queued events.
    public var count: Int { heap.count }

    /// Whether no event is queued.
    public var isEmpty: Bool { heap.isEmpty }

    /// Time of the earliest event, or nil when empty.
    /// - Complexity: O(1).
    public var nextTime: SimTime? { heap.first.map { SimTime(nanoseconds: $0.nanoseconds) } }

    /// Queues `event` at `time`, after every event already queued at the same time.
    /// - Complexity: O(log n); amortised allocation-free once the heap has grown.
    public mutating func push(_ event: Event, at time: SimTime) {
        heap.append(Entry(nanoseconds: time.nanoseconds, sequence: nextSequence, event: event))
        nextSequence &+= 1
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest event (FIFO among equal times), or nil when empty.
    /// - Complexity: O(log n).
    public mutating func pop() -> (time: SimTime, event: Event)? {
        guard let first = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                if left >= heap.count { break }
                let right = left + 1
                let child = right < heap.count && heap[right].precedes(heap[left]) ? right : left
                guard heap[child].precedes(heap[parent]) else { break }
                heap.swapAt(child, parent)
                parent = child
            }
        }
        return (SimTime(nanoseconds: first.nanoseconds), first.event)
    }

    /// Empties the queue, keeping its storage (the sequence keeps counting, so FIFO order still holds).
    public mutating func removeAll() { heap.removeAll(keepingCapacity: true) }
}
