/// A point in pixel coordinates: pixel (x, y) has its centre at (x, y).
public struct Point: Sendable, Equatable, Hashable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// Fills polygons at pixel centres: a pixel is inside when the even-odd crossing test says
/// so or when its centre lies exactly on the outline (an edge or a vertex). This is
/// skimage.draw.polygon and, with 1-based vertices shifted by −1, MATLAB's poly2mask as the
/// MoNuSeg organisers used it.
public enum PolygonRasterizer {
    /// Calls `body(x, y)` once for every pixel inside the polygon and inside width × height.
    public static func forEachPixel(in polygon: [Point], width: Int, height: Int, _ body: (Int, Int) -> Void) {
        guard polygon.count >= 3, width > 0, height > 0 else { return }
        var minX = Double.infinity, maxX = -Double.infinity, minY = Double.infinity, maxY = -Double.infinity
        for point in polygon {
            minX = min(minX, point.x)
            maxX = max(maxX, point.x)
            minY = min(minY, point.y)
            maxY = max(maxY, point.y)
        }
        guard minX.isFinite, maxX.isFinite, minY.isFinite, maxY.isFinite else { return }
        let firstRow = max(0, Int(minY.rounded(.up)))
        let lastRow = min(height - 1, Int(maxY.rounded(.down)))
        let firstColumn = max(0, Int(minX.rounded(.up)))
        let lastColumn = min(width - 1, Int(maxX.rounded(.down)))
        guard firstRow <= lastRow, firstColumn <= lastColumn else { return }
        var row = [Bool](repeating: false, count: lastColumn - firstColumn + 1)
        func mark(_ from: Int, _ to: Int) {
            let low = max(from, firstColumn), high = min(to, lastColumn)
            if low <= high { for x in low...high { row[x - firstColumn] = true } }
        }
        var crossings: [Double] = []
        for rowIndex in firstRow...lastRow {
            let y = Double(rowIndex)
            crossings.removeAll(keepingCapacity: true)
            var previous = polygon[polygon.count - 1]
            for current in polygon {
                if (current.y <= y && y < previous.y) || (previous.y <= y && y < current.y) {
                    crossings.append((previous.x - current.x) * (y - current.y) / (previous.y - current.y) + current.x)
                }
                // Centres on the outline count as inside.
                if current.y == y && previous.y == y {
                    mark(Int(min(current.x, previous.x).rounded(.up)), Int(max(current.x, previous.x).rounded(.down)))
                } else if min(current.y, previous.y) <= y && y <= max(current.y, previous.y) {
                    let x = (previous.x - current.x) * (y - current.y) / (previous.y - current.y) + current.x
                    if x == x.rounded() { mark(Int(x), Int(x)) }
                }
                if current.y == y && current.x == current.x.rounded() { mark(Int(current.x), Int(current.x)) }
                previous = current
            }
            crossings.sort()
            // x is inside when an odd number of crossings lie strictly to its right.
            let total = crossings.count
            if total % 2 == 1 { mark(firstColumn, Int(crossings[0].rounded(.up)) - 1) }
            for k in 0..<total where (total - k - 1) % 2 == 1 {
                mark(Int(crossings[k].rounded(.up)), Int(crossings[k + 1].rounded(.up)) - 1)
            }
            for index in row.indices where row[index] {
                body(firstColumn + index, rowIndex)
                row[index] = false
            }
        }
    }

    public static func mask(_ polygon: [Point], width: Int, height: Int) -> Mask {
        var mask = Mask(width: width, height: height, repeating: false)
        forEachPixel(in: polygon, width: width, height: height) { x, y in mask.storage[y * width + x] = true }
        return mask
    }

    /// Paints `label` over the polygon's pixels and returns how many were painted.
    @discardableResult
    public static func paint(_ polygon: [Point], label: UInt32, into labels: inout LabelMap) -> Int {
        var painted = 0
        let width = labels.width, height = labels.height
        labels.storage.withUnsafeMutableBufferPointer { storage in
            forEachPixel(in: polygon, width: width, height: height) { x, y in
                storage[y * width + x] = label
                painted += 1
            }
        }
        return painted
    }
}
