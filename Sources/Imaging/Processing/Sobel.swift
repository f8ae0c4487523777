import Dispatch

/// Horizontal and vertical derivative maps.
public struct Gradients: Sendable {
    public var horizontal: Plane
    public var vertical: Plane
}

/// Large Sobel-like derivative filters with HoVerNet's kernel (`get_sobel_kernel`):
/// for offsets x, y in −r...r, h = x / (x² + y²) and v = y / (x² + y²), 0 at the centre.
/// Applied as a correlation (like torch conv2d), so a rising ramp gives a positive response.
public enum Sobel {
    public static func kernels(size: Int) -> (horizontal: [Float], vertical: [Float]) {
        precondition(size % 2 == 1 && size >= 3, "Sobel kernels have odd sizes ≥ 3")
        let radius = size / 2
        var horizontal = [Float](), vertical = [Float]()
        for y in -radius...radius {
            for x in -radius...radius {
                let norm = Double(x * x + y * y) + 1e-15
                horizontal.append(Float(Double(x) / norm))
                vertical.append(Float(Double(y) / norm))
            }
        }
        return (horizontal, vertical)
    }

    /// Both derivatives of `plane`; rows are split over the available cores.
    public static func apply(_ plane: Plane, size: Int = 5, border: BorderMode = .reflect101) -> Gradients {
        let radius = size / 2
        let width = plane.width, height = plane.height
        let paddedWidth = width + 2 * radius
        // Pad once so the inner loops are plain multiply-adds over contiguous rows.
        var padded = [Float](repeating: 0, count: paddedWidth * (height + 2 * radius))
        for py in 0..<(height + 2 * radius) {
            guard let sy = border.source(py - radius, count: height) else { continue }
            for px in 0..<paddedWidth {
                if let sx = border.source(px - radius, count: width) {
                    padded[py * paddedWidth + px] = plane.storage[sy * width + sx]
                }
            }
        }
        // The kernels are odd: h(x, y) = −h(−x, y) and v(x, y) = −v(x, −y), so each
        // weight multiplies a difference of two samples and half the work disappears.
        var weights = [Float](repeating: 0, count: (radius + 1) * (2 * radius + 1))
        for dy in -radius...radius {
            for dx in 1...max(1, radius) {
                weights[(dy + radius) * (radius + 1) + dx] = Float(Double(dx) / (Double(dx * dx + dy * dy) + 1e-15))
            }
        }
        var horizontal = [Float](repeating: 0, count: width * height)
        var vertical = [Float](repeating: 0, count: width * height)
        let chunks = min(height, 8)
        padded.withUnsafeBufferPointer { source in
            weights.withUnsafeBufferPointer { w in
                horizontal.withUnsafeMutableBufferPointer { hOut in
                    vertical.withUnsafeMutableBufferPointer { vOut in
                        nonisolated(unsafe) let hBase = hOut.baseAddress!
                        nonisolated(unsafe) let vBase = vOut.baseAddress!
                        nonisolated(unsafe) let source = source.baseAddress!
                        nonisolated(unsafe) let w = w.baseAddress!
                        DispatchQueue.concurrentPerform(iterations: max(chunks, 1)) { chunk in
                            let first = height * chunk / chunks, last = height * (chunk + 1) / chunks
                            for y in first..<last {
                                let hRow = hBase + y * width
                                let vRow = vBase + y * width
                                let centre = (y + radius) * paddedWidth + radius
                                for dy in -radius...radius {
                                    let row = centre + dy * paddedWidth
                                    for dx in 1...radius {
                                        let weight = w[(dy + radius) * (radius + 1) + dx]
                                        let right = row + dx, left = row - dx
                                        for x in 0..<width {
                                            hRow[x] += weight * (source[right + x] - source[left + x])
                                        }
                                    }
                                }
                                // v(x, y) = h(y, x): the same weights with the roles of the axes swapped.
                                for dx in -radius...radius {
                                    for dy in 1...radius {
                                        let weight = w[(dx + radius) * (radius + 1) + dy]
                                        let below = centre + dy * paddedWidth + dx, above = centre - dy * paddedWidth + dx
                                        for x in 0..<width {
                                            vRow[x] += weight * (source[below + x] - source[above + x])
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Gradients(horizontal: Plane(width: width, height: height, uncheckedStorage: horizontal),
                         vertical: Plane(width: width, height: height, uncheckedStorage: vertical))
    }
}
