import Dispatch

/// Exact Euclidean distance transform in linear time (Felzenszwalb & Huttenlocher 2012):
/// for every foreground pixel the distance to the nearest background pixel, 0 on the
/// background (scipy.ndimage.distance_transform_edt). Only pixels inside the image count
/// as background; a mask with no background at all gives +∞ everywhere.
public enum DistanceTransform {
    public static func euclidean(_ mask: Mask) -> Plane {
        let width = mask.width, height = mask.height
        guard width > 0, height > 0 else { return Plane(width: width, height: height, repeating: 0) }
        // Pass 1: squared distance to the nearest background pixel in the same column,
        // done as two sweeps over whole rows so memory is read contiguously.
        let unreachable = Int32.max / 4
        var column = [Int32](repeating: 0, count: width * height)
        mask.storage.withUnsafeBufferPointer { pixels in
            column.withUnsafeMutableBufferPointer { d in
                for x in 0..<width { d[x] = pixels[x] ? unreachable : 0 }
                for y in 1..<max(height, 1) {
                    let row = y * width
                    for x in 0..<width { d[row + x] = pixels[row + x] ? min(d[row - width + x] + 1, unreachable) : 0 }
                }
                if height > 1 {
                    for y in stride(from: height - 2, through: 0, by: -1) {
                        let row = y * width
                        for x in 0..<width { d[row + x] = min(d[row + x], d[row + width + x] + 1) }
                    }
                }
                for index in 0..<(width * height) where d[index] < unreachable {
                    d[index] = d[index] * d[index]
                }
            }
        }
        // Pass 2: per row, the lower envelope of the parabolas (x − q)² + f(q).
        var out = [Float](repeating: 0, count: width * height)
        let chunks = min(height, 8)
        column.withUnsafeBufferPointer { f in
            out.withUnsafeMutableBufferPointer { result in
                nonisolated(unsafe) let fBase = f.baseAddress!
                nonisolated(unsafe) let outBase = result.baseAddress!
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    var vertices = [Int](repeating: 0, count: width)
                    var boundaries = [Double](repeating: 0, count: width + 1)
                    for y in (height * chunk / chunks)..<(height * (chunk + 1) / chunks) {
                        lowerEnvelope(fBase + y * width, count: width, unreachable: unreachable,
                                      vertices: &vertices, boundaries: &boundaries, output: outBase + y * width)
                    }
                }
            }
        }
        return Plane(width: width, height: height, uncheckedStorage: out)
    }

    private static func lowerEnvelope(_ f: UnsafePointer<Int32>, count: Int, unreachable: Int32,
                                      vertices: inout [Int], boundaries: inout [Double],
                                      output: UnsafeMutablePointer<Float>) {
        var k = -1
        for q in 0..<count where f[q] < unreachable {
            let fq = Double(f[q]) + Double(q * q)
            while k >= 0 {
                let v = vertices[k]
                let s = (fq - (Double(f[v]) + Double(v * v))) / Double(2 * (q - v))
                if s <= boundaries[k] { k -= 1 } else {
                    k += 1
                    vertices[k] = q
                    boundaries[k] = s
                    break
                }
            }
            if k < 0 {
                k = 0
                vertices[0] = q
                boundaries[0] = -.infinity
            }
        }
        guard k >= 0 else {
            for x in 0..<count { output[x] = .infinity }
            return
        }
        boundaries[k + 1] = .infinity
        var j = 0
        for x in 0..<count {
            while boundaries[j + 1] < Double(x) { j += 1 }
            let v = vertices[j]
            let dx = x - v
            output[x] = Float(Double(dx * dx) + Double(f[v])).squareRoot()
        }
    }
}
