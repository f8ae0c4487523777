/// Where one instance of a label map lies: its bounding box `x0..<x1 × y0..<y1` and its
/// pixel count.
public struct InstanceExtent: Sendable, Equatable {
    public var x0: Int, y0: Int, x1: Int, y1: Int
    public var area: Int

    public init(x0: Int, y0: Int, x1: Int, y1: Int, area: Int) {
        self.x0 = x0; self.y0 = y0; self.x1 = x1; self.y1 = y1; self.area = area
    }
}

extension Grid where Element == UInt32 {
    /// The extent of every instance, in label order, from one pass over the map.
    public func instanceExtents() -> [(id: UInt32, extent: InstanceExtent)] {
        var extents: [UInt32: InstanceExtent] = [:]
        for y in 0..<height {
            for x in 0..<width {
                let id = storage[y * width + x]
                guard id != 0 else { continue }
                if var e = extents[id] {
                    e.x0 = min(e.x0, x); e.y0 = min(e.y0, y); e.x1 = max(e.x1, x + 1); e.y1 = max(e.y1, y + 1)
                    e.area += 1
                    extents[id] = e
                } else {
                    extents[id] = InstanceExtent(x0: x, y0: y, x1: x + 1, y1: y + 1, area: 1)
                }
            }
        }
        return extents.sorted { $0.key < $1.key }.map { (id: $0.key, extent: $0.value) }
    }
}
