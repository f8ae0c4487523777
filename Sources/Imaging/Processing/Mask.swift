/// A binary mask: true = foreground.
public typealias Mask = Grid<Bool>

/// Which neighbours touch a pixel: the 4 edge neighbours, or also the 4 diagonal ones.
public enum Connectivity: Sendable {
    case four
    case eight

    /// Neighbour offsets as (dx, dy), edge neighbours first.
    var offsets: [(dx: Int, dy: Int)] {
        switch self {
        case .four: [(0, -1), (-1, 0), (1, 0), (0, 1)]
        case .eight: [(0, -1), (-1, 0), (1, 0), (0, 1), (-1, -1), (1, -1), (-1, 1), (1, 1)]
        }
    }
}

extension Grid where Element == Bool {
    /// Bounding box of the foreground, `x0..<x1 × y0..<y1`; nil when the mask is empty.
    public var boundingBox: (x0: Int, y0: Int, x1: Int, y1: Int)? {
        var x0 = Int.max, y0 = Int.max, x1 = -1, y1 = -1
        for y in 0..<height {
            for x in 0..<width where storage[y * width + x] {
                x0 = min(x0, x); y0 = min(y0, y); x1 = max(x1, x + 1); y1 = max(y1, y + 1)
            }
        }
        return x1 < 0 ? nil : (x0, y0, x1, y1)
    }
}

extension Grid where Element == UInt32 {
    /// Pixels that belong to any instance.
    public var foreground: Mask {
        Mask(width: width, height: height, uncheckedStorage: storage.map { $0 != 0 })
    }

    /// Pixel count per label, indexed by label (index 0 = background).
    public func areas() -> [Int] {
        var counts = [Int](repeating: 0, count: Int(maxLabel) + 1)
        for value in storage { counts[Int(value)] += 1 }
        return counts
    }

    /// Relabels instances to 1...N in order of first appearance (raster order).
    public func relabeledSequentially() -> LabelMap {
        var mapping = [UInt32: UInt32]()
        var next: UInt32 = 1
        var out = self
        for index in storage.indices where storage[index] != 0 {
            let value = storage[index]
            if let mapped = mapping[value] {
                out.storage[index] = mapped
            } else {
                mapping[value] = next
                out.storage[index] = next
                next += 1
            }
        }
        return out
    }
}

extension Grid {
    /// Builds a grid whose storage is known to fit (internal callers only).
    init(width: Int, height: Int, uncheckedStorage storage: [Element]) {
        precondition(width >= 0 && height >= 0 && storage.count == width * height, "storage does not match the grid size")
        self.width = width
        self.height = height
        self.storage = storage
    }

    /// A same-sized grid of another element type.
    public func map<Other>(_ transform: (Element) throws -> Other) rethrows -> Grid<Other> {
        Grid<Other>(width: width, height: height, uncheckedStorage: try storage.map(transform))
    }

    /// The rectangle [x, x+width) × [y, y+height); it must lie inside the grid.
    public func cropped(x: Int, y: Int, width cropWidth: Int, height cropHeight: Int) -> Grid {
        precondition(x >= 0 && y >= 0 && x + cropWidth <= width && y + cropHeight <= height, "crop outside the grid")
        var values: [Element] = []
        values.reserveCapacity(cropWidth * cropHeight)
        for row in y..<(y + cropHeight) {
            values.append(contentsOf: storage[(row * width + x)..<(row * width + x + cropWidth)])
        }
        return Grid(width: cropWidth, height: cropHeight, uncheckedStorage: values)
    }
}
