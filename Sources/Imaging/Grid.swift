/// A width × height grid holding one value per pixel, row-major (index = y * width + x).
///
/// The one pixel container of the project: label maps, masks and float planes are grids
/// of different element types.
public struct Grid<Element: Sendable>: Sendable {
    public let width: Int
    public let height: Int
    public var storage: [Element]

    public init(width: Int, height: Int, repeating value: Element) {
        precondition(width >= 0 && height >= 0, "grid size must not be negative")
        self.width = width
        self.height = height
        self.storage = Array(repeating: value, count: width * height)
    }

    /// Wraps existing storage; its count must be width × height.
    public init(width: Int, height: Int, storage: [Element]) throws(ImagingError) {
        guard width >= 0, height >= 0, storage.count == width * height else {
            throw .sizeMismatch("grid of \(width)×\(height) needs \(max(0, width * height)) values, got \(storage.count)")
        }
        self.width = width
        self.height = height
        self.storage = storage
    }

    public var count: Int { width * height }

    public subscript(x: Int, y: Int) -> Element {
        get { storage[y * width + x] }
        set { storage[y * width + x] = newValue }
    }

    public func sameSize<Other>(as other: Grid<Other>) -> Bool {
        width == other.width && height == other.height
    }
}

extension Grid: Equatable where Element: Equatable {}

/// Instance label map: 0 = background, 1...N = instances (ids need not be contiguous).
public typealias LabelMap = Grid<UInt32>

/// One channel of floating-point values.
public typealias Plane = Grid<Float>

extension Grid where Element == UInt32 {
    /// Largest label present (0 for an empty map).
    public var maxLabel: UInt32 { storage.max() ?? 0 }

    /// Distinct non-zero labels, ascending.
    public var instanceIDs: [UInt32] {
        var seen = Set<UInt32>()
        for value in storage where value != 0 { seen.insert(value) }
        return seen.sorted()
    }
}
