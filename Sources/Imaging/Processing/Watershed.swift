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
            queue.push(value: elevation.storage[index], index: Int32(index))
        }
        let offsets = connectivity.offsets
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
                        labels[neighbour] = label
                        queue.push(value: heights[neighbour], index: Int32(neighbour))
                    }
                }
            }
            }
        }
        return output
    }
}

/// A min-priority queue on (value, insertion order): entries with equal values leave in
/// the order they came. Each entry is one integer, the float's bits made order-preserving
/// followed by the insertion number, so a comparison is one instruction and the heap stays
/// small; the pixel index is looked up by insertion number.
struct FloodQueue {
    struct Entry {
        var index: Int32
    }

    private var heap: [UInt64] = []
    private var indexByOrder: [Int32] = []

    init(capacity: Int = 0) {
        heap.reserveCapacity(capacity)
        indexByOrder.reserveCapacity(capacity)
    }

    @inline(__always)
    static func orderedBits(_ value: Float) -> UInt32 {
        let bits = (value + 0).bitPattern  // + 0 turns −0 into +0, which compare equal
        return bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
    }

    mutating func push(value: Float, index: Int32) {
        let item = UInt64(Self.orderedBits(value)) << 32 | UInt64(UInt32(truncatingIfNeeded: indexByOrder.count))
        indexByOrder.append(index)
        heap.append(item)
        heap.withUnsafeMutableBufferPointer { heap in
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard item < heap[parent] else { break }
                heap[child] = heap[parent]
                child = parent
            }
            heap[child] = item
        }
    }

    mutating func pop() -> Entry? {
        guard let last = heap.popLast() else { return nil }
        let top: UInt64
        if heap.isEmpty {
            top = last
        } else {
            top = heap.withUnsafeMutableBufferPointer { heap in
                let top = heap[0]
                let count = heap.count
                var parent = 0
                while true {
                    var child = 2 * parent + 1
                    guard child < count else { break }
                    if child + 1 < count && heap[child + 1] < heap[child] { child += 1 }
                    guard heap[child] < last else { break }
                    heap[parent] = heap[child]
                    parent = child
                }
                heap[parent] = last
                return top
            }
        }
        return Entry(index: indexByOrder[Int(top & 0xFFFF_FFFF)])
    }
}
