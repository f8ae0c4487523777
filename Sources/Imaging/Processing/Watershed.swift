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
        var queue = FloodQueue(capacity: mask.map { $0.storage.count { $0 } } ?? output.count)
        for index in output.storage.indices where output.storage[index] != 0 {
            queue.push(value: elevation.storage[index], age: 0, index: Int32(index))
        }
        let offsets = connectivity.offsets
        var age: Int64 = 0
        let allowed = mask?.storage ?? [Bool](repeating: true, count: output.count)
        elevation.storage.withUnsafeBufferPointer { heights in
            allowed.withUnsafeBufferPointer { allowed in
            output.storage.withUnsafeMutableBufferPointer { labels in
                while let entry = queue.pop() {
                    let index = Int(entry.index)
                    let x = index % width, y = index / width
                    let label = labels[index]
                    for (dx, dy) in offsets {
                        let nx = x + dx, ny = y + dy
                        guard nx >= 0, ny >= 0, nx < width, ny < height else { continue }
                        let neighbour = ny * width + nx
                        guard labels[neighbour] == 0, allowed[neighbour] else { continue }
                        age += 1
                        labels[neighbour] = label
                        queue.push(value: heights[neighbour], age: age, index: Int32(neighbour))
                    }
                }
            }
            }
        }
        return output
    }
}

/// A binary min-heap on (value, age), both packed into one integer key so a comparison is
/// a single instruction: the float's bits made order-preserving, then the age.
struct FloodQueue {
    struct Entry {
        var key: UInt64
        var index: Int32
    }

    private var entries: [Entry] = []

    init(capacity: Int = 0) {
        entries.reserveCapacity(capacity)
    }

    @inline(__always)
    static func key(value: Float, age: Int64) -> UInt64 {
        let bits = (value + 0).bitPattern  // + 0 turns −0 into +0, which compare equal
        let ordered = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        return UInt64(ordered) << 32 | UInt64(UInt32(truncatingIfNeeded: age))
    }

    mutating func push(value: Float, age: Int64, index: Int32) {
        let item = Entry(key: Self.key(value: value, age: age), index: index)
        entries.append(item)
        entries.withUnsafeMutableBufferPointer { heap in
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard item.key < heap[parent].key else { break }
                heap[child] = heap[parent]
                child = parent
            }
            heap[child] = item
        }
    }

    mutating func pop() -> Entry? {
        guard let last = entries.popLast() else { return nil }
        guard !entries.isEmpty else { return last }
        return entries.withUnsafeMutableBufferPointer { heap in
            let top = heap[0]
            let count = heap.count
            var parent = 0
            while true {
                var child = 2 * parent + 1
                guard child < count else { break }
                if child + 1 < count && heap[child + 1].key < heap[child].key { child += 1 }
                guard heap[child].key < last.key else { break }
                heap[parent] = heap[child]
                parent = child
            }
            heap[parent] = last
            return top
        }
    }
}
