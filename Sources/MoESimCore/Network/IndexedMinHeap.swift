/// A binary min-heap of items 0..<n keyed by Int64, with each item's position
/// tracked so that its key can be changed in O(log n). Equal keys come out by
/// lower item index, so the order never depends on insertion history.
struct IndexedMinHeap {
    private var heap: [Int32] = []
    private var position: [Int32] = []   // −1 when not in the heap
    private var keys: [Int64] = []

    /// Makes room for items 0..<count.
    mutating func grow(to count: Int) {
        while position.count < count {
            position.append(-1)
            keys.append(.max)
        }
    }

    /// The item with the smallest key, and its key.
    var min: (Int32, Int64)? { heap.first.map { ($0, keys[Int($0)]) } }

    /// The smallest key.
    var minKey: Int64? { heap.first.map { keys[Int($0)] } }

    /// Inserts `item` with `key`, or moves it to `key` if present.
    /// - Complexity: O(log n).
    mutating func set(_ item: Int, key: Int64) {
        let old = keys[item]
        keys[item] = key
        if position[item] < 0 {
            position[item] = Int32(heap.count)
            heap.append(Int32(item))
            siftUp(heap.count - 1)
        } else if key < old {
            siftUp(Int(position[item]))
        } else {
            siftDown(Int(position[item]))
        }
    }

    /// Removes the smallest item.
    mutating func removeMin() {
        guard let first = heap.first else { return }
        position[Int(first)] = -1
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            position[Int(last)] = 0
            siftDown(0)
        }
    }

    /// Takes `item` out of the heap if it is in it.
    /// - Complexity: O(log n).
    mutating func remove(_ item: Int) {
        let at = Int(position[item])
        guard at >= 0 else { return }
        position[item] = -1
        keys[item] = .max
        let last = heap.removeLast()
        guard at < heap.count else { return }
        heap[at] = last
        position[Int(last)] = Int32(at)
        siftUp(at)
        siftDown(Int(position[Int(last)]))
    }

    /// Empties the heap, keeping storage.
    mutating func removeAll() {
        for item in heap { position[Int(item)] = -1 }
        heap.removeAll(keepingCapacity: true)
        position.removeAll(keepingCapacity: true)
        keys.removeAll(keepingCapacity: true)
    }

    @inline(__always) private func precedes(_ a: Int32, _ b: Int32) -> Bool {
        let ka = keys[Int(a)], kb = keys[Int(b)]
        return ka != kb ? ka < kb : a < b
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        let item = heap[child]
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(item, heap[parent]) else { break }
            heap[child] = heap[parent]
            position[Int(heap[child])] = Int32(child)
            child = parent
        }
        heap[child] = item
        position[Int(item)] = Int32(child)
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        let item = heap[parent]
        while true {
            let left = 2 * parent + 1
            if left >= heap.count { break }
            let right = left + 1
            let child = right < heap.count && precedes(heap[right], heap[left]) ? right : left
            guard precedes(heap[child], item) else { break }
            heap[parent] = heap[child]
            position[Int(heap[parent])] = Int32(parent)
            parent = child
        }
        heap[parent] = item
        position[Int(item)] = Int32(parent)
    }
}
