/// Marker-controlled watershed by priority flood, the algorithm of
/// skimage.segmentation.watershed (without compactness or watershed lines): a pixel
/// takes the label of the neighbour that reaches it first, where the queue is ordered by
/// elevation and then by insertion order, so plateaus are split fairly.
public enum Watershed {
    /// Floods `elevation` from the non-zero `markers`, only inside `mask` when given.
    public static func flood(_ elevation: Plane, markers: LabelMap, mask: Mask? = nil,
                             connectivity: Connectivity = .four) throws(ImagingError) -> LabelMap {
        guard elevation.sameSize(as: markers), mask.map({ $0.sameSize(as: markers) }) ?? true else {
            throw .sizeMismatch("watershed needs elevation, markers and mask of one size")
        }
        let width = markers.width, height = markers.height
        var output = markers
        if let mask {
            for index in output.storage.indices where !mask.storage[index] { output.storage[index] = 0 }
        }
        var queue = FloodQueue()
        for index in output.storage.indices where output.storage[index] != 0 {
            queue.push(value: elevation.storage[index], age: 0, index: Int32(index))
        }
        let offsets = connectivity.offsets
        var age: Int64 = 0
        elevation.storage.withUnsafeBufferPointer { heights in
            output.storage.withUnsafeMutableBufferPointer { labels in
                while let entry = queue.pop() {
                    let index = Int(entry.index)
                    let x = index % width, y = index / width
                    let label = labels[index]
                    for (dx, dy) in offsets {
                        let nx = x + dx, ny = y + dy
                        guard nx >= 0, ny >= 0, nx < width, ny < height else { continue }
                        let neighbour = ny * width + nx
                        guard labels[neighbour] == 0 else { continue }
                        if let mask, !mask.storage[neighbour] { continue }
                        age += 1
                        labels[neighbour] = label
                        queue.push(value: heights[neighbour], age: age, index: Int32(neighbour))
                    }
                }
            }
        }
        return output
    }
}

/// A binary min-heap on (value, age).
struct FloodQueue {
    struct Entry {
        var value: Float
        var age: Int64
        var index: Int32
    }

    private var entries: [Entry] = []

    @inline(__always)
    private static func precedes(_ a: Entry, _ b: Entry) -> Bool {
        a.value < b.value || (a.value == b.value && a.age < b.age)
    }

    mutating func push(value: Float, age: Int64, index: Int32) {
        entries.append(Entry(value: value, age: age, index: index))
        var child = entries.count - 1
        let item = entries[child]
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.precedes(item, entries[parent]) else { break }
            entries[child] = entries[parent]
            child = parent
        }
        entries[child] = item
    }

    mutating func pop() -> Entry? {
        guard let last = entries.popLast() else { return nil }
        guard !entries.isEmpty else { return last }
        let top = entries[0]
        let count = entries.count
        var parent = 0
        entries.withUnsafeMutableBufferPointer { heap in
            while true {
                var child = 2 * parent + 1
                guard child < count else { break }
                if child + 1 < count && Self.precedes(heap[child + 1], heap[child]) { child += 1 }
                guard Self.precedes(heap[child], last) else { break }
                heap[parent] = heap[child]
                parent = child
            }
            heap[parent] = last
        }
        return top
    }
}
