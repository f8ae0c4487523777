import Foundation

/// Separable Gaussian smoothing, scipy.ndimage.gaussian_filter's kernel
/// (radius = ⌊truncate·σ + 0.5⌋, weights normalised to sum 1).
public enum GaussianBlur {
    public static func kernel(sigma: Double, truncate: Double = 4) -> [Float] {
        let radius = Int(truncate * sigma + 0.5)
        let weights = (-radius...radius).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
        let total = weights.reduce(0, +)
        return weights.map { Float($0 / total) }
    }

    public static func apply(_ plane: Plane, sigma: Double, truncate: Double = 4,
                             border: BorderMode = .reflect) -> Plane {
        guard sigma > 0, plane.count > 0 else { return plane }
        let weights = kernel(sigma: sigma, truncate: truncate)
        return Correlation.columns(Correlation.rows(plane, kernel: weights, border: border),
                                   kernel: weights, border: border)
    }

    /// Each channel smoothed as a plane, rounded back to 8 bits.
    public static func apply(_ image: RGBImage, sigma: Double, truncate: Double = 4,
                             border: BorderMode = .reflect) -> RGBImage {
        guard sigma > 0, image.width * image.height > 0 else { return image }
        let count = image.width * image.height
        var smoothed = image
        for channel in 0..<3 {
            var plane = Plane(width: image.width, height: image.height, repeating: 0)
            for index in 0..<count { plane.storage[index] = Float(image.pixels[3 * index + channel]) }
            let blurred = apply(plane, sigma: sigma, truncate: truncate, border: border)
            for index in 0..<count {
                smoothed.pixels[3 * index + channel] = UInt8(min(255, max(0, blurred.storage[index].rounded())))
            }
        }
        return smoothed
    }
}
