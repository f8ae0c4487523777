import Imaging

/// Otsu super- and sub-segmentation of nuclei on the hematoxylin optical density.
///
/// Super-segmentation errs on the side of too much nucleus (a lowered threshold, dilated)
/// because its job is to remove every nucleus from a background; sub-segmentation errs on
/// the side of too little (a second Otsu level inside the nuclei, eroded) because its job
/// is to yield only pixels that surely are nuclear material.
public enum NuclearSegmentation {
    /// Stain planes plus the hematoxylin plane smoothed for thresholding.
    public struct Analysis: Sendable {
        public var stains: StainPlanes
        public var smoothedHematoxylin: Plane
        public var threshold: Float
        /// Pixels at or above the Otsu threshold, holes filled, specks removed.
        public var nuclei: Mask
    }

    public static func analyse(_ image: RGBImage, minimumArea: Int = 30) -> Analysis {
        let stains = ColorDeconvolution.separate(image)
        let smoothed = GaussianBlur.apply(stains.hematoxylin, sigma: 1.0)
        let threshold = Otsu.threshold(smoothed)
        var nuclei = smoothed.map { $0 > threshold }
        nuclei = HoleFilling.fill(nuclei)
        nuclei = Morphology.open(nuclei, .disk(radius: 1))
        nuclei = ConnectedComponents.removeSmall(nuclei, minimumArea: minimumArea)
        return Analysis(stains: stains, smoothedHematoxylin: smoothed, threshold: threshold, nuclei: nuclei)
    }

    /// Everything that may be nuclear: a threshold lowered by `thresholdScale`, dilated.
    public static func superSegmentation(_ analysis: Analysis, thresholdScale: Float = 0.8, dilation: Int = 2) -> Mask {
        let low = analysis.threshold * thresholdScale
        var mask = analysis.smoothedHematoxylin.map { $0 > low }
        mask = HoleFilling.fill(mask)
        return dilation > 0 ? Morphology.dilate(mask, .disk(radius: dilation)) : mask
    }

    /// Pixels that surely are chromatin: inside the eroded nuclei and darker than the Otsu
    /// threshold of the hematoxylin values found inside the nuclei.
    public static func subSegmentation(_ analysis: Analysis, erosion: Int = 1) -> Mask {
        let inner = erosion > 0 ? Morphology.erode(analysis.nuclei, .disk(radius: erosion)) : analysis.nuclei
        let inside = zip(inner.storage, analysis.stains.hematoxylin.storage).compactMap { $0 ? $1 : nil }
        guard inside.count >= 16 else { return inner }
        // A one-row plane is enough for Otsu's histogram of the values.
        let innerThreshold = Otsu.threshold(try! Plane(width: inside.count, height: 1, storage: inside))
        // Only the palest nuclear pixels drop out: keep values above a quarter of the way to
        // the inner level (half-way keeps only the darkest chromatin: too dark a texture).
        let level = analysis.threshold + (innerThreshold - analysis.threshold) / 4
        var mask = inner
        for index in mask.storage.indices where mask.storage[index] {
            mask.storage[index] = analysis.stains.hematoxylin.storage[index] > level
        }
        return mask
    }

    /// Fraction of pixels that are tissue rather than glass: not near-white.
    public static func tissueFraction(_ image: RGBImage) -> Double {
        let count = image.width * image.height
        guard count > 0 else { return 0 }
        var tissue = 0
        for index in 0..<count {
            let r = Int(image.pixels[3 * index]), g = Int(image.pixels[3 * index + 1]), b = Int(image.pixels[3 * index + 2])
            if min(r, g, b) < 200 || max(r, g, b) - min(r, g, b) > 25 { tissue += 1 }
        }
        return Double(tissue) / Double(count)
    }
}
