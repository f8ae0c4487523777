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
            // Queue entries are indices into the framed copy below.
            queue.push(value: elevation.storage[index], index: Int32((index / width + 1) * (width + 2) + index % width + 1))
        }
        // Work on a copy with a one-pixel frame that no flood may enter, so neighbours need
        // no bounds tests and are plain index offsets.
        let paddedWidth = width + 2
        var allowed = [Bool](repeating: false, count: paddedWidth * (height + 2))
        var labels = [UInt32](repeating: 0, count: paddedWidth * (height + 2))
        var framedHeights = [Float](repeating: 0, count: paddedWidth * (height + 2))
        for y in 0..<height {
            for x in 0..<width {
                let index = y * width + x, padded = (y + 1) * paddedWidth + x + 1
                allowed[padded] = mask?.storage[index] ?? true
                framedHeights[padded] = elevation.storage[index]
                labels[padded] = output.storage[index]
            }
        }
        let steps = connectivity.offsets.map { $0.dy * paddedWidth + $0.dx }
        framedHeights.withUnsafeBufferPointer { heights in
            allowed.withUnsafeBufferPointer { allowed in
                labels.withUnsafeMutableBufferPointer { labels in
                    while let entry = queue.pop() {
                        let padded = Int(entry.index)
                        let label = labels[padded]
                        for step in steps {
                            let neighbour = padded + step
                            guard labels[neighbour] == 0, allowed[neighbour] else { continue }
                            labels[neighbour] = label
                            queue.push(value: heights[neighbour], index: Int32(neighbour))
                        }
                    }
                }
            }
        }
        for y in 0..<height {
            for x in 0..<width { output.storage[y * width + x] = labels[(y + 1) * paddedWidth + x + 1] }
        }
        return output
    }
}

/// A 4-ary min-heap on (value, insertion order): entries with equal values leave in
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
                let parent = (child - 1) / 4
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
                    // Four children per node: half the levels of a binary heap, and the
                    // children share a cache line.
                    let first = 4 * parent + 1
                    guard first < count else { break }
                    var child = first
                    for candidate in (first + 1)..<min(first + 4, count) where heap[candidate] < heap[child] {
                        child = candidate
                    }
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
