/// How filters read pixels outside the image.
public enum BorderMode: Sendable {
    /// Mirror including the edge pixel (d c b a | a b c d | d c b a): scipy.ndimage "reflect".
    case reflect
    /// Mirror without repeating the edge (d c b | a b c d | c b a): OpenCV BORDER_REFLECT_101.
    case reflect101
    /// Repeat the edge pixel.
    case replicate
    /// Zeros, as a zero-padded convolution.
    case zero

    /// The source index for position `index` of a line of `count` samples, or nil for a zero.
    @inline(__always)
    func source(_ index: Int, count: Int) -> Int? {
        if index >= 0 && index < count { return index }
        switch self {
        case .zero:
            return nil
        case .replicate:
            return min(max(index, 0), count - 1)
        case .reflect:
            let period = 2 * count
            var folded = index % period
            if folded < 0 { folded += period }
            return folded < count ? folded : period - 1 - folded
        case .reflect101:
            if count == 1 { return 0 }
            let period = 2 * count - 2
            var folded = index % period
            if folded < 0 { folded += period }
            return folded < count ? folded : period - folded
        }
    }
}

/// Separable and dense correlation of planes; the other filters are built on these.
enum Correlation {
    /// Correlates every row with `kernel` (centred), reading outside by `border`.
    static func rows(_ plane: Plane, kernel: [Float], border: BorderMode) -> Plane {
        let radius = kernel.count / 2
        let width = plane.width
        var out = Plane(width: width, height: plane.height, repeating: 0)
        var padded = [Float](repeating: 0, count: width + 2 * radius)
        plane.storage.withUnsafeBufferPointer { input in
            out.storage.withUnsafeMutableBufferPointer { output in
                padded.withUnsafeMutableBufferPointer { line in
                    for y in 0..<plane.height {
                        let row = y * width
                        for index in 0..<(width + 2 * radius) {
                            line[index] = border.source(index - radius, count: width).map { input[row + $0] } ?? 0
                        }
                        for x in 0..<width { output[row + x] = 0 }
                        for (offset, weight) in kernel.enumerated() {
                            for x in 0..<width { output[row + x] += weight * line[x + offset] }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Correlates every column with `kernel` (centred), reading outside by `border`.
    static func columns(_ plane: Plane, kernel: [Float], border: BorderMode) -> Plane {
        let radius = kernel.count / 2
        let width = plane.width
        let height = plane.height
        var out = Plane(width: width, height: height, repeating: 0)
        plane.storage.withUnsafeBufferPointer { input in
            out.storage.withUnsafeMutableBufferPointer { output in
                for y in 0..<height {
                    let row = y * width
                    for (offset, weight) in kernel.enumerated() {
                        guard let source = border.source(y + offset - radius, count: height) else { continue }
                        let sourceRow = source * width
                        for x in 0..<width { output[row + x] += weight * input[sourceRow + x] }
                    }
                }
            }
        }
        return out
    }
}
