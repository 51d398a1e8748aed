/// A priority queue of timed events: an array-backed binary min-heap ordered by
/// (time, insertion sequence), so events at equal times come out first-in,
/// first-out and every run is deterministic.
///
/// `Event` is the caller's typed event (usually an `enum`); the queue never
/// looks inside it.
public struct EventQueue<Event> {
    private struct Entry: Comparable {
        let nanoseconds: Int64
        let sequence: UInt64
        let event: Event

        static func < (a: Entry, b: Entry) -> Bool {
            a.nanoseconds != b.nanoseconds ? a.nanoseconds < b.nanoseconds : a.sequence < b.sequence
        }

        static func == (a: Entry, b: Entry) -> Bool { a.sequence == b.sequence }
    }

    private var heap = BinaryHeap<Entry>()
    private var nextSequence: UInt64 = 0

    /// An empty queue.
    public init() {}

    /// Number of queued events.
    public var count: Int { heap.count }

    /// Whether no event is queued.
    public var isEmpty: Bool { heap.isEmpty }

    /// Time of the earliest event, or nil when empty.
    /// - Complexity: O(1).
    public var nextTime: SimTime? { heap.min.map { SimTime(nanoseconds: $0.nanoseconds) } }

    /// Queues `event` at `time`, after every event already queued at the same time.
    /// - Complexity: O(log n); amortised allocation-free once the heap has grown.
    public mutating func push(_ event: Event, at time: SimTime) {
        heap.push(Entry(nanoseconds: time.nanoseconds, sequence: nextSequence, event: event))
        nextSequence &+= 1
    }

    /// Removes and returns the earliest event (FIFO among equal times), or nil when empty.
    /// - Complexity: O(log n).
    public mutating func pop() -> (time: SimTime, event: Event)? {
        heap.popMin().map { (SimTime(nanoseconds: $0.nanoseconds), $0.event) }
    }

    /// Empties the queue, keeping its storage (the sequence keeps counting, so FIFO order still holds).
    public mutating func removeAll() { heap.removeAll() }
}
