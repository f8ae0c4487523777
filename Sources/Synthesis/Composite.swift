import Imaging

/// S = M·N + (1−M)·B per pixel and channel, with M a soft nuclear mask in [0, 1].
public enum Composite {
    public static func blend(nuclear: RGBImage, background: RGBImage, mask: Plane) throws(SynthesisError) -> RGBImage {
        guard nuclear.width == background.width, nuclear.height == background.height,
              mask.width == background.width, mask.height == background.height else {
            throw .invalidArgument("composite needs equal sizes: nuclear \(nuclear.width)×\(nuclear.height), background \(background.width)×\(background.height), mask \(mask.width)×\(mask.height)")
        }
        var out = background
        for index in 0..<mask.count {
            let m = min(1, max(0, mask.storage[index]))
            guard m > 0 else { continue }
            for channel in 0..<3 {
                let n = Float(nuclear.pixels[3 * index + channel]), b = Float(background.pixels[3 * index + channel])
                out.pixels[3 * index + channel] = UInt8(min(255, max(0, (m * n + (1 - m) * b).rounded())))
            }
        }
        return out
    }

    /// The binary union of the nuclei blurred by `sigma`, so boundaries blend over a pixel or two.
    public static func softMask(_ labels: LabelMap, sigma: Double) -> Plane {
        let hard = labels.map { $0 != 0 ? Float(1) : Float(0) }
        return sigma > 0 ? GaussianBlur.apply(hard, sigma: sigma) : hard
    }
}
