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
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard elements[child] < elements[parent] else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the smallest element, or nil when empty.
    /// - Complexity: O(log n).
    public mutating func popMin() -> Element? {
        guard let first = elements.first else { return nil }
        let last = elements.removeLast()
        if !elements.isEmpty {
            elements[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                if left >= elements.count { break }
                let right = left + 1
                let child = right < elements.count && elements[right] < elements[left] ? right : left
                guard elements[child] < elements[parent] else { break }
                elements.swapAt(child, parent)
                parent = child
            }
        }
        return first
    }

    /// Empties the heap, keeping storage.
    public mutating func removeAll() { elements.removeAll(keepingCapacity: true) }
}
