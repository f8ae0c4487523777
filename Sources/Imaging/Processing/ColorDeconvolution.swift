import Foundation

/// Optical densities of the three stains of an H&E(-DAB) image, one plane each.
public struct StainPlanes: Sendable, Equatable {
    public var hematoxylin: Plane
    public var eosin: Plane
    public var dab: Plane

    public init(hematoxylin: Plane, eosin: Plane, dab: Plane) {
        self.hematoxylin = hematoxylin
        self.eosin = eosin
        self.dab = dab
    }
}

/// Ruifrok & Johnston colour deconvolution with scikit-image's stain vectors and scaling,
/// so `rgb2hed` / `hed2rgb` values carry over (stain = log(rgb) / log(1e-6) · M⁻¹, floored at 0).
public enum ColorDeconvolution {
    /// Rows: the RGB optical-density vectors of hematoxylin, eosin and DAB.
    public static let rgbFromHED: [[Double]] = [[0.65, 0.70, 0.29], [0.07, 0.99, 0.11], [0.27, 0.57, 0.78]]

    public static let hedFromRGB: [[Double]] = invert3x3(rgbFromHED)

    /// log(max(v/255, 1e-6)) / log(1e-6) for every byte, so per-pixel work is 9 multiply-adds.
    private static let opticalDensity: [Float] = (0..<256).map { value in
        Float(log(max(Double(value) / 255, 1e-6)) / log(1e-6))
    }

    public static func separate(_ image: RGBImage) -> StainPlanes {
        let count = image.width * image.height
        var hPlane = [Float](repeating: 0, count: count)
        var ePlane = hPlane, dPlane = hPlane
        let m = hedFromRGB.map { $0.map(Float.init) }
        image.pixels.withUnsafeBufferPointer { pixels in
            opticalDensity.withUnsafeBufferPointer { density in
                hPlane.withUnsafeMutableBufferPointer { h in
                    ePlane.withUnsafeMutableBufferPointer { e in
                        dPlane.withUnsafeMutableBufferPointer { d in
                            for index in 0..<count {
                                let r = density[Int(pixels[3 * index])]
                                let g = density[Int(pixels[3 * index + 1])]
                                let b = density[Int(pixels[3 * index + 2])]
                                h[index] = max(0, r * m[0][0] + g * m[1][0] + b * m[2][0])
                                e[index] = max(0, r * m[0][1] + g * m[1][1] + b * m[2][1])
                                d[index] = max(0, r * m[0][2] + g * m[1][2] + b * m[2][2])
                            }
                        }
                    }
                }
            }
        }
        return StainPlanes(
            hematoxylin: Plane(width: image.width, height: image.height, uncheckedStorage: hPlane),
            eosin: Plane(width: image.width, height: image.height, uncheckedStorage: ePlane),
            dab: Plane(width: image.width, height: image.height, uncheckedStorage: dPlane))
    }

    /// Recombined RGB in [0, 1] per channel, interleaved (skimage's `hed2rgb`).
    public static func combineToUnit(_ stains: StainPlanes) -> [Float] {
        let count = stains.hematoxylin.count
        let scale = -log(1e-6)
        let m = rgbFromHED.map { $0.map { Float($0 * scale) } }
        var rgb = [Float](repeating: 0, count: count * 3)
        for index in 0..<count {
            let h = stains.hematoxylin.storage[index]
            let e = stains.eosin.storage[index]
            let d = stains.dab.storage[index]
            for channel in 0..<3 {
                let logValue = -(h * m[0][channel] + e * m[1][channel] + d * m[2][channel])
                rgb[3 * index + channel] = min(1, max(0, exp(logValue)))
            }
        }
        return rgb
    }

    /// The inverse of `separate`, rounded to 8 bits.
    public static func combine(_ stains: StainPlanes) -> RGBImage {
        let unit = combineToUnit(stains)
        let pixels = unit.map { UInt8(($0 * 255).rounded()) }
        // Sizes come from planes of one image.
        return try! RGBImage(width: stains.hematoxylin.width, height: stains.hematoxylin.height, pixels: pixels)
    }

    static func invert3x3(_ m: [[Double]]) -> [[Double]] {
        let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        var inverse = [[Double]](repeating: [0, 0, 0], count: 3)
        for row in 0..<3 {
            for column in 0..<3 {
                let r1 = (column + 1) % 3, r2 = (column + 2) % 3
                let c1 = (row + 1) % 3, c2 = (row + 2) % 3
                inverse[row][column] = (m[r1][c1] * m[r2][c2] - m[r1][c2] * m[r2][c1]) / det
            }
        }
        return inverse
    }
}
