/// An array-backed binary min-heap: the smallest element (by `<`) comes out first.
/// The event queue and the max-min solver's link heap are both this.
public struct BinaryHeap<Element: Comparable> {
    private var elements: [Element] = []

    /// An empty heap.
    public init() {}

    /// Number of elements.
    public var count: Int { elements.count }

    /// Whether the heap is empty.
    public var isEmpty: Bool { elements.isEmpty }

    /// The smallest element, or nil.
    /// - Complexity: O(1).
    public var min: Element? { elements.first }

    /// Adds `element`.
    /// - Complexity: O(log n); amortised allocation-free once grown.
    public mutating func push(_ element: Element) {
        elements.append(element)
        elements.withUnsafeMutableBufferPointer { heap in
            // Sift a hole up from the new leaf, moving larger parents down into it.
            var hole = heap.count - 1
            while hole > 0 {
                let parent = (hole - 1) / 2
                guard element < heap[parent] else { break }
                heap[hole] = heap[parent]
                hole = parent
            }
            heap[hole] = element
        }
    }

    /// Removes and returns the smallest element, or nil when empty.
    /// - Complexity: O(log n).
    public mutating func popMin() -> Element? {
        guard let first = elements.first else { return nil }
        let last = elements.removeLast()
        guard !elements.isEmpty else { return first }
        elements.withUnsafeMutableBufferPointer { heap in
            // Sift a hole down from the root, moving smaller children up, until `last` fits in it.
            var hole = 0
            while true {
                var child = 2 * hole + 1
                if child >= heap.count { break }
                if child + 1 < heap.count && heap[child + 1] < heap[child] { child += 1 }
                guard heap[child] < last else { break }
                heap[hole] = heap[child]
                hole = child
            }
            heap[hole] = last
        }
        return first
    }

    /// Empties the heap, keeping storage.
    public mutating func removeAll() { elements.removeAll(keepingCapacity: true) }
}
