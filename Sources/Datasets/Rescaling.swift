import Imaging

/// Resampling images and label maps to another magnification. The defaults of every model —
/// the interactive model's zoom-in windows, HoVerNet's patches and minimum nucleus areas, the
/// smallest nucleus synthesis takes from a pool — are tuned to MoNuSeg's 40× scans (about
/// 0.25 µm per pixel), where nuclei are 10–40 px across; a 20× scan (about 0.5 µm per pixel)
/// has to be enlarged twofold to look the same to them, and their label maps shrunk back.
public struct Rescaling: Sendable, Equatable {
    /// MoNuSeg's resolution in µm per pixel (40× Aperio scans of TCGA slides).
    public static let monusegMicronsPerPixel = 0.25
    /// The factors taken: beyond them a nucleus becomes a pixel or a blur of interpolation.
    public static let scales: ClosedRange<Double> = 0.125...8

    /// Output side ÷ input side.
    public let scale: Double

    public init(scale: Double) throws(DatasetError) {
        guard scale.isFinite, Self.scales.contains(scale) else {
            throw .invalidArgument("scale \(scale): give a factor from \(Self.scales.lowerBound) to \(Self.scales.upperBound)")
        }
        self.scale = scale
    }

    /// The rescaling that brings images of `micronsPerPixel` to `target` µm per pixel.
    public init(micronsPerPixel: Double, target: Double = Rescaling.monusegMicronsPerPixel) throws(DatasetError) {
        guard micronsPerPixel.isFinite, micronsPerPixel > 0 else {
            throw .invalidArgument("microns per pixel \(micronsPerPixel): give a positive resolution (40× ≈ 0.25, 20× ≈ 0.5)")
        }
        guard target.isFinite, target > 0 else {
            throw .invalidArgument("target microns per pixel \(target): give a positive resolution")
        }
        try self.init(scale: micronsPerPixel / target)
    }

    /// The rescaled size: each side times the scale, rounded, at least one pixel.
    public func size(width: Int, height: Int) -> (width: Int, height: Int) {
        (max(1, Int((Double(width) * scale).rounded())), max(1, Int((Double(height) * scale).rounded())))
    }

    /// Bilinear. When shrinking, each channel is first smoothed with σ = (1/scale − 1)/2 (the
    /// anti-aliasing of scikit-image's `rescale`), so that stain texture finer than the new
    /// pixels averages out instead of aliasing into speckle.
    public func image(_ image: RGBImage) -> RGBImage {
        let (width, height) = size(width: image.width, height: image.height)
        let smoothed = GaussianBlur.apply(image, sigma: (1 / scale - 1) / 2)  // no-op when enlarging (σ ≤ 0)
        return Resize.bilinear(smoothed, width: width, height: height)
    }

    /// Nearest-neighbour, so that labels stay labels. A nucleus that no output pixel centre
    /// falls in (only possible when shrinking) is gone; `lost` counts them.
    public func labels(_ labels: LabelMap) -> (labels: LabelMap, lost: Int) {
        let (width, height) = size(width: labels.width, height: labels.height)
        let resized = Resize.nearest(labels, width: width, height: height)
        let lost = scale < 1 ? labels.instanceIDs.count - resized.instanceIDs.count : 0
        return (resized, lost)
    }
}
