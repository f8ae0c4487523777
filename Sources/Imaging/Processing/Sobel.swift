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
        precondition(size % 2 == 1 && size >= 3, "Sobel kernels have odd sizes ≥ 3")
        let radius = size / 2
        let width = plane.width, height = plane.height
        guard width > 0, height > 0 else { return Gradients(horizontal: plane, vertical: plane) }
        // Pad once (rounded up to whole SIMD vectors) so inner loops need no border tests.
        let lanes = 8
        let paddedWidth = (width + 2 * radius + lanes - 1) / lanes * lanes + lanes
        var padded = [Float](repeating: 0, count: paddedWidth * (height + 2 * radius))
        for py in 0..<(height + 2 * radius) {
            guard let sy = border.source(py - radius, count: height) else { continue }
            for px in 0..<(width + 2 * radius) {
                if let sx = border.source(px - radius, count: width) {
                    padded[py * paddedWidth + px] = plane.storage[sy * width + sx]
                }
            }
        }
        // w(a, b) = a / (a² + b²) for a in 1...r, b in 0...r. Both kernels are odd in one
        // axis and even in the other, so with t = s(y+b) ± s(y−b) (rows) each output is
        // Σ_b Σ_a w(a, b)·(t(x+a) ∓ t(x−a)): a quarter of the kernel's multiply-adds.
        var weights = [Float](repeating: 0, count: (radius + 1) * (radius + 1))
        for b in 0...radius {
            for a in 1...radius { weights[b * (radius + 1) + a] = Float(Double(a) / (Double(a * a + b * b) + 1e-15)) }
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
                        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                            let vectors = (width + lanes - 1) / lanes
                            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 4 * paddedWidth)
                            scratch.initialize(repeating: 0, count: 4 * paddedWidth)
                            defer { scratch.deallocate() }
                            let rowSum = scratch, rowDifference = scratch + paddedWidth
                            let hAcc = scratch + 2 * paddedWidth, vAcc = scratch + 3 * paddedWidth
                            for y in (height * chunk / chunks)..<(height * (chunk + 1) / chunks) {
                                for index in 0..<paddedWidth { hAcc[index] = 0; vAcc[index] = 0 }
                                let centre = (y + radius) * paddedWidth
                                for b in 0...radius {
                                    let below = source + centre + b * paddedWidth, above = source + centre - b * paddedWidth
                                    if b == 0 {
                                        for index in 0..<paddedWidth { rowSum[index] = below[index] }
                                    } else {
                                        for index in 0..<paddedWidth {
                                            rowSum[index] = below[index] + above[index]
                                            rowDifference[index] = below[index] - above[index]
                                        }
                                    }
                                    for a in 1...radius {
                                        // h: odd in x (weight w(a, b)); v: odd in y, even in x (weight w(b, a)).
                                        let wh = SIMD8<Float>(repeating: w[b * (radius + 1) + a])
                                        for vector in 0..<vectors {
                                            let x = vector * lanes + radius
                                            let right = UnsafeRawPointer(rowSum + x + a).loadUnaligned(as: SIMD8<Float>.self)
                                            let left = UnsafeRawPointer(rowSum + x - a).loadUnaligned(as: SIMD8<Float>.self)
                                            let accumulator = UnsafeMutableRawPointer(hAcc + vector * lanes)
                                            let sum = accumulator.loadUnaligned(as: SIMD8<Float>.self) + wh * (right - left)
                                            accumulator.storeBytes(of: sum, as: SIMD8<Float>.self)
                                        }
                                    }
                                    guard b > 0 else { continue }
                                    for a in 0...radius {
                                        let weight = a == 0 ? Float(1) / Float(b) : w[a * (radius + 1) + b]
                                        let wv = SIMD8<Float>(repeating: weight)
                                        for vector in 0..<vectors {
                                            let x = vector * lanes + radius
                                            var pair = UnsafeRawPointer(rowDifference + x + a).loadUnaligned(as: SIMD8<Float>.self)
                                            if a > 0 { pair += UnsafeRawPointer(rowDifference + x - a).loadUnaligned(as: SIMD8<Float>.self) }
                                            let accumulator = UnsafeMutableRawPointer(vAcc + vector * lanes)
                                            let sum = accumulator.loadUnaligned(as: SIMD8<Float>.self) + wv * pair
                                            accumulator.storeBytes(of: sum, as: SIMD8<Float>.self)
                                        }
                                    }
                                }
                                (hBase + y * width).update(from: hAcc, count: width)
                                (vBase + y * width).update(from: vAcc, count: width)
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
